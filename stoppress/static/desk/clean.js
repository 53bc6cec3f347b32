// Pasted HTML (Word, Google Docs, web pages) to the small set of markup an entry can hold:
// paragraphs, subheadings, quotes, bulleted and numbered lists; bold, italic and links inside them.
// The server sanitises again (core/content.py); cleaning here shows the reporter what will be published.

const SKIP = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT", "IFRAME", "OBJECT", "EMBED", "SVG", "MATH", "TITLE",
  "META", "LINK", "HEAD", "BUTTON", "INPUT", "SELECT", "TEXTAREA", "VIDEO", "AUDIO", "CANVAS", "O:P", "XML"]);
const HEADINGS = new Set(["H1", "H2", "H3", "H4", "H5", "H6"]);
const BLOCKS = new Set(["P", "DIV", "SECTION", "ARTICLE", "HEADER", "FOOTER", "MAIN", "ASIDE", "NAV", "ADDRESS",
  "CENTER", "PRE", "TABLE", "THEAD", "TBODY", "TFOOT", "TR", "TD", "TH", "CAPTION", "DL", "DT", "DD", "FIGURE",
  "FIGCAPTION", "BLOCKQUOTE", "UL", "OL", "LI", "HR", "FORM", "FIELDSET", "DETAILS", "SUMMARY", ...HEADINGS]);
const LINK_OK = /^(https?:|mailto:)/i;
const BULLET = /^[\s\u00a0]*([·•▪◦‣o§\-–*]|\d{1,3}[.)]|[a-z][.)]|[ivx]{1,4}[.)])[\s\u00a0]+/i;

export const escapeHtml = (text) => String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function hasBlock(element) {
  for (const child of element.querySelectorAll("*")) if (BLOCKS.has(child.tagName)) return true;
  return false;
}

function styleMarks(element) {
  const style = (element.getAttribute("style") || "").replace(/\s+/g, "").toLowerCase();
  return {
    bold: /font-weight:(bold|[6-9]00)/.test(style),
    notBold: /font-weight:(normal|[1-4]00)/.test(style),
    italic: style.includes("font-style:italic"),
  };
}

/** The inline content of `node` as clean nodes: text, <strong>, <em>, <a href>, <br>. */
function inline(node, out, doc) {
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) {
      out.append(doc.createTextNode(child.data.replace(/[\t\n\r\f ]+/g, " ")));
      continue;
    }
    if (child.nodeType !== Node.ELEMENT_NODE || SKIP.has(child.tagName) || child.tagName === "IMG") continue;
    if (/mso-list:\s*ignore/i.test(child.getAttribute("style") || "")) continue; // Word's list bullets
    const tag = child.tagName;
    let wrapper = null;
    const marks = styleMarks(child);
    if ((tag === "B" || tag === "STRONG") && !marks.notBold) wrapper = doc.createElement("strong");
    else if (tag === "I" || tag === "EM") wrapper = doc.createElement("em");
    else if (tag === "BR") { out.append(doc.createElement("br")); continue; }
    else if (tag === "A" && LINK_OK.test((child.getAttribute("href") || "").trim())) {
      wrapper = doc.createElement("a");
      wrapper.setAttribute("href", child.getAttribute("href").trim());
    } else if (tag === "SPAN" && (marks.bold || marks.italic)) {
      wrapper = doc.createElement(marks.bold ? "strong" : "em");
      if (marks.bold && marks.italic) {
        const inner = doc.createElement("em");
        inline(child, inner, doc);
        if (inner.textContent.trim()) wrapper.append(inner);
        if (wrapper.textContent) out.append(wrapper);
        continue;
      }
    }
    if (wrapper) {
      inline(child, wrapper, doc);
      if (wrapper.textContent.trim() || wrapper.querySelector("br")) out.append(wrapper);
      else out.append(...wrapper.childNodes);
    } else if (BLOCKS.has(tag)) {
      // A block inside a line (e.g. <p> in <li>) becomes a line break.
      if (out.lastChild) out.append(doc.createElement("br"));
      inline(child, out, doc);
    } else {
      inline(child, out, doc);
    }
  }
  return out;
}

function tidy(element) {
  // Trim leading/trailing spaces and <br>s of a block.
  while (element.firstChild && ((element.firstChild.nodeType === Node.TEXT_NODE && !element.firstChild.data.trim()) || element.firstChild.nodeName === "BR")) element.firstChild.remove();
  while (element.lastChild && ((element.lastChild.nodeType === Node.TEXT_NODE && !element.lastChild.data.trim()) || element.lastChild.nodeName === "BR")) element.lastChild.remove();
  if (element.firstChild?.nodeType === Node.TEXT_NODE) element.firstChild.data = element.firstChild.data.replace(/^\s+/, "");
  if (element.lastChild?.nodeType === Node.TEXT_NODE) element.lastChild.data = element.lastChild.data.replace(/\s+$/, "");
  return element;
}

const hasText = (element) => element.textContent.replace(/\u00a0/g, " ").trim() !== "";

/** Word marks list items as paragraphs with "mso-list" styles: make them real lists first. */
function wordLists(root) {
  const isItem = (el) => el?.nodeType === Node.ELEMENT_NODE && el.tagName === "P" &&
    (/mso-list/i.test(el.getAttribute("style") || "") || /^MsoListParagraph/.test(el.className || ""));
  for (const p of [...root.querySelectorAll("p")]) {
    if (!p.isConnected || !isItem(p)) continue;
    const doc = p.ownerDocument;
    const marker = p.querySelector('[style*="mso-list"]')?.textContent || p.textContent;
    const list = doc.createElement(/^[\s\u00a0]*(\d{1,3}|[a-z]|[ivx]{1,4})[.)]/i.test(marker) ? "ol" : "ul");
    p.before(list);
    let item = p;
    while (isItem(item)) {
      const next = item.nextElementSibling;
      const li = doc.createElement("li");
      li.append(...item.childNodes);
      list.append(li);
      item.remove();
      item = next;
    }
  }
}

/**
 * Clean HTML as a fragment of top-level blocks. With `media`, our own picture and video figures are
 * handed to `media(figure)`, which returns the node to keep (the editor's picture card); otherwise
 * pictures are left out and counted in `dropped.pictures`.
 */
export function cleanHtml(html, { media = null, dropped = { pictures: 0 } } = {}) {
  const source = new DOMParser().parseFromString(html, "text/html").body;
  wordLists(source);
  const doc = document;
  const out = doc.createDocumentFragment();
  let para = null;

  const flush = () => {
    if (para) {
      tidy(para);
      if (hasText(para)) out.append(para);
    }
    para = null;
  };

  const items = (list, target) => {
    for (const child of list.children) {
      if (child.tagName === "UL" || child.tagName === "OL") { items(child, target); continue; }
      if (child.tagName !== "LI") continue;
      const nested = [...child.children].filter((c) => c.tagName === "UL" || c.tagName === "OL");
      nested.forEach((n) => n.remove());
      const li = tidy(inline(child, doc.createElement("li"), doc));
      if (li.firstChild?.nodeType === Node.TEXT_NODE) li.firstChild.data = li.firstChild.data.replace(BULLET, "");
      if (hasText(li)) target.append(li);
      nested.forEach((n) => items(n, target));
    }
  };

  const walk = (node) => {
    for (const child of [...node.childNodes]) {
      if (child.nodeType === Node.TEXT_NODE) {
        if (child.data.trim() || para) (para ||= doc.createElement("p")).append(doc.createTextNode(child.data.replace(/[\t\n\r\f ]+/g, " ")));
        continue;
      }
      if (child.nodeType !== Node.ELEMENT_NODE || SKIP.has(child.tagName)) continue;
      const tag = child.tagName;
      if (tag === "IMG") { dropped.pictures += 1; continue; }
      if (tag === "FIGURE" && media && /\bsp-(image|video)\b/.test(child.className)) {
        flush();
        const kept = media(child);
        if (kept) out.append(kept);
        continue;
      }
      if (HEADINGS.has(tag)) {
        flush();
        const text = child.textContent.replace(/\s+/g, " ").trim();
        if (text) { const h = doc.createElement("h3"); h.textContent = text; out.append(h); }
      } else if (tag === "BLOCKQUOTE") {
        flush();
        const quote = doc.createElement("blockquote");
        const inner = cleanHtml(child.innerHTML, { dropped });
        for (const block of [...inner.childNodes]) {
          if (block.tagName === "P") quote.append(block);
          else if (block.textContent.trim()) { const p = doc.createElement("p"); p.textContent = block.textContent; quote.append(p); }
        }
        if (hasText(quote)) out.append(quote);
      } else if (tag === "UL" || tag === "OL") {
        flush();
        const list = doc.createElement(tag.toLowerCase());
        items(child, list);
        if (list.children.length) out.append(list);
      } else if (tag === "BR") {
        // Two line breaks in a row end a paragraph.
        if (para?.lastChild?.nodeName === "BR") { para.lastChild.remove(); flush(); } else if (para) para.append(doc.createElement("br"));
      } else if (BLOCKS.has(tag) || hasBlock(child)) {
        // Google Docs wraps everything in <b style="font-weight:normal">: a container, not bold.
        flush();
        if (tag === "PRE") {
          const p = doc.createElement("p");
          child.textContent.split("\n").forEach((line, n) => { if (n) p.append(doc.createElement("br")); p.append(line); });
          para = p;
        } else {
          walk(child);
        }
        flush();
      } else {
        const holder = doc.createElement("span");
        inline({ childNodes: [child] }, holder, doc);
        if (holder.childNodes.length) (para ||= doc.createElement("p")).append(...holder.childNodes);
      }
    }
  };
  walk(source);
  flush();
  return out;
}

/** Plain text to paragraphs: a blank line between paragraphs, a line break within one. */
export function textToHtml(text) {
  return text.replace(/\r\n?/g, "\n").split(/\n[ \t]*\n/).map((para) => para.trim())
    .filter(Boolean).map((para) => `<p>${escapeHtml(para).replace(/\n/g, "<br>")}</p>`).join("");
}
