"""Entry bodies as *blocks*: parse what the desk typed or pasted, validate imported blocks, render.

Blocks are JSON-ready dicts and the one sanitised form of a body (reader HTML, plain text and
summaries are derived from them): paragraph{html}, subheading{text}, quote{html, cite},
list{ordered, items[html]}, image{src, alt, caption, credit}, video{url, title}. Every html field
is INLINE: only strong em b i code sub sup s mark br and <a href> (http, https, mailto).
An uploaded image also has media, width, height and widths (see `pictures.py`).
No web framework or template engine here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from html import escape, unescape

import lxml.html
import nh3
from lxml.html import HtmlElement
from markdown_it import MarkdownIt

from stoppress.core.errors import Invalid
from stoppress.core.models import Block
from stoppress.core.pictures import picture_html, upload_fields

FORMATS = ("html", "markdown", "text")
MAX_BODY_CHARS = 100_000
BLOCK_TYPES = ("paragraph", "subheading", "quote", "list", "image", "video")

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_KEPT_INLINE = frozenset({"strong", "em", "b", "i", "code", "sub", "sup", "s", "mark"})
# Elements that end a line of text. div/section/article/header/footer/h1/pre are allowed through
# nh3 (beyond the documented list) because stripping them would glue "<div>a</div><div>b</div>"
# into "ab"; they are only ever walked, never stored.
_LISTS_AND_MEDIA = frozenset({"ul", "ol", "li", "figure", "figcaption", "img"})
_BLOCK_TAGS = _HEADINGS | _LISTS_AND_MEDIA | {"p", "div", "section", "article", "header", "footer", "blockquote", "pre"}
_RAW_TEXT = " \t\n\r\f"  # HTML whitespace: a no-break space is content, not layout
_WS = re.compile(f"[{_RAW_TEXT}]+")
_EXTRA_WS = re.compile(f"[{_RAW_TEXT}]*[\t\n\r\f][{_RAW_TEXT}]*| {{2,}}")  # fewer hits than _WS
# lxml refuses these characters and we use \x01/\x02 as markers, so they never get in.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_HREF_OK = re.compile(r"(?i)^(https?:|mailto:)")
_HTTP_OK = re.compile(r"(?i)^https?://\S")
_SRC_OK = re.compile(r"(?i)^(https?://\S|/)")
_CREDIT_PREFIX = re.compile(r"(?i)^image:\s*")
_VIDEO_PREFIX = re.compile(r"(?i)^video:\s*")
_TAG = re.compile(r"<[^>]*>")
_REL = ' rel="nofollow noopener"'
_MD = MarkdownIt("commonmark").disable("table")

# Renders take the reader's translate callable (a blog's `Language.gettext`); the core knows no
# catalogues, so by default the labels stay in English, the source language.
Translate = Callable[[str], str]


def _identity(message: str) -> str:
    return message


def _style_marks(element: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: Google Docs marks bold/italic with styles, so keep only that meaning."""
    if attribute != "style":
        return value
    css = value.replace(" ", "").lower()
    bold, italic = re.search(r"font-weight:(bold|[6-9]00)", css), "font-style:italic" in css
    return " ".join(m for m, on in (("b", bold), ("i", italic)) if on) or None


# One prebuilt cleaner: building it per call costs more than cleaning a paragraph.
_CLEANER = nh3.Cleaner(
    tags=_BLOCK_TAGS | _KEPT_INLINE | {"a", "br", "cite", "small", "span"},
    clean_content_tags={"script", "style", "iframe", "noscript", "template", "object", "svg", "math", "title", "xml"},
    attributes={
        "a": {"href"},
        "img": {"src", "alt", "title"},
        "figure": {"class"},
        "span": {"class", "style"},
        "div": {"class", "aria-label"},
    },
    attribute_filter=_style_marks,
    url_schemes={"http", "https", "mailto"},
    link_rel=None,  # stored hrefs stay clean; rel is added when rendering
)


def _squash(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _fragment(html: str) -> HtmlElement:
    # Three times faster than lxml.html.fragment_fromstring, and <body> holds any fragment.
    return lxml.html.document_fromstring("<body>" + html).find("body")


def _serial(node: HtmlElement, depth: int = 0, rel: bool = False) -> str:
    """Node's markup as INLINE; block boundaries at depth 0 become \\x01 markers for _finish."""
    tag = node.tag
    if not isinstance(tag, str) or tag == "img":  # comments; pictures can't sit inside a line
        return ""
    if tag == "br":
        return "<br>"
    inner_depth = depth + (tag in _KEPT_INLINE or tag == "a" or bool(node.get("style")))
    inner = escape(node.text or "", quote=False) + "".join(
        _serial(child, inner_depth, rel) + escape(child.tail or "", quote=False) for child in node
    )
    if not inner:
        return ""
    if tag in _KEPT_INLINE:
        return f"<{tag}>{inner}</{tag}>"
    if tag == "a" and _HREF_OK.match(href := (node.get("href") or "").strip()):
        return f'<a href="{escape(href)}"{_REL if rel else ""}>{inner}</a>'
    for mark in (node.get("style") or "").split() if tag == "span" else ():
        inner = {"b": f"<strong>{inner}</strong>", "i": f"<em>{inner}</em>"}.get(mark, inner)
    if tag in _BLOCK_TAGS:  # inside a kept tag a marker would split it, so a line break instead
        return f"{inner}<br>" if depth else f"\x01{inner}\x01"
    return inner


def _tidy(html: str) -> str:
    html = _EXTRA_WS.sub(" ", html).replace(" <br>", "<br>").replace("<br> ", "<br>").strip(" ")
    while html.startswith("<br>"):
        html = html[4:]
    while html.endswith("<br>"):
        html = html[:-4]
    return html


def _finish(marked: str) -> str:
    """Joins the text between block markers as paragraphs-within-a-block: a blank line apart."""
    return "<br><br>".join(p for p in (_tidy(part) for part in marked.split("\x01")) if p)


def _has_text(html: str) -> bool:
    # Only called on _serial output, where every "<" and ">" outside a tag is escaped.
    return bool(unescape(_TAG.sub("", html)).strip())


def _clean_inline(html: str, rel: bool = False) -> str:
    root = _fragment(_CLEANER.clean(_UNSAFE_CHARS.sub("", html)))
    return _finish(_serial(root, 0, rel))


def inline_text(html: str) -> str:
    """Inline HTML to plain text: tags dropped, entities decoded, <br> as a newline."""
    if not html:
        return ""
    root = _fragment(html)
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return str(root.text_content())


def _walk(el: HtmlElement, out: list[Block], loose: bool) -> None:
    """Appends the blocks in el's content; loose inline runs between blocks become paragraphs."""
    pending: list[str | HtmlElement] = [el.text or ""]
    for child in el:
        # An inline element wrapping blocks (Google Docs wraps everything in <b>) is a container.
        if isinstance(child.tag, str) and any(d.tag in _BLOCK_TAGS for d in child.iter()):
            _flush(pending, out, loose)
            pending = []
            _block(child, out)
        else:
            pending.append(child)
        pending.append(child.tail or "")
    _flush(pending, out, loose)


def _flush(pending: list[str | HtmlElement], out: list[Block], loose: bool) -> None:
    # A top-level <br> is marked so that <br><br> in loose text can split it into paragraphs.
    joined = "".join(
        escape(p, quote=False) if isinstance(p, str) else "\x02" if p.tag == "br" else _serial(p, 1) for p in pending
    )
    for part in re.split(f"\x02(?:[{_RAW_TEXT}]*\x02)+", joined) if loose else [joined]:
        html = _tidy(part.replace("\x02", "<br>"))
        if _has_text(html):
            out.append({"type": "paragraph", "html": html})


def _block(el: HtmlElement, out: list[Block]) -> None:
    tag = el.tag
    if tag in _HEADINGS:
        if text := _squash(el.text_content()):
            out.append({"type": "subheading", "text": text})
    elif tag == "blockquote":
        _quote(el, out)
    elif tag in ("ul", "ol"):
        if items := _list_items(el):
            out.append({"type": "list", "ordered": tag == "ol", "items": items})
    elif tag == "figure":
        _figure(el, out)
    elif tag == "img":
        out.append(_image(el, el.get("title", ""), ""))
    elif tag == "pre":
        code = escape(el.text_content().strip("\n"), quote=False).replace("\n", "<br>")
        out.append({"type": "paragraph", "html": f"<code>{code}</code>"})
    else:
        _walk(el, out, loose=tag != "p")


def _quote(el: HtmlElement, out: list[Block]) -> None:
    cite, kids = "", [k for k in el if isinstance(k.tag, str)]
    last = kids[-1] if kids and not _squash(kids[-1].tail or "") else None
    if last is not None:  # attribution: a trailing <cite>/<footer>, <p><cite>, or "— Name" line
        text = _squash(last.text_content())
        lone_cite = last.tag == "p" and [k.tag for k in last] == ["cite"] and text == _squash(last[0].text_content())
        dashed = last.tag == "p" and len(kids) > 1 and text.startswith(("—", "―", "–"))
        if last.tag in ("cite", "footer") or lone_cite or dashed:
            cite = text.lstrip("—―–- ")
            last.drop_tree()
    html = _finish(_serial(el))
    if _has_text(html):
        out.append({"type": "quote", "html": html, "cite": cite})


def _list_items(el: HtmlElement) -> list[str]:
    items: list[str] = []
    for li in el.findall("li"):
        # Nested lists are flattened after their parent item: blocks have no nesting.
        nested = [k for k in li if k.tag in ("ul", "ol")]
        for sub in nested:
            sub.drop_tree()
        if _has_text(html := _finish(_serial(li))):
            items.append(html)
        for sub in nested:
            items.extend(_list_items(sub))
    return items


def _figure(el: HtmlElement, out: list[Block]) -> None:
    caption_el = el.find(".//figcaption")
    if "sp-video" in (el.get("class") or "").split():  # our own video card, read back
        link = el.find(".//a[@href]")
        title = _squash((caption_el if caption_el is not None else el).text_content())
        url = "" if link is None else link.get("href", "")
        out.append({"type": "video", "url": url, "title": _VIDEO_PREFIX.sub("", title)})
        return
    pictures = [n for n in el.iter("img", "div") if n.tag == "img" or "sp-image-missing" in (n.get("class") or "")]
    if not pictures:
        _walk(el, out, loose=True)
        return
    caption = credit = ""
    if caption_el is not None:
        marks = [n for n in caption_el.iter("span", "small") if n.tag == "small" or "credit" in (n.get("class") or "")]
        credit = _CREDIT_PREFIX.sub("", _squash(" ".join(n.text_content() for n in marks)))
        for mark in marks:
            mark.drop_tree()
        caption = _squash(caption_el.text_content())
    for picture in pictures[:-1]:  # the caption belongs to the last picture
        out.append(_image(picture, "", ""))
    out.append(_image(pictures[-1], caption, credit))


def _image(node: HtmlElement, caption: str, credit: str) -> Block:
    if node.tag == "img":
        src, alt, caption = node.get("src", "").strip(), node.get("alt", ""), caption or node.get("title", "")
        src = src if _SRC_OK.match(src) else ""  # a pasted "photo.jpg" is a picture we do not have
    else:  # the placeholder render_html draws for a picture whose file we do not have
        src, alt = "", node.get("aria-label", "")
    return {"type": "image", "src": src, "alt": alt, "caption": caption, "credit": credit}


def parse_body(body: str, fmt: str = "html") -> list[Block]:
    """Turns a body as typed or pasted (html, markdown or plain text) into sanitised blocks."""
    if fmt not in FORMATS:
        raise Invalid(f"Unknown body format {fmt!r}; use one of: {', '.join(FORMATS)}.", field="format")
    if not isinstance(body, str):
        raise Invalid("The body must be text.", field="body")
    if len(body) > MAX_BODY_CHARS:
        raise Invalid(
            f"The body is {len(body):,} characters; the limit is {MAX_BODY_CHARS:,}. "
            "Split the update into two entries.",
            field="body",
        )
    body = _UNSAFE_CHARS.sub("", body)
    blocks: list[Block] = []
    if fmt == "text":
        body = escape(body.replace("\r\n", "\n").replace("\r", "\n"), quote=False)
        blocks = [{"type": "paragraph", "html": para.replace("\n", "<br>")} for para in re.split(r"\n[ \t]*\n", body)]
    else:
        source = _MD.render(body) if fmt == "markdown" else body
        _walk(_fragment(_CLEANER.clean(source)), blocks, loose=True)
        # A picture or video card left with nothing (e.g. its unsafe src removed) is not worth an error.
        blocks = [b for b in blocks if any(v for k, v in b.items() if k != "type")]
    blocks = _normalize(blocks, "body")
    if not blocks:
        removed = "" if fmt == "text" else " once unsupported markup is removed"
        raise Invalid(f"The body is empty{removed}. Write some text.", field="body")
    return blocks


def _text(raw: Block, where: str, field: str, key: str) -> str:
    if not isinstance(value := raw.get(key), str | None):
        raise Invalid(f'{where}: "{key}" must be text.', field=field)
    return _UNSAFE_CHARS.sub("", value or "").strip()


def normalize_blocks(blocks: object) -> list[Block]:
    """Validates and re-sanitises blocks from an import or the API; empty text blocks are dropped."""
    return _normalize(blocks, "blocks")


def _normalize(blocks: object, field: str) -> list[Block]:
    if not isinstance(blocks, list):
        raise Invalid('Blocks must be a list of objects, each with a "type".', field=field)
    out: list[Block] = []
    for n, raw in enumerate(blocks, 1):
        kind = raw.get("type") if isinstance(raw, dict) else None
        if kind not in BLOCK_TYPES:
            what = f"has unknown type {kind!r}" if isinstance(raw, dict) else "is not an object"
            raise Invalid(f"Block {n} {what}; the types are: {', '.join(BLOCK_TYPES)}.", field=field)
        where = f"Block {n} ({kind})"
        text = partial(_text, raw, where, field)

        if kind in ("paragraph", "quote"):
            html = _clean_inline(text("html"))
            if _has_text(html):
                out.append({"type": kind, "html": html})
                if kind == "quote":
                    out[-1]["cite"] = _squash(text("cite"))
        elif kind == "subheading":
            if heading := _squash(text("text")):
                out.append({"type": kind, "text": heading})
        elif kind == "list":
            items, ordered = raw.get("items") or [], raw.get("ordered", False)
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise Invalid(f'{where}: "items" must be a list of text.', field=field)
            if not isinstance(ordered, bool):
                raise Invalid(f'{where}: "ordered" must be true or false.', field=field)
            if cleaned := [h for h in map(_clean_inline, items) if _has_text(h)]:
                out.append({"type": kind, "ordered": ordered, "items": cleaned})
        elif kind == "image":
            src, alt, caption = text("src"), _squash(text("alt")), _squash(text("caption"))
            upload = upload_fields(raw, where, field)
            src = upload.pop("src", src)  # an uploaded picture's own JPEG, whatever was sent
            if src and not _SRC_OK.match(src):
                raise Invalid(f"{where} needs a picture address starting with https:// or /.", field=field)
            if not alt and (src or not caption):
                raise Invalid(f"{where} needs alt text describing the picture.", field=field)
            credit = _CREDIT_PREFIX.sub("", _squash(text("credit")))  # render_html adds "Image: "
            out.append({"type": kind, "src": src, "alt": alt, "caption": caption, "credit": credit, **upload})
        else:
            url, title = text("url"), _squash(text("title"))
            if url and not _HTTP_OK.match(url):
                raise Invalid(f"{where} needs a link starting with https://.", field=field)
            if not title:
                raise Invalid(f"{where} needs a title saying what the video shows.", field=field)
            out.append({"type": kind, "url": url, "title": title})
    return out


def _get(block: Block, key: str) -> str:
    value = block.get(key)
    return value if isinstance(value, str) else ""


def render_html(blocks: list[Block], gettext: Translate | None = None) -> str:
    """Safe HTML for the reader page; inline fields are re-sanitised, links get rel=nofollow.

    `gettext` translates the labels ("Image: ...", "Video: ...") into the blog's language.
    """
    _ = gettext or _identity
    parts: list[str] = []
    for b in blocks:
        kind = b.get("type")
        if kind == "paragraph":
            parts.append(f"<p>{_clean_inline(_get(b, 'html'), True)}</p>")
        elif kind == "subheading":
            parts.append(f"<h3>{escape(_get(b, 'text'))}</h3>")  # entries sit under an h2 title
        elif kind == "quote":
            cite = f"<cite>{escape(c)}</cite>" if (c := _get(b, "cite")) else ""
            parts.append(f"<blockquote><p>{_clean_inline(_get(b, 'html'), True)}</p>{cite}</blockquote>")
        elif kind == "list":
            tag = "ol" if b.get("ordered") is True else "ul"
            items = [f"<li>{_clean_inline(i, True)}</li>" for i in b.get("items") or [] if isinstance(i, str)]
            parts.append(f"<{tag}>{''.join(items)}</{tag}>")
        elif kind == "image":
            parts.append(_render_image(b, _))
        elif kind == "video":
            title, url = escape(_get(b, "title")), _get(b, "url")
            head = f'<p class="sp-video-title">{title}</p>'
            if _HTTP_OK.match(url):
                head = (
                    f'<a class="sp-video-link" href="{escape(url)}"{_REL}>'
                    f'<span aria-hidden="true">▶</span> <span>{title}</span></a>'
                )
            caption = escape(_("Video: %(title)s")) % {"title": title}
            parts.append(f'<figure class="sp-video">{head}<figcaption>{caption}</figcaption></figure>')
    return "\n".join(parts)


def _render_image(b: Block, _: Translate) -> str:
    src, alt = _get(b, "src"), escape(_get(b, "alt"))
    if picture := picture_html(b, alt):
        media = picture
    elif src and _SRC_OK.match(src):
        media = f'<img src="{escape(src)}" alt="{alt}" loading="lazy" decoding="async">'
    else:  # keep caption and credit visible for a picture whose file we do not have
        # The alt text stands in for the picture, visibly; screen readers get it once, from the label.
        label = f'role="img" aria-label="{alt}"' if alt else 'aria-hidden="true"'
        media = f'<div class="sp-image-missing" {label}><span aria-hidden="true">{alt}</span></div>'
    caption, credit = escape(_get(b, "caption")), escape(_get(b, "credit"))
    bits = [
        f'<span class="sp-caption">{caption}</span>' if caption else "",
        f'<span class="sp-credit">{escape(_("Image: %(credit)s")) % {"credit": credit}}</span>' if credit else "",
    ]
    figcaption = f"<figcaption>{' '.join(filter(None, bits))}</figcaption>" if caption or credit else ""
    return f'<figure class="sp-image">{media}{figcaption}</figure>'


def render_text(blocks: list[Block], gettext: Translate | None = None) -> str:
    """Plain text as a text browser shows the entry: blocks a blank line apart; labels via `gettext`."""
    _ = gettext or _identity
    parts: list[str] = []
    for b in blocks:
        kind = b.get("type")
        if kind == "paragraph":
            parts.append(inline_text(_get(b, "html")))
        elif kind == "subheading":
            parts.append(_get(b, "text"))
        elif kind == "quote":
            cite = f"\n— {c}" if (c := _get(b, "cite")) else ""
            parts.append(inline_text(_get(b, "html")) + cite)
        elif kind == "list":
            items = [inline_text(i) for i in b.get("items") or [] if isinstance(i, str)]
            ordered = b.get("ordered") is True
            parts.append("\n".join(f"{n}. {i}" if ordered else f"- {i}" for n, i in enumerate(items, 1)))
        elif kind == "image":
            alt, caption, credit = _get(b, "alt"), _get(b, "caption"), _get(b, "credit")
            line = " ".join(x for x in (caption, _("Image: %(credit)s") % {"credit": credit} if credit else "") if x)
            parts.append("\n".join(x for x in (alt if alt != caption else "", line) if x))
        elif kind == "video":
            parts.append("\n".join(x for x in (_get(b, "title"), _get(b, "url")) if x))
    return "\n\n".join(p for p in parts if p)


def summary(blocks: list[Block], limit: int = 200) -> str:
    """The opening paragraph text, cut at a word with "…" past `limit`: for feeds and meta tags."""
    texts = [inline_text(_get(b, "html")) for b in blocks if b.get("type") == "paragraph"]
    text = " ".join((" ".join(texts) if texts else render_text(blocks)).split())
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]  # leave room for the ellipsis
    if text[len(cut)] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–—") + "…"


def images(blocks: list[Block]) -> list[Block]:
    """The image blocks, in order (for galleries, og:image and structured data)."""
    return [b for b in blocks if b.get("type") == "image"]


def videos(blocks: list[Block]) -> list[Block]:
    """The video blocks, in order."""
    return [b for b in blocks if b.get("type") == "video"]
