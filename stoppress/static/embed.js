// Stop Press embed snippet, for a newsroom's own article page:
//   <script async src="https://SITE/static/embed.js" data-stoppress-blog="SLUG"></script>
// puts the live blog in a frame right after the script and keeps the frame as tall as the blog, so the
// article never shows a second scroll bar. Frames that oEmbed put on the page are resized the same way.
(() => {
  const script = document.currentScript;
  if (!script || !script.src) return;
  const origin = new URL(script.src).origin;
  const slug = script.dataset.stoppressBlog;

  if (slug) {
    const frame = document.createElement("iframe");
    frame.src = `${origin}/embed/${encodeURIComponent(slug)}`;
    frame.title = script.dataset.stoppressTitle || "Live blog";
    frame.dataset.stoppressBlog = slug;
    frame.width = "100%";
    frame.height = "600"; // until the blog reports its own height
    frame.loading = "lazy";
    frame.style.border = "0";
    frame.style.width = "100%";
    frame.style.display = "block";
    script.after(frame);
  }

  // One listener per origin is enough, however many snippets the article holds.
  const key = `__stoppressEmbed:${origin}`;
  if (window[key]) return;
  window[key] = true;
  window.addEventListener("message", (event) => {
    // Only our own site may resize our frames, and only the frame that sent the message.
    if (event.origin !== origin) return;
    const data = event.data;
    if (!data || data.type !== "stoppress:height" || typeof data.height !== "number") return;
    for (const frame of document.querySelectorAll("iframe[data-stoppress-blog]")) {
      if (frame.contentWindow !== event.source || frame.dataset.stoppressBlog !== data.slug) continue;
      frame.style.height = `${Math.max(0, Math.ceil(data.height))}px`;
      frame.height = String(Math.max(0, Math.ceil(data.height)));
      if (data.title && !frame.dataset.stoppressTitleSet) {
        frame.title = data.title;
        frame.dataset.stoppressTitleSet = "1";
      }
    }
  });
  // Frames already on the page (oEmbed) may have loaded before this script: ask them for their height.
  for (const frame of document.querySelectorAll("iframe[data-stoppress-blog]")) {
    try {
      if (new URL(frame.src).origin === origin) frame.contentWindow?.postMessage({ type: "stoppress:measure" }, origin);
    } catch {
      // A frame without a usable address is not ours.
    }
  }
})();
