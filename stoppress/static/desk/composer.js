// The composer: writing a new entry at the top of the desk, and editing an entry in place.

import { announce, api, ApiError } from "./api.js";
import { escapeHtml } from "./clean.js";
import { RichText } from "./editor.js";

const mod = (event) => event.ctrlKey || event.metaKey;

/** "2024-01-23T18:00" on the wall clocks of `timeZone`, as an ISO time in UTC. */
export function zonedToUtc(value, timeZone) {
  const [date, time] = value.split("T");
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let moment = wall - offset(wall, timeZone);
  moment = wall - offset(moment, timeZone); // again, in case the first guess crossed a clock change
  return new Date(moment).toISOString();
}

/** An ISO time as "YYYY-MM-DDTHH:MM" on the wall clocks of `timeZone` (for a datetime-local field). */
export function utcToZoned(iso, timeZone) {
  const parts = wallParts(new Date(iso).getTime(), timeZone);
  const two = (n) => String(n).padStart(2, "0");
  return `${parts.year}-${two(parts.month)}-${two(parts.day)}T${two(parts.hour)}:${two(parts.minute)}`;
}

function wallParts(moment, timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(moment));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour"), minute: get("minute"), second: get("second") };
}

function offset(moment, timeZone) {
  const p = wallParts(moment, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(moment / 1000) * 1000;
}

const ACTION_WORDS = {
  publish: ["Publishing…", "Published"],
  submit: ["Sending for review…", "Sent for review: an editor will publish it"],
  draft: ["Saving the draft…", "Saved as a draft"],
  schedule: ["Scheduling…", "Scheduled"],
  save: ["Saving…", "Saved"],
};

export class Composer {
  /**
   * `form` is a composer form (see templates/desk/_composer.html). Options: slug, timeZone, canPublish,
   * mode ("new" or "edit"), entry (the entry being edited, as the API returns it), onDone(entry, action),
   * onCancel().
   */
  constructor(form, options) {
    Object.assign(this, { onDone: () => {}, onCancel: () => {}, entry: null }, options);
    this.form = form;
    this.busy = false;
    this.title = form.querySelector('[name="title"]');
    this.keyEvent = form.querySelector('[name="key_event"]');
    this.pinned = form.querySelector('[name="pinned"]');
    this.correction = form.querySelector('[name="correction"]');
    this.publishAt = form.querySelector('[name="publish_at"]');
    this.schedule = form.querySelector('[data-role="schedule"]');
    this.errors = form.querySelector('[data-role="errors"]');
    this.status = form.querySelector('[data-role="status"]');
    this.conflict = form.querySelector('[data-role="conflict"]');
    this.text = new RichText(form.querySelector(".editor").closest(".field"), { onChange: () => this.changed() });
    this.draftKey = this.mode === "new" ? `stoppress:desk:${this.slug}:composer` : null;
    if (this.draftKey) {
      // Leaving or hiding the page keeps what was typed in the last moments too.
      const flush = () => { if (this.saveTimer) { clearTimeout(this.saveTimer); this.saveTimer = null; this.keep(); } };
      window.addEventListener("pagehide", flush);
      document.addEventListener("visibilitychange", () => { if (document.hidden) flush(); });
    }
    this.bind();
    if (this.mode === "edit") this.load(this.entry);
    else this.restore();
  }

  bind() {
    const form = this.form;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run(this.primary());
    });
    form.addEventListener("keydown", (event) => {
      if (mod(event) && event.key === "Enter") {
        event.preventDefault();
        this.run(this.primary());
      } else if (event.key === "Escape" && this.mode === "edit" && !document.querySelector("dialog[open]")) {
        event.preventDefault();
        this.cancel();
      }
    });
    form.addEventListener("input", (event) => {
      if (event.target.getAttribute("aria-invalid") === "true" && event.target.value?.trim()) event.target.removeAttribute("aria-invalid");
      if (!this.text.editor.contains(event.target)) this.changed();
    });
    form.addEventListener("change", (event) => { if (event.target.type === "checkbox") this.changed(); });
    form.querySelectorAll("[data-do]").forEach((button) => button.addEventListener("click", (event) => {
      const what = button.dataset.do;
      if (["publish", "submit", "draft", "schedule", "save"].includes(what)) {
        event.preventDefault();
        this.run(what);
      } else if (what === "cancel") this.cancel();
      else if (what === "discard") this.discard();
      else if (what === "add-embed") this.addEmbed();
    }));
    const file = form.querySelector('input[type="file"]');
    file.addEventListener("change", () => {
      if (file.files.length) this.text.addFiles(file.files, this.text.range);
      file.value = "";
    });
    const embed = form.querySelector('input[type="url"]:not([data-field])');
    embed.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !mod(event)) { event.preventDefault(); this.addEmbed(); }
    });
    this.embedInput = embed;
  }

  primary() {
    if (this.mode === "edit") return "save";
    return this.canPublish ? "publish" : "submit";
  }

  addEmbed() {
    const url = this.embedInput.value.trim();
    if (!/^https?:\/\/\S+\.\S+/i.test(url)) {
      this.showErrors([{ control: this.embedInput, message: "Give the full link of the video or post, starting with https://." }]);
      return;
    }
    this.embedInput.value = "";
    this.text.addEmbed(url);
  }

  // Drafts that survive a reload (new entries only)

  changed() {
    if (!this.draftKey) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.keep(), 300);
  }

  keep() {
    this.saveTimer = null;
    const state = {
      title: this.title.value, html: this.text.html(), key_event: this.keyEvent.checked,
      pinned: Boolean(this.pinned?.checked), publish_at: this.publishAt?.value || "",
    };
    try {
      if (state.title.trim() || !this.text.isEmpty()) localStorage.setItem(this.draftKey, JSON.stringify(state));
      else localStorage.removeItem(this.draftKey);
    } catch { /* private mode or full: the composer still works */ }
  }

  restore() {
    this.text.clear();
    let state = null;
    try { state = JSON.parse(localStorage.getItem(this.draftKey) || "null"); } catch { state = null; }
    if (!state) return;
    this.title.value = state.title || "";
    if (state.html) this.text.loadHtml(state.html);
    this.keyEvent.checked = Boolean(state.key_event);
    if (this.pinned) this.pinned.checked = Boolean(state.pinned);
    if (this.publishAt && state.publish_at) { this.publishAt.value = state.publish_at; this.schedule.open = true; }
    this.form.querySelector('[data-role="restored"]').hidden = false;
  }

  discard() {
    this.reset();
    announce("Discarded.");
    this.title.focus();
  }

  reset() {
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.title.value = "";
    this.text.clear();
    this.keyEvent.checked = false;
    if (this.pinned) this.pinned.checked = false;
    if (this.publishAt) this.publishAt.value = "";
    if (this.schedule) this.schedule.open = false;
    this.form.querySelector('[data-role="restored"]')?.setAttribute("hidden", "");
    this.clearErrors();
    try { localStorage.removeItem(this.draftKey); } catch { /* nothing kept */ }
  }

  // Editing an entry in place

  load(entry) {
    this.entry = entry;
    this.title.value = entry.title;
    this.text.loadBlocks(entry.blocks);
    this.keyEvent.checked = entry.key_event;
    if (this.pinned) this.pinned.checked = entry.pinned;
    if (this.correction) this.correction.value = entry.correction || "";
    const published = entry.status === "published";
    this.form.querySelectorAll("[data-unpublished-only]").forEach((el) => { el.hidden = published; });
    if (this.schedule) {
      this.schedule.hidden = published;
      this.publishAt.value = entry.publish_at ? utcToZoned(entry.publish_at, this.timeZone) : "";
    }
    this.base = this.values();
  }

  values() {
    return {
      title: this.title.value.trim(),
      body: this.text.html(),
      key_event: this.keyEvent.checked,
      pinned: this.pinned ? this.pinned.checked : undefined,
      correction: this.correction ? this.correction.value.trim() : undefined,
    };
  }

  /** The fields changed since the entry was loaded: only those are sent, so a colleague's pin is kept. */
  changes() {
    const now = this.values();
    const out = {};
    for (const [key, value] of Object.entries(now)) {
      if (value !== undefined && value !== this.base[key]) out[key] = value;
    }
    if ("body" in out) out.format = "html";
    return out;
  }

  cancel() {
    this.onCancel();
  }

  // Checking and sending

  clearErrors() {
    this.errors.hidden = true;
    this.errors.replaceChildren();
    this.form.querySelectorAll('[aria-invalid="true"]').forEach((el) => el.removeAttribute("aria-invalid"));
  }

  showErrors(problems, heading = "Not sent yet:") {
    this.clearErrors();
    const list = document.createElement("ul");
    for (const { control, message } of problems) {
      const item = document.createElement("li");
      if (control?.id) {
        const link = document.createElement("a");
        link.href = `#${control.id}`;
        link.textContent = message;
        link.addEventListener("click", (event) => { event.preventDefault(); control.focus(); });
        item.append(link);
        control.setAttribute("aria-invalid", "true");
      } else item.textContent = message;
      list.append(item);
    }
    const head = document.createElement("p");
    head.textContent = heading;
    this.errors.append(head, list);
    this.errors.hidden = false;
    this.errors.setAttribute("role", "alert");
    this.errors.focus();
  }

  check(action) {
    const problems = [];
    if (!this.title.value.trim()) problems.push({ control: this.title, message: "Write a headline." });
    if (this.text.isEmpty()) problems.push({ control: this.text.editor, message: "Write the text of the update." });
    if (action !== "draft") problems.push(...this.text.problems());
    else problems.push(...this.text.problems().filter((p) => /uploading/.test(p.message)));
    if (action === "schedule") {
      const value = this.publishAt.value;
      if (!value) problems.push({ control: this.publishAt, message: "Choose when it goes live." });
      else if (new Date(zonedToUtc(value, this.timeZone)) <= new Date()) problems.push({ control: this.publishAt, message: `That time has passed in ${this.timeZone}; choose a later one, or publish now.` });
    }
    return problems;
  }

  setBusy(busy, text = "") {
    this.busy = busy;
    this.form.querySelectorAll(".composer-actions button").forEach((b) => { b.disabled = busy; });
    this.status.classList.remove("is-ok");
    this.status.textContent = text;
  }

  done(text) {
    this.status.textContent = text;
    this.status.classList.add("is-ok");
  }

  async run(action) {
    if (this.busy) return;
    if (action === "publish" && this.mode === "new" && !this.canPublish) action = "submit";
    const problems = this.check(action);
    if (problems.length) {
      this.showErrors(problems, action === "draft" ? "Not saved yet:" : "Not published yet:");
      return;
    }
    this.clearErrors();
    this.setBusy(true, ACTION_WORDS[action][0]);
    try {
      const entry = this.mode === "new" ? await this.create(action) : await this.update(action);
      if (!entry) return; // a conflict is shown
      this.setBusy(false);
      const said = `${ACTION_WORDS[action][1]}: “${entry.title}”.`;
      if (this.mode === "new") {
        this.reset();
        this.done(said);
        this.title.focus();
      }
      announce(said);
      this.onDone(entry, action);
    } catch (error) {
      this.setBusy(false);
      this.failed(error);
    }
  }

  failed(error) {
    const field = error.problem?.field;
    const control = field === "title" ? this.title : field === "body" || field === "blocks" ? this.text.editor
      : field === "publish_at" ? this.publishAt : field === "correction" ? this.correction : null;
    this.showErrors([{ control, message: error.message || String(error) }], "Not sent:");
  }

  payload(action) {
    const data = this.values();
    const body = { title: data.title, body: data.body, format: "html", key_event: data.key_event };
    if (this.pinned) body.pinned = data.pinned;
    body.status = { publish: "published", submit: "submitted", draft: "draft", schedule: "scheduled" }[action];
    if (action === "schedule") body.publish_at = zonedToUtc(this.publishAt.value, this.timeZone);
    return body;
  }

  create(action) {
    return api("POST", `/api/v1/blogs/${this.slug}/entries`, this.payload(action));
  }

  async update(action, { force = false } = {}) {
    const changes = this.changes();
    if (action === "publish") Object.assign(changes, { status: "published", publish_at: null, review_note: "" });
    if (action === "submit") changes.status = "submitted";
    if (action === "schedule") Object.assign(changes, { status: "scheduled", publish_at: zonedToUtc(this.publishAt.value, this.timeZone) });
    if (!Object.keys(changes).length) return this.entry;
    const path = `/api/v1/blogs/${this.slug}/entries/${this.entry.code}`;
    try {
      return await api("PATCH", path, changes, { ifMatch: this.entry.version });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 412 || force) throw error;
    }
    // Someone saved the entry since it was opened here.
    const current = await api("GET", path);
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const theirsTouched = current.title !== this.entry.title || !same(current.blocks, this.entry.blocks)
      || (current.correction || "") !== (this.entry.correction || "") || current.status !== this.entry.status;
    if (!theirsTouched) {
      // They changed only what this edit leaves alone (a pin, a key event): apply ours on top.
      return api("PATCH", path, changes, { ifMatch: current.version });
    }
    await this.showConflict(current, action);
    return null;
  }

  async showConflict(current, action) {
    this.setBusy(false);
    let who = "Someone else";
    try {
      const { revisions } = await api("GET", `/api/v1/blogs/${this.slug}/entries/${current.code}/revisions`);
      if (revisions.length) who = revisions[revisions.length - 1].author;
    } catch { /* the name is a nicety */ }
    const saved = new Date(current.updated_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone: this.timeZone });
    this.conflict.innerHTML = `
      <h4>${escapeHtml(who)} saved this entry while you were editing it</h4>
      <p>Their version ${current.version} was saved at ${escapeHtml(saved)}. Your text is still in the form below: nothing is lost.
      Compare, then keep yours or theirs.</p>
      <div class="conflict-theirs" tabindex="0" aria-label="Their version">
        <h5>Their version</h5>
        <p><strong class="conflict-title"></strong></p>
        <div class="conflict-body">${current.html}</div>
      </div>
      <p class="actions">
        <button type="button" class="button" data-conflict="copy">Copy their text</button>
        <button type="button" class="button button--danger" data-conflict="overwrite">Save mine over theirs</button>
        <button type="button" class="button" data-conflict="theirs">Drop mine, edit theirs</button>
      </p>`;
    this.conflict.querySelector(".conflict-title").textContent = current.title;
    this.conflict.hidden = false;
    this.conflict.setAttribute("role", "alert");
    this.conflict.querySelector('[data-conflict="copy"]').addEventListener("click", async () => {
      const text = `${current.title}\n\n${current.text}`;
      try {
        await navigator.clipboard.writeText(text);
        announce("Their text is copied.");
      } catch {
        const range = document.createRange();
        range.selectNodeContents(this.conflict.querySelector(".conflict-theirs"));
        document.getSelection().removeAllRanges();
        document.getSelection().addRange(range);
        announce("Their text is selected: press Ctrl+C to copy it.");
      }
    });
    this.conflict.querySelector('[data-conflict="overwrite"]').addEventListener("click", async () => {
      this.entry = current;
      this.conflict.hidden = true;
      this.base = { ...this.base, title: null, body: null }; // send all of ours
      await this.run(action);
    });
    this.conflict.querySelector('[data-conflict="theirs"]').addEventListener("click", () => {
      this.conflict.hidden = true;
      this.load(current);
      this.title.focus();
      announce("Their version is in the form now.");
    });
    this.conflict.querySelector("button").focus();
  }
}
