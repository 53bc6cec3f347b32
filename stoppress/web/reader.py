"""The reader's side: the live page, the plain-text view, short links and the index."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from stoppress.core import content
from stoppress.core.errors import NotFound
from stoppress.core.models import Blog, Entry, EntryStatus
from stoppress.core.services import Newsroom
from stoppress.i18n import language
from stoppress.web import structured
from stoppress.web.cache import CACHE_CONTROL, Cached, PageCache, cached_response
from stoppress.web.render import Renderer, Site

RECENTLY_ENDED = timedelta(days=30)  # how long an ended blog stays on the index


def _state(request: Request) -> tuple[Newsroom, Renderer, PageCache]:
    state = request.app.state
    return state.newsroom, state.renderer, state.cache


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise NotFound(f"There is no page {raw!r}; pages are numbered from 1.")
    return int(raw)


async def blog_page(request: Request) -> Response:
    newsroom, renderer, cache = _state(request)
    slug = request.path_params["slug"]
    page = _page_number(request)
    key = f"page:{page}"
    hit = cache.get(slug, key)
    if hit is None:
        blog = await newsroom.get_blog(slug)
        per_page = request.app.state.settings.page_size
        listing = await newsroom.list_entries(blog, page=page, per_page=per_page)
        pages = max(1, -(-listing.total // per_page))
        if page > pages:
            raise NotFound(f"This blog has {pages} page(s) of updates; there is no page {page}.")
        pinned = (await newsroom.storage.list_entries(blog.id or 0, pinned_only=True, limit=5)).entries if page == 1 else []
        # The newest key events only: the list stays cheap however long the blog grows.
        key_events = (await newsroom.storage.list_entries(blog.id or 0, key_events_only=True, limit=10)).entries
        html = renderer.page(
            "reader/page.html",
            blog=blog,
            entries=listing.entries,
            pinned=pinned,
            key_events=key_events,
            page=page,
            pages=pages,
            renderer=renderer,
            sharing=structured.blog_sharing(blog, listing.entries, renderer.site, page),
        )
        hit = cache.put(slug, blog.id or 0, key, html.encode(), blog.last_event_id)
    return cached_response(request, hit, "text/html; charset=utf-8")


async def text_view(request: Request) -> Response:
    newsroom, _, cache = _state(request)
    slug = request.path_params["slug"]
    hit = cache.get(slug, "text")
    if hit is None:
        blog = await newsroom.get_blog(slug)
        entries = await all_published(newsroom, blog)
        text = blog_as_text(blog, entries, request.app.state.renderer.site)
        hit = cache.put(slug, blog.id or 0, "text", text.encode(), blog.last_event_id)
    return cached_response(request, hit, "text/plain; charset=utf-8")


async def all_published(newsroom: Newsroom, blog: Blog) -> list[Entry]:
    entries: list[Entry] = []
    while True:
        page = await newsroom.storage.list_entries(blog.id or 0, offset=len(entries), limit=500)
        entries.extend(page.entries)
        if len(page.entries) < 500:
            return entries


def blog_as_text(blog: Blog, entries: list[Entry], site: Site) -> str:
    """The whole blog as plain text, in the reference page's order."""
    speech = language(blog.language)
    _ = speech.gettext
    out = []
    if blog.sections:
        out.append(" > ".join(blog.sections))
    out.append(blog.title)
    out.append(
        _(
            "Published %(published)s, last updated %(updated)s",
            published=speech.date(blog.published_at, blog.timezone),
            updated=speech.date(blog.updated_at, blog.timezone),
        )
    )
    if blog.status == "ended":
        out.append(_("This live blog has ended."))
    if blog.description:
        out.append(blog.description)
    out.append(site.short_url(blog.code))
    if blog.lead_image:
        out.append(content.render_text([{"type": "image", **_image_dict(blog)}], speech.gettext))
    if blog.key_points.items:
        out.append(_("What you need to know"))
        out.extend(blog.key_points.items)
    for entry in entries:
        out.append("-" * 8)
        out.append(f"{entry.title}\n{speech.datetime(entry.published_at, blog.timezone)}")
        out.append(content.render_text(entry.blocks, speech.gettext))
        out.append(site.short_url(entry.code))
    return "\n\n".join(part for part in out if part) + "\n"


def _image_dict(blog: Blog) -> dict[str, str]:
    image = blog.lead_image
    assert image is not None
    return {"src": image.src, "alt": image.alt, "caption": image.caption, "credit": image.credit}


async def short_link(request: Request) -> Response:
    newsroom, _, _ = _state(request)
    blog, entry = await newsroom.resolve_code(request.path_params["code"])
    target = f"/live/{blog.slug}"
    if entry is not None and entry.status is EntryStatus.PUBLISHED:
        page = await newsroom.page_of(entry, request.app.state.settings.page_size)
        target += (f"?page={page}" if page > 1 else "") + f"#e-{entry.code}"
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": CACHE_CONTROL})


async def index(request: Request) -> Response:
    newsroom, renderer, _ = _state(request)
    blogs = await newsroom.list_blogs()
    blogs.sort(key=lambda b: -(b.updated_at.timestamp() if b.updated_at else 0))
    # Ended blogs stay on the front page for a while, then only their links and feeds lead to them.
    since = newsroom.clock() - RECENTLY_ENDED
    ended = [b for b in blogs if b.status != "live" and (b.ended_at or b.updated_at or since) > since]
    live = [b for b in blogs if b.status == "live"]
    html = renderer.page("index.html", blogs=live, ended=ended)
    return cached_response(request, Cached.of(html.encode()), "text/html; charset=utf-8")


async def healthz(request: Request) -> Response:
    await request.app.state.newsroom.storage.code_taken("healthz")  # the database answers
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})
