"""Blogs in and out: import schema.org LiveBlogPosting JSON-LD or a Stop Press export; export a blog.

An import is read and validated whole into a `_Plan` before the first write, so a bad document changes
nothing. The plan is then replayed through the `Newsroom` use cases, each with the newsroom's clock set
to when it happened in the source, so the times the use cases stamp themselves (an entry's creation, a
blog's end, its key points' update) come back as they were exported.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from html import escape
from typing import Any, TypeVar
from urllib.parse import urlsplit

from stoppress.core import content
from stoppress.core.errors import Invalid
from stoppress.core.models import Blog, BlogStatus, EntryStatus, User
from stoppress.core.services import Newsroom
from stoppress.core.validation import CODE_RE, SLUG_RE, clean_text, parse_time, slugify

T = TypeVar("T")
EXPORT_VERSION = 1
_PAGE = 200
_ENTRY_KEYS = (
    "code", "title", "blocks", "status", "key_event", "pinned", "author", "published_at", "updated_at",
    "correction", "review_note", "publish_at",
)


@dataclass(slots=True)
class _Plan:
    """Everything an import will write, already validated: the blog, then its entries oldest first."""

    blog: dict[str, Any]
    entries: list[tuple[dict[str, Any], datetime | None]] = field(default_factory=list)  # (data, created_at)
    status: BlogStatus = BlogStatus.LIVE
    ended_at: datetime | None = None
    updated_at: datetime | None = None
    key_points_updated_at: datetime | None = None


async def export_blog(newsroom: Newsroom, slug: str) -> dict[str, Any]:
    """A full-fidelity export of a blog and all its entries (drafts too), oldest entry first."""
    blog = await newsroom.get_blog(slug)
    newest_first: list[dict[str, Any]] = []
    seen: set[str] = set()
    offset = 0
    while True:
        page = await newsroom.storage.list_entries(
            blog.id or 0, statuses=tuple(EntryStatus), offset=offset, limit=_PAGE
        )
        for entry in page.entries:
            if entry.code not in seen:  # an entry published while we read shifts the pages by one
                seen.add(entry.code)
                newest_first.append(entry.snapshot())
        offset += _PAGE
        if not page.entries or offset >= page.total:
            break
    return {"stoppress_export": EXPORT_VERSION, "blog": blog.snapshot(), "entries": newest_first[::-1]}


async def import_document(newsroom: Newsroom, actor: User, document: Any, *, slug: str | None = None) -> Blog:
    """Creates a blog from a LiveBlogPosting JSON-LD document or a Stop Press export and returns it.

    Raises Invalid, having written nothing, when the document is neither, is incomplete, or uses a short
    code this database already has (codes are never renamed: old short links must keep working). A taken
    slug gets -2, -3 ... appended.
    """
    if isinstance(document, dict) and "stoppress_export" in document:
        plan = _plan_export(document)
    else:
        plan = _plan_json_ld(_find_posting(document), newsroom.clock())
    await _check_codes(newsroom, plan)
    wanted = slug if slug is not None else plan.blog.get("slug") or slugify(plan.blog["title"]) or "blog"
    plan.blog["slug"] = await _free_slug(newsroom, wanted)
    return await _replay(newsroom, actor, plan)


# Writing


def _at(newsroom: Newsroom, moment: datetime | None) -> Newsroom:
    """The newsroom with its clock at `moment`, to replay a change at the time it happened."""
    if moment is None:
        return newsroom
    fixed: datetime = moment
    replay = copy.copy(newsroom)
    replay.clock = lambda: fixed
    return replay


async def _replay(newsroom: Newsroom, actor: User, plan: _Plan) -> Blog:
    blog = await newsroom.create_blog(actor, plan.blog)
    slug = blog.slug
    for data, created_at in plan.entries:
        await _at(newsroom, created_at).create_entry(actor, slug, data)
    if plan.key_points_updated_at and plan.key_points_updated_at != blog.key_points.updated_at:
        await _at(newsroom, plan.key_points_updated_at).set_key_points(actor, slug, blog.key_points.items)
    if plan.status is BlogStatus.ENDED:
        await _at(newsroom, plan.ended_at).update_blog(actor, slug, {"status": str(BlogStatus.ENDED)})
    blog = await newsroom.get_blog(slug)
    if plan.updated_at and blog.updated_at != plan.updated_at:
        # Every write above moved the blog's "last updated"; put back the source's own time.
        await _at(newsroom, plan.updated_at).update_blog(actor, slug, {"title": blog.title})
        blog = await newsroom.get_blog(slug)
    return blog


async def _check_codes(newsroom: Newsroom, plan: _Plan) -> None:
    seen: set[str] = set()
    for code in [plan.blog.get("code")] + [data.get("code") for data, _ in plan.entries]:
        if not code:
            continue
        if code in seen:
            raise Invalid(f"The short code {code!r} is used twice in this document; each must be unique.", field="code")
        seen.add(code)
        found = await newsroom.storage.resolve_code(code)
        if found is not None or await newsroom.storage.code_taken(code):
            owner = f" by {'an entry of ' if found[1] else ''}the blog {found[0]!r}" if found else ""
            raise Invalid(
                f"The short code {code!r} is already used{owner} in this database: was this blog imported "
                "before? Codes are never renamed, so that old short links keep working; import into another "
                "database, or remove the code from the document to have a new one given.",
                field="code",
            )


async def _free_slug(newsroom: Newsroom, wanted: Any) -> str:
    if not isinstance(wanted, str) or not SLUG_RE.match(wanted) or len(wanted) > 80:
        raise Invalid(
            f"{wanted!r} cannot be a blog's slug: use lowercase letters, digits and single dashes, up to 80 "
            "characters (e.g. 'ukraine-updates').",
            field="slug",
        )
    candidate, n = wanted, 1
    while await newsroom.storage.get_blog(candidate) is not None:
        n += 1
        candidate = f"{wanted[: 79 - len(str(n))].rstrip('-')}-{n}"
    return candidate


# Reading a Stop Press export


def _plan_export(document: dict[str, Any]) -> _Plan:
    if document.get("stoppress_export") != EXPORT_VERSION:
        raise Invalid(
            f"This Stop Press export has format {document.get('stoppress_export')!r}; this version reads format "
            f"{EXPORT_VERSION}. Import it with the version of Stop Press that wrote it, or a newer one."
        )
    blog, entries = document.get("blog"), document.get("entries", [])
    key_points = (blog.get("key_points") or {}) if isinstance(blog, dict) else None
    if not isinstance(blog, dict) or not isinstance(entries, list) or not isinstance(key_points, dict):
        raise Invalid('A Stop Press export needs a "blog" object (with "key_points" an object) and an "entries" list.')
    if blog.get("status", "live") not in tuple(BlogStatus):
        raise Invalid("The blog's status must be 'live' or 'ended'.", field="status")
    keys = ("slug", "code", "title", "description", "publisher", "published_at", "updated_at", "lead_image", "timezone")
    plan = _Plan(
        blog={
            **{k: blog.get(k) for k in keys},
            "language": blog.get("language") or "en",
            "sections": blog.get("sections") or [],
            "key_points": key_points.get("items") or [],
        },
        status=BlogStatus(blog.get("status", "live")),
        ended_at=parse_time(blog.get("ended_at"), "ended_at"),
        updated_at=parse_time(blog.get("updated_at"), "updated_at"),
        key_points_updated_at=parse_time(key_points.get("updated_at"), "key_points.updated_at"),
    )
    _check_blog(plan.blog)
    for n, raw in enumerate(entries, 1):
        if not isinstance(raw, dict):
            raise Invalid(f"Entry {n} of the export is not an object.", field="entries")
        data = {k: raw[k] for k in _ENTRY_KEYS if raw.get(k) is not None}
        created_at = _named("Entry", n, raw, partial(parse_time, raw.get("created_at"), "created_at"))
        plan.entries.append((_check_entry("Entry", n, data), created_at))
    plan.entries.sort(key=lambda pair: _oldest_first(pair[0]))  # stable: ties keep the export's order
    return plan


# Reading schema.org JSON-LD


def _is_posting(node: Any) -> bool:
    types = node.get("@type") if isinstance(node, dict) else None
    # "LiveBlogPosting", "schema:LiveBlogPosting" or "https://schema.org/LiveBlogPosting", maybe among others
    names = [t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for t in _many(types) if isinstance(t, str)]
    return "LiveBlogPosting" in names


def _find_posting(document: Any) -> dict[str, Any]:
    nodes = list(document) if isinstance(document, list) else [document]
    if isinstance(document, dict) and isinstance(document.get("@graph"), list):
        nodes += document["@graph"]
    postings = [node for node in nodes if _is_posting(node)]
    if len(postings) != 1:
        raise Invalid(
            f"This document holds {len(postings)} LiveBlogPostings; import them one file at a time."
            if postings else
            'This is neither a schema.org LiveBlogPosting (JSON-LD with "@type": "LiveBlogPosting", alone, in a '
            'list or in "@graph") nor a Stop Press export ("stoppress_export": 1); nothing was imported.'
        )
    return dict(postings[0])


def _plan_json_ld(posting: dict[str, Any], now: datetime) -> _Plan:
    title = _text(posting.get("headline"))
    if not title.strip():
        raise Invalid('The LiveBlogPosting has no "headline"; add one: it becomes the blog\'s title.', field="headline")
    image, ended_at = _first(posting.get("image")), parse_time(posting.get("coverageEndTime"), "coverageEndTime")
    plan = _Plan(
        blog={
            "title": title,
            "code": _code(posting.get("identifier"), posting.get("url")),
            "description": _text(posting.get("description")),
            "language": _text(posting.get("inLanguage")) or "en",
            "sections": _many(posting.get("articleSection")),
            "publisher": _text(posting.get("publisher")),
            "published_at": posting.get("datePublished"),
            "updated_at": posting.get("dateModified"),
            "lead_image": _image(image) if image is not None else None,
            "key_points": _many(posting.get("abstract")),
        },
        status=BlogStatus.ENDED if ended_at and ended_at <= now else BlogStatus.LIVE,
        ended_at=ended_at,
        updated_at=parse_time(posting.get("dateModified"), "dateModified"),
    )
    _check_blog(plan.blog)
    entries = []
    for n, update in enumerate(_many(posting.get("liveBlogUpdate")), 1):
        if not isinstance(update, dict):
            raise Invalid(f"liveBlogUpdate {n} is not an object (a BlogPosting).", field="liveBlogUpdate")
        data = {
            "title": _text(update.get("headline")),
            "code": _code(update.get("identifier"), update.get("url")),
            "published_at": update.get("datePublished"),
            "updated_at": update.get("dateModified"),
            "author": _text(_first(update.get("author"))) or None,
            "blocks": _named("liveBlogUpdate", n, update, partial(_blocks, update)),
        }
        entries.append(_check_entry("liveBlogUpdate", n, {k: v for k, v in data.items() if v is not None}))
        if not entries[-1]["blocks"]:
            raise Invalid(f"liveBlogUpdate {n} ({data['title']!r}) has no text, picture or video.", field="blocks")
    # The document lists newest first. Reversed before the (stable) sort, entries with the same time are
    # created in an order that lists them newest first exactly as the page did.
    entries.reverse()
    plan.entries = [(data, None) for data in sorted(entries, key=_oldest_first)]
    return plan


def _blocks(update: dict[str, Any]) -> list[dict[str, Any]]:
    """An update's body as blocks: its `x-items` in order, else articleBody, then its images and videos."""
    items = update.get("x-items")
    if items is not None:
        if not isinstance(items, list):
            raise Invalid('"x-items" must be a list of blocks.')
        return [_item(n, item) for n, item in enumerate(items, 1)]
    body = update.get("articleBody")
    blocks = content.parse_body(body, "text") if isinstance(body, str) and body.strip() else []
    blocks += [_image(picture) for picture in _many(update.get("image"))]
    for video in _many(update.get("video")):
        video = video if isinstance(video, dict) else {"url": video}
        url = next((video[k] for k in ("url", "embedUrl", "contentUrl") if isinstance(video.get(k), str)), "")
        blocks.append({"type": "video", "title": _text(video.get("name")), "url": url})
    return blocks


def _item(n: int, item: Any) -> dict[str, Any]:
    """One of `x-items` as a block: plain text becomes escaped inline HTML."""
    kind = item.get("type") if isinstance(item, dict) else None
    if not isinstance(item, dict) or kind not in content.BLOCK_TYPES:
        raise Invalid(f'Item {n} of "x-items" needs a "type", one of: {", ".join(content.BLOCK_TYPES)}.')

    def html(value: Any) -> Any:
        return escape(value, quote=False).replace("\n", "<br>") if isinstance(value, str) else value

    if kind in ("paragraph", "quote"):
        return {"type": kind, "html": html(item.get("text")), "cite": item.get("cite")}
    if kind == "list":
        items = item.get("items")
        return {"type": kind, "ordered": item.get("ordered", False),
                "items": [html(i) for i in items] if isinstance(items, list) else items}
    if kind == "image":
        return {"type": kind, "src": item.get("src") or item.get("url"),
                **{k: item.get(k) for k in ("alt", "caption", "credit")}}
    return {k: item.get(k) for k in ("type", "text", "title", "url")}


def _image(picture: Any) -> dict[str, Any]:
    """A schema.org ImageObject (or a bare address) as an image block."""
    picture = picture if isinstance(picture, dict) else {"url": picture}
    return {
        "type": "image",
        "alt": _text(picture.get("description") or picture.get("alt")),
        "caption": _text(picture.get("caption")),
        "credit": _text(picture.get("creditText") or picture.get("copyrightHolder")),
        "src": next((picture[k] for k in ("url", "contentUrl") if isinstance(picture.get(k), str)), ""),
    }


def _text(value: Any) -> str:
    """Text from a JSON-LD value that may be a Thing with a name instead (a publisher, an author)."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return value if isinstance(value, str) else ""


def _many(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _first(value: Any) -> Any:
    return next(iter(_many(value)), None)


def _code(*candidates: Any) -> str | None:
    """The first candidate usable as a short code: an identifier, or the last path segment of a URL."""
    for value in candidates:
        value = value.get("value") if isinstance(value, dict) else value  # a PropertyValue
        value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if isinstance(value, str) and "/" in value:
            value = urlsplit(value).path.rstrip("/").rsplit("/", 1)[-1]
        if isinstance(value, str) and CODE_RE.match(value):
            return value
    return None


# Checks shared by both formats: what the use cases check, done before the first write


def _oldest_first(data: dict[str, Any]) -> tuple[bool, datetime]:
    """Sort key: by publication time; entries without one go last (the import stamps them with now)."""
    moment = parse_time(data.get("published_at"), "published_at")
    return moment is None, moment or datetime.min.replace(tzinfo=UTC)


def _check_code(code: Any) -> None:
    if code is not None and (not isinstance(code, str) or not CODE_RE.match(code)):
        raise Invalid(f"The short code {code!r} must be 3 to 32 letters, digits, '-' or '_'.", field="code")


def _check_blog(blog: dict[str, Any]) -> None:
    # create_blog checks the rest (language, sections, image, key points) before it writes anything.
    clean_text(blog.get("title"), "title", required=True)
    parse_time(blog.get("published_at"), "published_at")
    parse_time(blog.get("updated_at"), "updated_at")
    _check_code(blog.get("code"))


def _check_entry(what: str, n: int, data: dict[str, Any]) -> dict[str, Any]:
    """The entry's data as create_entry will take it (blocks normalised), or Invalid naming the entry."""

    def check() -> dict[str, Any]:
        clean_text(data.get("title"), "title", required=True)
        data["blocks"] = content.normalize_blocks(data.get("blocks"))
        if data.get("status", "published") not in tuple(EntryStatus):
            raise Invalid("status must be 'published', 'draft' or 'submitted'.", field="status")
        for flag in ("key_event", "pinned"):
            if not isinstance(data.get(flag, False), bool):
                raise Invalid(f"{flag} must be true or false.", field=flag)
        clean_text(data.get("author"), "author", limit=200)
        _check_code(data.get("code"))
        parse_time(data.get("published_at"), "published_at")
        parse_time(data.get("updated_at"), "updated_at")
        return data

    return _named(what, n, data, check)


def _named(what: str, n: int, data: dict[str, Any], check: Callable[[], T]) -> T:
    """Runs a check of entry n, naming the entry in the message of the Invalid it may raise."""
    try:
        return check()
    except Invalid as exc:
        title = data.get("title") or data.get("headline")
        name = f" ({title!r})" if isinstance(title, str) and title else ""
        raise Invalid(f"{what} {n}{name}: {exc.message}", field=exc.field) from None
