"""A live blog inside someone else's page: the framable embed page, its one-line snippet, and oEmbed.

The embed is the reader page without the site's header and footer, still live through reader.js. The
snippet (`static/embed.js`) frames it and follows the height the frame reports, so the newsroom's
article grows with the blog and never shows a second scroll bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stoppress.core.errors import NotFound
from stoppress.core.models import Blog, Entry
from stoppress.core.services import Newsroom
from stoppress.web.cache import cached_response
from stoppress.web.errors import Problem
from stoppress.web.render import Site
from stoppress.web.structured import SITE_NAME

# Any site may frame the embed: that is what it is for. It shows only what the public page shows.
FRAMING = {"Content-Security-Policy": "frame-ancestors *"}
WIDTH, HEIGHT = 640, 800  # what an oEmbed answer proposes when the consumer sets no maximum


def embed_url(site: Site, slug: str) -> str:
    return f"{site.base_url}/embed/{slug}"


def embed_snippet(site: Site, slug: str) -> str:
    """The one line a newsroom pastes into its article page to show the live blog there."""
    return f'<script async src="{escape(site.base_url)}/static/embed.js" data-stoppress-blog="{escape(slug)}"></script>'


def embed_iframe(site: Site, slug: str, title: str, width: int, height: int) -> str:
    """A frame that shows the blog at a fixed size; with embed.js beside it, the frame follows the blog's height."""
    return (
        f'<iframe src="{escape(embed_url(site, slug))}" title="{escape(title)}" width="{width}" height="{height}" '
        f'style="border:0;max-width:100%" loading="lazy" data-stoppress-blog="{escape(slug)}"></iframe>'
        f'<script async src="{escape(site.base_url)}/static/embed.js"></script>'
    )


async def embed_page(request: Request) -> Response:
    """GET /embed/{slug}: the newest page of a blog, live, without site chrome."""
    state = request.app.state
    slug = request.path_params["slug"]
    hit = state.cache.get(slug, "embed")
    if hit is None:
        blog = await state.newsroom.get_blog(slug)
        listing = await state.newsroom.list_entries(blog, page=1, per_page=state.settings.page_size)
        pinned = (await state.newsroom.storage.list_entries(blog.id or 0, pinned_only=True, limit=5)).entries
        html = state.renderer.page(
            "embed/page.html",
            blog=blog,
            entries=listing.entries,
            pinned=pinned,
            more=listing.total > len(listing.entries),
            renderer=state.renderer,
        )
        hit = state.cache.put(slug, blog.id or 0, "embed", html.encode(), blog.last_event_id)
    response = cached_response(request, hit, "text/html; charset=utf-8")
    response.headers.update(FRAMING)
    return response


# oEmbed (https://oembed.com)


@dataclass(frozen=True, slots=True)
class Embeddable:
    blog: Blog
    entry: Entry | None


async def resolve(newsroom: Newsroom, site: Site, url: str) -> Embeddable:
    """The blog (and entry) one of our addresses shows: /live/SLUG, /live/SLUG/entries/CODE, /p/CODE,
    a short link, or /embed/SLUG. NotFound for anything else."""
    parts = urlsplit(url.strip())
    ours = parts.scheme in ("http", "https") and parts.netloc.lower() == urlsplit(site.base_url).netloc.lower()
    path = [p for p in parts.path.split("/") if p] if ours else []
    code = None
    if url.startswith(site.short_link_base):
        code = urlsplit(url[len(site.short_link_base):]).path
    elif len(path) == 2 and path[0] == "p":
        code = path[1]
    elif len(path) == 2 and path[0] in ("live", "embed"):
        blog = await newsroom.get_blog(path[1])
        anchor = parts.fragment[2:] if parts.fragment.startswith("e-") else None  # /live/SLUG#e-CODE
        return Embeddable(blog, await newsroom.get_entry(blog, anchor) if anchor else None)
    elif len(path) == 4 and path[0] == "live" and path[2] == "entries":
        blog = await newsroom.get_blog(path[1])
        return Embeddable(blog, await newsroom.get_entry(blog, path[3]))
    if not code:
        raise NotFound(f"{url!r} is not the address of a live blog or an update on this site.")
    found = await newsroom.storage.resolve_code(code)
    if found is None:
        raise NotFound(f"The short link {code!r} does not exist.")
    blog = await newsroom.get_blog(found[0])
    return Embeddable(blog, await newsroom.get_entry(blog, found[1]) if found[1] else None)


def _dimension(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise Problem(400, f"{name} must be a whole number of pixels, e.g. {name}={default}.")
    return min(int(raw), default)


async def oembed(request: Request) -> Response:
    """GET /oembed?url=...&format=json: how to embed one of our blogs or updates (a 'rich' oEmbed type)."""
    state = request.app.state
    site: Site = state.renderer.site
    fmt = request.query_params.get("format", "json")
    if fmt != "json":
        raise Problem(501, f"Only format=json is offered; {fmt!r} is not.")
    url = request.query_params.get("url", "")
    if not url:
        raise Problem(400, "Give the address of a live blog or an update: /oembed?url=https://…/live/SLUG.")
    width, height = _dimension(request, "maxwidth", WIDTH), _dimension(request, "maxheight", HEIGHT)
    try:
        found = await resolve(state.newsroom, site, url)
    except NotFound as exc:  # answered as JSON whatever the consumer's Accept header says
        raise Problem(404, exc.message) from None
    title = found.entry.title if found.entry else found.blog.title
    answer = {
        "version": "1.0",
        "type": "rich",
        "title": title,
        "provider_name": found.blog.publisher or SITE_NAME,
        "provider_url": site.base_url + "/",
        "html": embed_iframe(site, found.blog.slug, found.blog.title, width, height),
        "width": width,
        "height": height,
        "cache_age": 300,
    }
    headers = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
    return JSONResponse(answer, headers=headers)
