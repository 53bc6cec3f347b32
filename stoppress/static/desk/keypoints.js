// The key points box ("What you need to know"): edit, add, remove and reorder items, then save them
// all at once. A colleague's save arrives live; it replaces the box unless you are in the middle of editing.

import { announce, api } from "./api.js";

export class KeyPoints {
  constructor(form, { slug, lang }) {
    this.form = form;
    this.slug = slug;
    this.lang = lang;
    this.list = form.querySelector('[data-role="list"]');
    this.status = form.querySelector('[data-role="status"]');
    this.changedNotice = form.querySelector('[data-role="changed"]');
    this.dirty = false;
    this.theirs = null;
    this.list.querySelectorAll("li").forEach((li) => this.decorate(li));
    if (!this.list.children.length) this.list.append(this.item()); // ready to type the first one
    this.renumber();
    form.addEventListener("submit", (event) => { event.preventDefault(); this.save(); });
    form.addEventListener("input", () => { this.dirty = true; this.status.textContent = "Not saved yet."; });
    form.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); this.save(); }
    });
    form.querySelector('[data-do="add"]').addEventListener("click", () => this.add());
    form.querySelector('[data-do="load-theirs"]').addEventListener("click", () => {
      if (this.theirs) this.show(this.theirs.items, this.theirs.updated_at);
      this.dirty = false;
      this.changedNotice.hidden = true;
      this.list.querySelector("textarea")?.focus();
    });
  }

  items() {
    return [...this.list.querySelectorAll("textarea")].map((t) => t.value.trim()).filter(Boolean);
  }

  decorate(li) {
    const tools = document.createElement("div");
    tools.className = "kp-item-tools";
    for (const [what, label] of [["up", "Move up"], ["down", "Move down"], ["remove", "Remove"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = what === "remove" ? "button button--danger" : "button";
      button.dataset.move = what;
      button.textContent = label;
      button.addEventListener("click", () => this.act(li, what, button));
      tools.append(button);
    }
    li.append(tools);
  }

  item(text = "") {
    const li = document.createElement("li");
    li.className = "kp-item";
    const label = document.createElement("label");
    const area = document.createElement("textarea");
    area.rows = 2;
    area.maxLength = 500;
    area.lang = this.lang;
    area.value = text;
    li.append(label, area);
    this.decorate(li);
    return li;
  }

  renumber() {
    const items = [...this.list.children];
    items.forEach((li, n) => {
      const area = li.querySelector("textarea");
      const label = li.querySelector("label");
      area.id = `kp-${n + 1}`;
      label.htmlFor = area.id;
      label.textContent = `Key point ${n + 1}`;
      li.querySelector('[data-move="up"]').disabled = n === 0;
      li.querySelector('[data-move="down"]').disabled = n === items.length - 1;
      for (const button of li.querySelectorAll("button")) {
        button.setAttribute("aria-describedby", area.id);
      }
    });
  }

  add() {
    const li = this.item();
    this.list.append(li);
    this.renumber();
    this.dirty = true;
    li.querySelector("textarea").focus();
  }

  act(li, what, button) {
    const n = [...this.list.children].indexOf(li);
    if (what === "remove") {
      const next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      this.renumber();
      announce(`Key point ${n + 1} removed. Save to publish the change.`);
      (next?.querySelector("textarea") || this.form.querySelector('[data-do="add"]')).focus();
    } else if (what === "up" && li.previousElementSibling) {
      li.previousElementSibling.before(li);
      this.moved(li, what, button);
    } else if (what === "down" && li.nextElementSibling) {
      li.nextElementSibling.after(li);
      this.moved(li, what, button);
    }
    this.dirty = true;
    this.status.textContent = "Not saved yet.";
  }

  moved(li, what, button) {
    this.renumber();
    const position = [...this.list.children].indexOf(li) + 1;
    // Keep the keyboard where it was; at the top or bottom the button is disabled, so use the other one.
    (button.disabled ? li.querySelector(`[data-move="${what === "up" ? "down" : "up"}"]`) : button).focus();
    announce(`Moved to position ${position} of ${this.list.children.length}.`);
  }

  show(items, updatedAt) {
    this.list.replaceChildren(...items.map((text) => this.item(text)));
    this.renumber();
    if (updatedAt) {
      const when = new Date(updatedAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone: document.getElementById("blog-desk").dataset.timezone });
      document.getElementById("kp-updated").textContent = `Updated ${when}`;
    }
  }

  async save() {
    this.status.textContent = "Saving…";
    try {
      const saved = await api("PUT", `/api/v1/blogs/${this.slug}/key-points`, { items: this.items() });
      this.dirty = false;
      this.changedNotice.hidden = true;
      this.show(saved.items, saved.updated_at);
      this.status.textContent = "Saved: readers see them now.";
      announce("Key points saved.");
    } catch (error) {
      this.status.textContent = `Not saved: ${error.message}`;
    }
  }

  /** A key points event from the desk stream (possibly our own save). */
  remote(items, updatedAt) {
    if (JSON.stringify(items) === JSON.stringify(this.items())) return;
    if (!this.dirty && !this.list.contains(document.activeElement)) {
      this.show(items, updatedAt);
      return;
    }
    this.theirs = { items, updated_at: updatedAt };
    this.changedNotice.hidden = false;
  }
}
