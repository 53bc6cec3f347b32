// The timeline of a blog's desk: every entry with its actions, edited in place, updated live as
// colleagues post. Editors follow the desk stream (drafts included); contributors follow the readers'
// stream and fetch each changed entry as they may see it.

import { announce, api, ApiError, fragment, nodesFrom } from "./api.js";
import { Composer } from "./composer.js";
import { confirmDialog } from "./dialog.js";

const REFERENCE_ATTRIBUTES = ["for", "aria-labelledby", "aria-describedby", "aria-controls"];

/** Gives every id in `root` a suffix, and every reference to those ids too: one template, many forms. */
function uniqueIds(root, suffix) {
  const ids = new Set([...root.querySelectorAll("[id]")].map((el) => el.id));
  root.querySelectorAll("[id]").forEach((el) => { el.id += suffix; });
  for (const name of REFERENCE_ATTRIBUTES) {
    root.querySelectorAll(`[${name}]`).forEach((el) => {
      el.setAttribute(name, el.getAttribute(name).split(/\s+/).map((id) => (ids.has(id) ? id + suffix : id)).join(" "));
    });
  }
}

export class Timeline {
  constructor(desk, { keyPoints }) {
    this.desk = desk;
    this.slug = desk.dataset.slug;
    this.timeZone = desk.dataset.timezone;
    this.canPublish = desk.dataset.canPublish === "true";
    this.user = desk.dataset.user;
    this.keyPoints = keyPoints;
    this.list = document.getElementById("timeline");
    this.filter = document.getElementById("timeline-filter");
    this.older = document.getElementById("load-older");
    this.page = 1;
    this.ours = new Set(); // entries this page just wrote: no "new entry" announcement for them
    this.waiting = new Map(); // newer cards that arrived while their entry was open for editing
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button && this.list.contains(button)) this.act(button.closest(".card"), button.dataset.action, button);
    });
    this.filter.addEventListener("change", () => this.applyFilter());
    this.older.addEventListener("click", () => this.loadOlder());
    this.listen(Number(desk.dataset.lastEvent || 0));
    if (!this.canPublish) {
      document.addEventListener("visibilitychange", () => { if (!document.hidden) this.refreshMine(); });
    }
  }

  card(code) {
    return document.getElementById(`d-${code}`);
  }

  // Live

  listen(after) {
    const status = document.getElementById("live-status");
    const path = this.canPublish ? `/desk/blogs/${this.slug}/events` : `/live/${this.slug}/events`;
    this.lastId = after;
    const source = new EventSource(`${path}?after=${after}`);
    source.onopen = () => {
      status.dataset.state = "live";
      status.textContent = "Live: colleagues’ changes appear here";
    };
    source.onerror = () => {
      status.dataset.state = "lost";
      if (source.readyState !== EventSource.CLOSED) {
        status.textContent = "Reconnecting…"; // the browser retries by itself, resuming where it was
        return;
      }
      // Refused (the session ended, the server restarted badly): try again a little later, from where we were.
      status.textContent = "Not live. Trying again; if it lasts, reload the page and sign in again.";
      setTimeout(() => this.listen(this.lastId), 15000);
    };
    source.onmessage = (message) => {
      if (message.lastEventId) this.lastId = Number(message.lastEventId);
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      this.apply(event);
    };
    this.source = source;
  }

  apply(event) {
    const kind = event.kind;
    if (kind === "key_points.updated") {
      if (event.items) this.keyPoints?.remote(event.items, event.updated_at);
    } else if (kind === "blog.updated") {
      document.getElementById("blog-title").textContent = event.title;
      const badge = document.getElementById("blog-status");
      badge.textContent = event.status === "live" ? "Live" : "Ended";
      badge.className = event.status === "live" ? "badge badge--live" : "badge";
    } else if (kind === "entry.deleted") {
      if (this.canPublish) this.remove(event.code, true);
      else this.refresh(event.code); // unpublished: the contributor may still see it as their own draft
    } else if (event.code) {
      if (event.html && this.canPublish) this.upsert(event.html, { kind, announceIt: true });
      else this.refresh(event.code, { kind, announceIt: true });
    }
  }

  /** Puts a card (server HTML) in the timeline: in place if it is there, on top if it is new. */
  upsert(html, { kind = "", announceIt = false } = {}) {
    const node = nodesFrom(html).querySelector(".card");
    if (!node) return;
    const code = node.dataset.code;
    const existing = this.card(code);
    if (existing) {
      if (Number(existing.dataset.version) > Number(node.dataset.version)) return;
      if (existing.classList.contains("is-editing")) {
        if (Number(existing.dataset.version) < Number(node.dataset.version)) this.waiting.set(code, html);
        return;
      }
      const focused = existing.contains(document.activeElement) ? document.activeElement.dataset.action || "card" : null;
      const wasPublic = existing.dataset.status === "published";
      existing.replaceWith(node);
      if (kind === "entry.published" && !wasPublic) this.list.prepend(node); // approval puts it on top
      if (focused) this.focusIn(node, focused);
    } else {
      this.list.prepend(node);
      node.classList.add("is-new");
      if (announceIt && !this.ours.has(code)) {
        const what = { draft: "New draft", submitted: "New submission", scheduled: "Newly scheduled" }[node.dataset.status] || "New entry";
        announce(`${what} by ${node.dataset.author}: ${node.dataset.title}`);
      }
    }
    this.updateQueue(node);
    this.applyFilter();
  }

  remove(code, announceIt = false) {
    const card = this.card(code);
    if (!card) return;
    const hadFocus = card.contains(document.activeElement);
    const next = card.nextElementSibling || card.previousElementSibling;
    if (announceIt && !this.ours.has(code)) announce(`Deleted: ${card.dataset.title}`);
    card.remove();
    this.updateQueue({ dataset: { code, status: "deleted" } });
    this.applyFilter();
    if (hadFocus) (next ? this.focusIn(next, "card") : document.getElementById("timeline-heading").focus());
  }

  /** Fetches one card as this user may see it; gone (404) means it is no longer theirs to see. */
  async refresh(code, options = {}) {
    try {
      this.upsert(await fragment(`/desk/blogs/${this.slug}/entries/${code}/card`), options);
    } catch (error) {
      if (error.status === 404) this.remove(code, options.announceIt);
    }
  }

  refreshMine() {
    this.list.querySelectorAll(".card").forEach((card) => {
      if (card.dataset.author === this.user && card.dataset.status !== "published") this.refresh(card.dataset.code);
    });
  }

  focusIn(card, action) {
    const target = card.querySelector(`[data-action="${action}"]`);
    if (target) { target.focus(); return; }
    card.tabIndex = -1;
    card.focus();
  }

  applyFilter() {
    const wanted = this.filter.value;
    let shown = 0;
    for (const card of this.list.querySelectorAll(".card")) {
      card.hidden = Boolean(wanted) && card.dataset.status !== wanted;
      if (!card.hidden) shown += 1;
    }
    document.getElementById("timeline-empty").hidden = shown > 0;
  }

  updateQueue(card) {
    const list = document.getElementById("queue-list");
    if (!list) return;
    const code = card.dataset.code;
    let item = list.querySelector(`li[data-code="${code}"]`);
    if (card.dataset.status === "submitted") {
      if (!item) {
        item = document.createElement("li");
        item.dataset.code = code;
        const link = document.createElement("a");
        link.href = `#d-${code}`;
        const by = document.createElement("span");
        by.className = "muted";
        item.append(link, " ", by);
        list.prepend(item);
      }
      item.querySelector("a").textContent = card.dataset.title;
      item.querySelector("span").textContent = `by ${card.dataset.author}`;
    } else if (item) item.remove();
    document.getElementById("queue-count").textContent = String(list.children.length);
    document.getElementById("queue-empty").hidden = list.children.length > 0;
  }

  async loadOlder() {
    this.older.disabled = true;
    try {
      const answer = await api("GET", `/desk/blogs/${this.slug}/entries?page=${this.page + 1}`);
      this.page += 1;
      const nodes = nodesFrom(answer.html);
      let first = null;
      for (const card of [...nodes.querySelectorAll(".card")]) {
        if (this.card(card.dataset.code)) continue;
        this.list.append(card);
        first ||= card;
      }
      this.older.hidden = !answer.more;
      this.applyFilter();
      if (first) this.focusIn(first, "card");
    } catch (error) {
      announce(`Older entries could not be loaded: ${error.message}`);
    } finally {
      this.older.disabled = false;
    }
  }

  // What the buttons of a card do

  async act(card, action, button) {
    const code = card.dataset.code;
    const path = `/api/v1/blogs/${this.slug}/entries/${code}`;
    const pinned = card.dataset.pinned === "true";
    const keyEvent = card.dataset.keyEvent === "true";
    const version = Number(card.dataset.version);
    try {
      switch (action) {
        case "edit": await this.edit(card); return;
        case "history": await this.history(card); return;
        case "delete": {
          const yes = await confirmDialog(`Delete “${card.dataset.title}”? ${card.dataset.status === "published" ? "Readers will no longer see it. " : ""}This cannot be undone.`, { confirm: "Delete", title: "Delete this entry?" });
          if (!yes) return;
          this.ours.add(code);
          await api("DELETE", path);
          this.remove(code);
          announce("Entry deleted.");
          return;
        }
        case "pin": await api("PATCH", path, { pinned: !pinned }); announce(pinned ? "Unpinned." : "Pinned: readers see it at the top."); break;
        case "key-event": await api("PATCH", path, { key_event: !keyEvent }); announce(keyEvent ? "No longer a key event." : "Marked as a key event."); break;
        case "publish": await api("PATCH", path, { status: "published", publish_at: null }, { ifMatch: version }); announce("Published."); break;
        case "approve": await api("PATCH", path, { status: "published", publish_at: null, review_note: "" }, { ifMatch: version }); announce("Approved and published."); break;
        case "submit": await api("PATCH", path, { status: "submitted" }, { ifMatch: version }); announce("Sent for review."); break;
        case "send-back": {
          const note = await this.askNote();
          if (note === null) return;
          await api("PATCH", path, { status: "draft", review_note: note }, { ifMatch: version });
          announce("Sent back with your note.");
          break;
        }
        default: return;
      }
      this.ours.add(code);
      await this.refresh(code);
      this.focusIn(this.card(code) || card, action);
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        await this.refresh(code);
        announce("This entry changed a moment ago. Look at it again, then try once more.");
        this.focusIn(this.card(code) || card, "card");
      } else {
        announce(`Not done: ${error.message}`);
        this.flash(card, `Not done: ${error.message}`);
        button?.focus();
      }
    }
  }

  flash(card, message) {
    let note = card.querySelector(".card-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "error card-error";
      note.setAttribute("role", "alert");
      card.querySelector(".card-actions").before(note);
    }
    note.textContent = message;
  }

  askNote() {
    const dialog = document.getElementById("send-back-dialog");
    const note = dialog.querySelector("#send-back-note");
    note.value = "";
    note.removeAttribute("aria-invalid");
    const opener = document.activeElement;
    return new Promise((resolve) => {
      const form = dialog.querySelector("form");
      const check = (event) => {
        if (event.submitter?.value === "confirm" && !note.value.trim()) {
          event.preventDefault();
          note.setAttribute("aria-invalid", "true");
          note.focus();
        }
      };
      form.addEventListener("submit", check);
      dialog.addEventListener("close", () => {
        form.removeEventListener("submit", check);
        if (opener?.isConnected) opener.focus();
        resolve(dialog.returnValue === "confirm" ? note.value.trim() : null);
      }, { once: true });
      dialog.returnValue = "cancel";
      dialog.showModal();
      note.focus();
    });
  }

  async history(card) {
    const dialog = document.getElementById("history-dialog");
    const body = dialog.querySelector('[data-role="body"]');
    dialog.querySelector("#history-title").textContent = `History of “${card.dataset.title}”`;
    body.textContent = "Loading…";
    dialog.showModal();
    try {
      body.replaceChildren(nodesFrom(await fragment(`/desk/blogs/${this.slug}/entries/${card.dataset.code}/history`)));
    } catch (error) {
      body.textContent = `The history could not be loaded: ${error.message}`;
    }
    dialog.querySelector("button").focus();
  }

  async edit(card) {
    if (card.classList.contains("is-editing")) {
      card.querySelector("form input")?.focus();
      return;
    }
    const code = card.dataset.code;
    const entry = await api("GET", `/api/v1/blogs/${this.slug}/entries/${code}`);
    const content = document.getElementById("edit-template").content.cloneNode(true);
    uniqueIds(content, `-${code}`);
    const form = content.querySelector("form");
    const label = document.createElement("p");
    label.className = "editing-label";
    label.innerHTML = "<strong>Editing</strong> ";
    label.append(`“${entry.title}”`);
    form.prepend(label);
    const view = card.querySelector(".card-view");
    view.hidden = true;
    card.append(form);
    card.classList.add("is-editing");
    const close = (saved) => {
      composer.text.destroy();
      form.remove();
      view.hidden = false;
      card.classList.remove("is-editing");
      const newer = this.waiting.get(code);
      this.waiting.delete(code);
      if (newer) this.upsert(newer);
      this.focusIn(this.card(code) || card, "edit");
      if (saved) this.refresh(code).then(() => this.focusIn(this.card(code) || card, "edit"));
    };
    const composer = new Composer(form, {
      mode: "edit", slug: this.slug, timeZone: this.timeZone, canPublish: this.canPublish, entry,
      onDone: () => { this.ours.add(code); close(true); },
      onCancel: () => close(false),
    });
    form.querySelector('[name="title"]').focus();
  }
}
