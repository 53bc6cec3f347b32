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
    // Keep the reader's focus on the same control of the edited entry (its links, its skip link).
    const focusable = (node) => [...node.querySelectorAll("a[href], button, [tabindex]")];
    const focusIndex = article.contains(document.activeElement) ? focusable(article).indexOf(document.activeElement) : -1;
    const nodes = fragment(html);
    if (after) after.remove();
    article.replaceWith(nodes);
    if (focusIndex >= 0) {
      const fresh = document.getElementById(id);
      const target = focusable(fresh)[focusIndex] || fresh;
      if (target === fresh) fresh.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
    }
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
      area.setAttribute("aria-label", root.dataset.pinnedLabel);
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

// The "Key events" list follows the timeline: a key event that arrives is added on top, an edited one is
// renamed in place, one that is deleted (or is no longer a key event) leaves the list.
const keyEvents = document.getElementById("key-events");
const timeline = document.getElementById("entries");
if (keyEvents && timeline) {
  const items = keyEvents.querySelector("ul");
  const itemOf = (code) => items.querySelector(`a[href="#e-${code}"], a[href="/p/${code}"]`)?.closest("li");
  const linkTo = (article) => {
    const link = document.createElement("a");
    link.href = `#e-${article.dataset.code}`;
    const time = article.querySelector(".entry-meta time[datetime]");
    if (time) {
      const copy = document.createElement("time");
      copy.dateTime = time.dateTime;
      copy.dataset.relative = "";
      copy.textContent = time.dataset.exact || time.textContent;
      const dot = document.createElement("span");
      dot.setAttribute("aria-hidden", "true");
      dot.textContent = " · ";
      link.append(copy, dot, " ");
    }
    link.append(article.querySelector(".entry-title")?.textContent ?? "");
    return link;
  };
  const follow = (article) => {
    const code = article.dataset.code;
    const item = itemOf(code);
    if (!article.classList.contains("entry--key")) {
      item?.remove();
    } else if (item) {
      item.replaceChildren(linkTo(article));
    } else {
      const fresh = document.createElement("li");
      fresh.append(linkTo(article));
      items.prepend(fresh);
      while (items.children.length > 10) items.lastElementChild.remove();
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) if (node.matches?.("article.entry")) follow(node);
      for (const node of record.removedNodes) {
        // A replaced entry is already back by now; only a deleted one is gone.
        if (node.matches?.("article.entry") && !document.getElementById(`e-${node.dataset.code}`)) itemOf(node.dataset.code)?.remove();
      }
    }
    keyEvents.hidden = items.children.length === 0;
  }).observe(timeline, { childList: true });
}

// Recent times read as "5 minutes ago" in the page's language, kept current; the exact time stays in
// the title (and returns as the text once a day has passed).
if ("RelativeTimeFormat" in Intl) {
  const relative = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" });
  const describe = (age, exact) => {
    if (age < 45) return relative.format(0, "second");
    if (age < 3600) return relative.format(-Math.max(1, Math.round(age / 60)), "minute");
    if (age < 86400) return relative.format(-Math.round(age / 3600), "hour");
    return exact;
  };
  const refreshTimes = () => {
    const now = Date.now();
    for (const time of document.querySelectorAll("time[data-relative]")) {
      const when = Date.parse(time.getAttribute("datetime"));
      if (Number.isNaN(when)) continue;
      if (!time.dataset.exact) time.dataset.exact = time.textContent.trim();
      const text = describe(Math.round((now - when) / 1000), time.dataset.exact);
      // Only real changes, so the observer below does not wake itself up.
      if (time.textContent !== text) time.textContent = text;
      if (time.title !== time.dataset.exact) time.title = time.dataset.exact;
    }
  };
  refreshTimes();
  setInterval(refreshTimes, 30_000);
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; refreshTimes(); });
  }).observe(document.body, { childList: true, subtree: true });
}

// Framed in a newsroom's article (the embed): tell the article how tall the blog is whenever that changes
// (static/embed.js resizes the frame), and keep links to places on this page inside the frame.
if (window.parent !== window) {
  const slug = document.getElementById("liveblog")?.dataset.slug;
  let reported = 0;
  const report = (always = false) => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === reported && !always) return;
    reported = height;
    window.parent.postMessage({ type: "stoppress:height", slug, height, title: document.title }, "*");
  };
  report(true);
  window.addEventListener("load", () => report(true));
  if ("ResizeObserver" in window) new ResizeObserver(() => report()).observe(document.documentElement);
  // The snippet may start listening after this frame loaded; it asks, and we answer.
  window.addEventListener("message", (event) => {
    if (event.source === window.parent && event.data?.type === "stoppress:measure") report(true);
  });
  // The page's <base target="_top"> opens links in the article's window; "#..." links must stay here.
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.('a[href^="#"]');
    if (link) link.target = "_self";
  });
}
