"""An entry's own page: one update with its own title, picture and structured data, for sharing and citing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from stoppress.web.cache import cached_response
from stoppress.web.structured import entry_sharing


async def entry_page(request: Request) -> Response:
    """GET /live/{slug}/entries/{code}: a published entry; drafts and unknown codes are 404."""
    state = request.app.state
    slug, code = request.path_params["slug"], request.path_params["code"]
    variant = f"entry:{code}"
    hit = state.cache.get(slug, variant)
    if hit is None:
        blog = await state.newsroom.get_blog(slug)
        entry = await state.newsroom.get_entry(blog, code)  # NotFound unless published
        renderer = state.renderer
        html = renderer.page(
            "reader/entry.html",
            blog=blog,
            entry=entry,
            sharing=entry_sharing(blog, entry, renderer.site),
        )
        # Only real entries are kept, so made-up codes cannot fill the cache.
        hit = state.cache.put(slug, blog.id or 0, variant, html.encode(), blog.last_event_id)
    return cached_response(request, hit, "text/html; charset=utf-8")
