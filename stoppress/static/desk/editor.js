// The rich text editor of the composer: a contenteditable with a toolbar of real buttons, keyboard
// shortcuts, clean pasting, and pictures and video cards as blocks inside the text.

import { announce, uploadImage } from "./api.js";
import { cleanHtml, escapeHtml, textToHtml } from "./clean.js";

const IMAGE_TYPES = /^image\/(jpeg|png|webp|gif)$/;
let counter = 0;

const mod = (event) => event.ctrlKey || event.metaKey;

/** The top-level child of `editor` that contains `node` (or null). */
function topLevel(editor, node) {
  while (node && node.parentNode !== editor) node = node.parentNode;
  return node;
}

function emptyParagraph() {
  const p = document.createElement("p");
  p.append(document.createElement("br"));
  return p;
}

export class RichText {
  /** `field` holds the toolbar and the editable area; `onChange` is called after every change. */
  constructor(field, { onChange = () => {} } = {}) {
    this.field = field;
    this.toolbar = field.querySelector(".toolbar");
    this.editor = field.querySelector(".editor");
    this.onChange = onChange;
    this.range = null;
    this.uploads = new Set();
    document.execCommand("defaultParagraphSeparator", false, "p");
    this.bindToolbar();
    this.bindEditor();
  }

  // Content in and out

  clear() {
    this.editor.replaceChildren(emptyParagraph());
  }

  /** Loads HTML (a saved draft, or an entry's rendered body), turning our figures into picture cards. */
  loadHtml(html) {
    const content = cleanHtml(html, { media: (figure) => this.cardFromFigure(figure) });
    this.editor.replaceChildren(content);
    this.padCards();
  }

  /** Loads an entry's blocks (as the API returns them). */
  loadBlocks(blocks) {
    const parts = blocks.map((b) => {
      switch (b.type) {
        case "paragraph": return `<p>${b.html}</p>`;
        case "subheading": return `<h3>${escapeHtml(b.text)}</h3>`;
        case "quote": return `<blockquote><p>${b.html}</p>${b.cite ? `<p>— ${escapeHtml(b.cite)}</p>` : ""}</blockquote>`;
        case "list": return `<${b.ordered ? "ol" : "ul"}>${b.items.map((i) => `<li>${i}</li>`).join("")}</${b.ordered ? "ol" : "ul"}>`;
        case "image": return figureHtml({ kind: "image", ...b });
        case "video": return figureHtml({ kind: "video", ...b });
        default: return "";
      }
    });
    this.loadHtml(parts.join(""));
  }

  /** The body to send: clean HTML, with each picture and video card as a figure the server understands. */
  html() {
    const parts = [];
    let run = document.createElement("div");
    const flushRun = () => {
      if (!run.childNodes.length) return;
      const holder = document.createElement("div");
      holder.append(cleanHtml(run.innerHTML));
      parts.push(holder.innerHTML);
      run = document.createElement("div");
    };
    for (const node of this.editor.childNodes) {
      if (node.classList?.contains("media-item")) {
        flushRun();
        const data = this.cardData(node);
        if (data.kind === "video" || data.src || node.dataset.state === "missing") parts.push(figureHtml(data));
      } else {
        run.append(node.cloneNode(true));
      }
    }
    flushRun();
    return parts.join("");
  }

  isEmpty() {
    return !this.editor.textContent.trim() && !this.editor.querySelector(".media-item");
  }

  /** What stops publishing: pictures without alt text, uploads still running or failed, video cards without title. */
  problems() {
    const found = [];
    this.editor.querySelectorAll(".media-item").forEach((card, n) => {
      const data = this.cardData(card);
      const which = `${data.kind === "video" ? "Video" : "Picture"} ${n + 1}`;
      if (data.kind === "image") {
        if (card.dataset.state === "uploading") found.push({ control: card.querySelector("[data-field=alt]"), message: `${which} is still uploading; wait a moment.` });
        else if (card.dataset.state === "failed") found.push({ control: card.querySelector("[data-do=remove-media]"), message: `${which} could not be uploaded; remove it or add it again.` });
        if (!data.alt) found.push({ control: card.querySelector("[data-field=alt]"), message: `${which} needs alt text: say what it shows, for readers who cannot see it.` });
      } else {
        if (!/^https?:\/\/\S/i.test(data.url)) found.push({ control: card.querySelector("[data-field=url]"), message: `${which} needs a link starting with https://.` });
        if (!data.title) found.push({ control: card.querySelector("[data-field=title]"), message: `${which} needs a title saying what it shows.` });
      }
    });
    return found;
  }

  // Toolbar and shortcuts

  bindToolbar() {
    const buttons = [...this.toolbar.querySelectorAll("button")];
    buttons.forEach((button, n) => {
      button.tabIndex = n === 0 ? 0 : -1;
      // Keep the text selection when the mouse presses a button.
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", () => this.command(button.dataset.cmd));
    });
    // A toolbar is one tab stop; arrow keys move between its buttons.
    this.toolbar.addEventListener("keydown", (event) => {
      const at = buttons.indexOf(document.activeElement);
      if (at < 0) return;
      let to = null;
      if (event.key === "ArrowRight") to = (at + 1) % buttons.length;
      else if (event.key === "ArrowLeft") to = (at - 1 + buttons.length) % buttons.length;
      else if (event.key === "Home") to = 0;
      else if (event.key === "End") to = buttons.length - 1;
      if (to === null) return;
      event.preventDefault();
      buttons[at].tabIndex = -1;
      buttons[to].tabIndex = 0;
      buttons[to].focus();
    });
  }

  bindEditor() {
    const editor = this.editor;
    if (!editor.firstChild) this.clear();
    this.onSelection = () => {
      const selection = document.getSelection();
      if (selection.rangeCount && editor.contains(selection.anchorNode) && !this.inCard(selection.anchorNode)) {
        this.range = selection.getRangeAt(0).cloneRange();
        this.updateToolbar();
      }
    };
    document.addEventListener("selectionchange", this.onSelection);
    editor.addEventListener("keydown", (event) => this.onKey(event));
    editor.addEventListener("input", (event) => {
      if (!this.inCard(event.target) && !editor.firstChild) this.clear();
      this.onChange();
    });
    editor.addEventListener("paste", (event) => this.onPaste(event));
    const form = editor.closest("form") || editor;
    form.addEventListener("dragover", (event) => {
      if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
      event.preventDefault();
      editor.classList.add("is-dropping");
    });
    form.addEventListener("dragleave", (event) => {
      if (!form.contains(event.relatedTarget)) editor.classList.remove("is-dropping");
    });
    form.addEventListener("drop", (event) => {
      const files = [...(event.dataTransfer?.files || [])];
      editor.classList.remove("is-dropping");
      if (!files.length) return;
      event.preventDefault();
      const range = editor.contains(event.target) && document.caretRangeFromPoint
        ? document.caretRangeFromPoint(event.clientX, event.clientY) : null;
      this.addFiles(files, range);
    });
  }

  /** Stops listening to the document (an edit form being closed). */
  destroy() {
    document.removeEventListener("selectionchange", this.onSelection);
  }

  inCard(node) {
    const element = node?.nodeType === Node.ELEMENT_NODE ? node : node?.parentElement;
    return Boolean(element?.closest(".media-item"));
  }

  onKey(event) {
    if (this.inCard(event.target) && event.target !== this.editor) {
      if (event.key === "Enter" && !mod(event)) event.preventDefault(); // no accidental form submission
      return;
    }
    if (!mod(event) || event.altKey) return;
    const key = event.key.toLowerCase();
    let cmd = null;
    if (!event.shiftKey && key === "b") cmd = "bold";
    else if (!event.shiftKey && key === "i") cmd = "italic";
    else if (!event.shiftKey && key === "k") cmd = "link";
    else if (event.shiftKey && event.code === "Digit9") cmd = "quote";
    else if (event.shiftKey && event.code === "KeyH") cmd = "subheading";
    else if (event.shiftKey && event.code === "Digit8") cmd = "list";
    if (!cmd) return;
    event.preventDefault();
    this.command(cmd);
  }

  restoreSelection() {
    const selection = document.getSelection();
    const inside = selection.rangeCount && this.editor.contains(selection.anchorNode) && !this.inCard(selection.anchorNode);
    this.editor.focus();
    if (inside) return; // the caret is where the person left it (the saved range may lag behind typing)
    if (this.range && this.editor.contains(this.range.startContainer)) {
      selection.removeAllRanges();
      selection.addRange(this.range);
    } else if (!this.editor.contains(selection.anchorNode)) {
      const range = document.createRange();
      range.selectNodeContents(this.editor);
      range.collapse(false);
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }

  blockFormat() {
    return (document.queryCommandValue("formatBlock") || "").toLowerCase();
  }

  command(cmd) {
    if (cmd === "link") { this.link(); return; }
    this.restoreSelection();
    if (cmd === "bold" || cmd === "italic") document.execCommand(cmd);
    else if (cmd === "quote") document.execCommand("formatBlock", false, this.blockFormat() === "blockquote" ? "p" : "blockquote");
    else if (cmd === "subheading") document.execCommand("formatBlock", false, this.blockFormat() === "h3" ? "p" : "h3");
    else if (cmd === "list") document.execCommand("insertUnorderedList");
    this.updateToolbar();
    this.onChange();
  }

  updateToolbar() {
    const state = {
      bold: document.queryCommandState("bold"),
      italic: document.queryCommandState("italic"),
      quote: this.blockFormat() === "blockquote",
      subheading: this.blockFormat() === "h3",
      list: document.queryCommandState("insertUnorderedList"),
    };
    for (const button of this.toolbar.querySelectorAll("button[data-cmd]")) {
      if (button.dataset.cmd in state) button.setAttribute("aria-pressed", String(Boolean(state[button.dataset.cmd])));
    }
  }

  async link() {
    this.restoreSelection();
    const selection = document.getSelection();
    // The live selection, not the one saved on "selectionchange", which may not have caught up yet.
    const range = selection.rangeCount ? selection.getRangeAt(0).cloneRange() : this.range?.cloneRange();
    const current = selection.anchorNode?.parentElement?.closest("a");
    const dialog = document.getElementById("link-dialog");
    const input = dialog.querySelector("#link-url");
    input.value = current?.getAttribute("href") || "";
    dialog.querySelector('[data-role="remove"]').hidden = !current;
    const answer = await new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue), { once: true });
      dialog.returnValue = "cancel";
      dialog.showModal();
      input.focus();
    });
    this.editor.focus();
    if (range) { selection.removeAllRanges(); selection.addRange(range); }
    const url = input.value.trim();
    if (answer === "remove") {
      document.execCommand("unlink");
    } else if (answer === "confirm" && url) {
      const href = /^(https?:|mailto:)/i.test(url) ? url : (url.includes("@") && !url.includes("/") ? `mailto:${url}` : `https://${url}`);
      if (selection.isCollapsed) document.execCommand("insertHTML", false, `<a href="${escapeHtml(href)}">${escapeHtml(url)}</a>`);
      else document.execCommand("createLink", false, href);
    }
    this.onChange();
  }

  // Pasting

  onPaste(event) {
    if (this.inCard(event.target) && event.target !== this.editor) return; // a field of a picture card
    const data = event.clipboardData;
    if (!data) return;
    const files = [...data.files].filter((f) => IMAGE_TYPES.test(f.type));
    if (files.length) {
      event.preventDefault();
      this.addFiles(files, this.range);
      return;
    }
    const html = data.getData("text/html");
    const text = data.getData("text/plain");
    if (!html && !text) return;
    event.preventDefault();
    const holder = document.createElement("div");
    if (html) {
      const dropped = { pictures: 0 };
      holder.append(cleanHtml(html, { dropped }));
      if (dropped.pictures) announce("Pictures in the pasted text were left out: add each with Image, so it gets alt text.");
    } else {
      holder.innerHTML = textToHtml(text);
    }
    const blocks = [...holder.children];
    if (blocks.length === 1 && blocks[0].tagName === "P") {
      document.execCommand("insertHTML", false, blocks[0].innerHTML); // one line: it joins the line it lands in
    } else if (blocks.length) {
      const selection = document.getSelection();
      let node = selection.rangeCount ? selection.anchorNode : null;
      if (node === this.editor) node = this.editor.childNodes[Math.max(0, selection.anchorOffset - 1)];
      const here = node ? topLevel(this.editor, node) : null;
      if (here && here !== this.editor && here.nodeType === Node.ELEMENT_NODE && here.tagName !== "P") {
        // Paragraphs pasted into a list item, subheading or quote go after it, not inside it.
        here.after(...blocks);
        const range = document.createRange();
        range.selectNodeContents(blocks[blocks.length - 1]);
        range.collapse(false);
        selection.removeAllRanges();
        selection.addRange(range);
      } else {
        document.execCommand("insertHTML", false, holder.innerHTML);
      }
    }
    this.onChange();
  }

  // Pictures and video cards

  /** Puts a card after the paragraph holding `range` (or at the end), with an empty paragraph after it. */
  placeCard(card, range) {
    const anchor = range && this.editor.contains(range.startContainer) ? topLevel(this.editor, range.startContainer) : null;
    if (anchor && anchor !== this.editor) anchor.after(card);
    else {
      const last = this.editor.lastChild;
      if (last && !last.classList?.contains("media-item") && !last.textContent.trim()) last.before(card);
      else this.editor.append(card);
    }
    this.padCards();
  }

  /** Keeps a paragraph around cards so that the caret can always get before and after them. */
  padCards() {
    for (const card of this.editor.querySelectorAll(":scope > .media-item")) {
      if (!card.nextSibling || card.nextSibling.classList?.contains("media-item")) card.after(emptyParagraph());
    }
    if (!this.editor.firstChild) this.clear();
  }

  addFiles(files, range = null) {
    const pictures = [...files].filter((f) => IMAGE_TYPES.test(f.type));
    if (!pictures.length) {
      announce("Only JPEG, PNG, WebP or GIF pictures can be added.");
      return;
    }
    let first = null;
    for (const file of pictures) {
      const card = this.card({ kind: "image", src: "", alt: "", caption: "", credit: "" });
      card.dataset.state = "uploading";
      const img = card.querySelector("img");
      const preview = URL.createObjectURL(file);
      img.src = preview;
      img.hidden = false;
      this.setCardState(card, `Uploading ${file.name}…`);
      this.placeCard(card, range);
      first ||= card;
      const upload = uploadImage(file).then((answer) => {
        const src = answer.block?.src || answer.src;
        card.dataset.src = src;
        card.dataset.state = "done";
        img.src = src;
        URL.revokeObjectURL(preview);
        this.setCardState(card, `Uploaded, ${answer.width}×${answer.height} pixels.`);
        this.onChange();
      }, (error) => {
        card.dataset.state = "failed";
        this.setCardState(card, `Not uploaded: ${error.message}`, true);
        announce(`The picture ${file.name} was not uploaded: ${error.message}`);
      }).finally(() => this.uploads.delete(upload));
      this.uploads.add(upload);
    }
    first?.querySelector("[data-field=alt]").focus();
    announce(pictures.length === 1 ? "Picture added; write its alt text." : `${pictures.length} pictures added; write their alt text.`);
    this.onChange();
  }

  addEmbed(url) {
    let host = "";
    try { host = new URL(url).hostname.replace(/^www\./, ""); } catch { /* checked when publishing */ }
    const card = this.card({ kind: "video", url, title: host ? `Post on ${host}` : "" });
    this.placeCard(card, this.range);
    const title = card.querySelector("[data-field=title]");
    title.focus();
    title.select();
    this.onChange();
  }

  setCardState(card, text, error = false) {
    const state = card.querySelector(".media-state");
    state.textContent = text;
    state.classList.toggle("is-error", error);
  }

  cardData(card) {
    const value = (name) => card.querySelector(`[data-field=${name}]`)?.value.trim() || "";
    if (card.dataset.kind === "video") return { kind: "video", url: value("url"), title: value("title") };
    return { kind: "image", src: card.dataset.src || "", alt: value("alt"), caption: value("caption"), credit: value("credit") };
  }

  cardFromFigure(figure) {
    if (figure.classList.contains("sp-video")) {
      const link = figure.querySelector("a[href]");
      const caption = figure.querySelector("figcaption")?.textContent.trim() || link?.textContent.trim() || "";
      return this.card({ kind: "video", url: link?.getAttribute("href") || "", title: caption.replace(/^Video:\s*/i, "") });
    }
    const img = figure.querySelector("img");
    const missing = figure.querySelector(".sp-image-missing");
    return this.card({
      kind: "image",
      src: img?.getAttribute("src") || "",
      alt: img?.getAttribute("alt") || missing?.getAttribute("aria-label") || "",
      caption: figure.querySelector(".sp-caption")?.textContent.trim() || "",
      credit: (figure.querySelector(".sp-credit")?.textContent.trim() || "").replace(/^Image:\s*/i, ""),
    });
  }

  /** A picture or video card: a block of the text, with its own labelled fields. */
  card(data) {
    const id = `media-${++counter}`;
    const card = document.createElement("figure");
    card.className = "media-item";
    card.contentEditable = "false";
    card.dataset.kind = data.kind;
    const field = (name, label, value, extra = "") => `
      <div class="field"><label for="${id}-${name}">${label}</label>
      <input id="${id}-${name}" data-field="${name}" value="${escapeHtml(value || "")}" autocomplete="off" ${extra}></div>`;
    if (data.kind === "video") {
      card.innerHTML = `
        <div class="media-thumb" aria-hidden="true">▶</div>
        <div class="media-fields">
          ${field("title", "Video or post title", data.title, 'required maxlength="300"')}
          ${field("url", "Link", data.url, 'type="url" required')}
          <div class="media-tools"><button type="button" class="button button--danger" data-do="remove-media">Remove video</button></div>
        </div>`;
    } else {
      card.dataset.src = data.src || "";
      card.dataset.state = data.src ? "done" : "missing";
      card.innerHTML = `
        <img alt="" src="">
        <div class="media-fields">
          ${field("alt", "Alt text (required)", data.alt, 'required maxlength="500"')}
          <div class="media-fields-row">
            ${field("caption", "Caption", data.caption, 'maxlength="500"')}
            ${field("credit", "Credit", data.credit, 'maxlength="200"')}
          </div>
          <div class="media-tools">
            <button type="button" class="button button--danger" data-do="remove-media">Remove picture</button>
            <p class="media-state" role="status"></p>
          </div>
        </div>`;
      if (data.src) card.querySelector("img").src = data.src;
      else card.querySelector("img").hidden = true;
    }
    card.querySelector('[data-do="remove-media"]').addEventListener("click", () => {
      const next = card.nextElementSibling;
      card.remove();
      this.padCards();
      announce("Removed.");
      if (next) { this.range = document.createRange(); this.range.setStart(next, 0); }
      this.restoreSelection();
      this.onChange();
    });
    card.addEventListener("input", () => this.onChange());
    return card;
  }
}

/** A picture or video as the figure the server turns into an image or video block. */
function figureHtml(data) {
  if (data.kind === "video") {
    return `<figure class="sp-video"><a href="${escapeHtml(data.url || "")}">${escapeHtml(data.title || "")}</a>` +
      `<figcaption>${escapeHtml(data.title || "")}</figcaption></figure>`;
  }
  const caption = data.caption ? `<span class="sp-caption">${escapeHtml(data.caption)}</span>` : "";
  const credit = data.credit ? ` <span class="sp-credit">${escapeHtml(data.credit)}</span>` : "";
  // A picture whose file is gone (imported from elsewhere) keeps its alt text, caption and credit.
  const picture = data.src ? `<img src="${escapeHtml(data.src)}" alt="${escapeHtml(data.alt || "")}">`
    : `<div class="sp-image-missing" aria-label="${escapeHtml(data.alt || "")}"></div>`;
  return `<figure class="sp-image">${picture}` +
    (caption || credit ? `<figcaption>${caption}${credit}</figcaption>` : "") + "</figure>";
}
