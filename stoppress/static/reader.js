// Stop Press reader: applies live updates from the blog's Server-Sent Events stream.
// The page is complete without this script; it only keeps the page current.
const root = document.getElementById("liveblog");

if (root && "EventSource" in window) {
  const slug = root.dataset.slug;
  const onLatestPage = root.dataset.page === "1";
  const list = document.getElementById("entries");
  const bar = document.getElementById("new-updates");
  const button = document.getElementById("new-updates-button");
  const announcer = document.getElementById("announcer");
  const waiting = []; // entries that arrived while the reader was reading further down
  const lang = document.documentElement.lang;
  const newUpdates = JSON.parse(root.dataset.newUpdates);
  const plural = new Intl.PluralRules(lang);
  const countText = (n) => (newUpdates[plural.select(n)] || newUpdates.other).replace("{n}", n.toLocaleString(lang));

  const fragment = (html) => {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  };

  // The article plus the skip target that follows it.
  const remove = (id) => {
    const article = document.getElementById(id);
    if (!article) return;
    const after = document.getElementById(`after-${id}`);
    article.remove();
    if (after) after.remove();
  };

  const replace = (id, html) => {
    const article = document.getElementById(id);
    if (!article) return false;
    const after = document.getElementById(`after-${id}`);
    const hadFocus = article.contains(document.activeElement);
    const nodes = fragment(html);
    if (after) after.remove();
    article.replaceWith(nodes);
    if (hadFocus) document.getElementById(id)?.focus?.();
    return true;
  };

  const announce = (text) => {
    announcer.textContent = "";
    // A fresh text node after a tick makes screen readers speak it even when the text repeats.
    setTimeout(() => { announcer.textContent = text; }, 50);
  };

  // The reader is "at the top" when the newest entry is still in view.
  const atTop = () => list.getBoundingClientRect().top > -40;

  const insert = (message) => {
    document.querySelector(".no-entries")?.remove();
    const nodes = fragment(message.html);
    nodes.firstElementChild?.classList.add("entry--new");
    list.prepend(nodes);
  };

  const showWaiting = () => {
    const n = waiting.length;
    bar.hidden = n === 0;
    button.textContent = countText(n);
  };

  button?.addEventListener("click", () => {
    waiting.splice(0).forEach(insert);
    showWaiting();
    const first = list.querySelector("article");
    first?.setAttribute("tabindex", "-1");
    first?.focus({ preventScroll: true });
    list.scrollIntoView({ block: "start" });
  });

  const pinned = (message) => {
    remove(`pinned-${message.code}`);
    if (!message.pinned_html) return;
    let area = document.querySelector(".pinned");
    if (!area) {
      area = document.createElement("section");
      area.className = "pinned";
      area.setAttribute("aria-label", "Pinned");
      document.querySelector(".updates").before(area);
    }
    area.prepend(fragment(message.pinned_html));
  };

  const apply = (message) => {
    switch (message.kind) {
      case "entry.published":
        if (document.getElementById(`e-${message.code}`)) { replace(`e-${message.code}`, message.html); break; }
        if (!onLatestPage) break;
        if (atTop()) {
          insert(message);
        } else {
          waiting.unshift(message);
          showWaiting();
        }
        announce(root.dataset.announceNew.replace("{title}", message.title));
        pinned(message);
        break;
      case "entry.updated":
      case "entry.pinned":
      case "entry.unpinned": {
        const queued = waiting.findIndex((m) => m.code === message.code);
        if (queued >= 0) waiting[queued] = { ...message, kind: "entry.published" };
        replace(`e-${message.code}`, message.html);
        pinned(message);
        break;
      }
      case "entry.deleted": {
        const queued = waiting.findIndex((m) => m.code === message.code);
        if (queued >= 0) { waiting.splice(queued, 1); showWaiting(); }
        remove(`e-${message.code}`);
        remove(`pinned-${message.code}`);
        break;
      }
      case "key_points.updated":
        document.getElementById("key-points")?.replaceWith(fragment(message.html));
        announce(root.dataset.announceKeyPoints);
        break;
      case "blog.updated":
        document.getElementById("blog-title").textContent = message.title;
        if (message.status === "ended") root.classList.add("liveblog--ended");
        break;
    }
  };

  const source = new EventSource(`/live/${slug}/events?after=${root.dataset.lastEventId}`);
  source.onmessage = (event) => {
    try {
      apply(JSON.parse(event.data));
    } catch (error) {
      console.error("Stop Press: could not apply an update", error);
    }
  };
  window.addEventListener("scroll", () => {
    if (waiting.length && atTop()) button.click();
  }, { passive: true });
}
