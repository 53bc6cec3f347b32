"""The desk's pages: the blogs list, the blog form (new and settings), ending and reopening a blog, and
a blog's desk (composer, timeline, key points, submissions), with the timeline's HTML fragments."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from stoppress.core.errors import Conflict, Invalid, NotFound
from stoppress.core.models import Blog, BlogStatus, Entry, EntryStatus, User
from stoppress.web.desk.auth import EDITORS, HEADERS, desk_page, message_page, render
from stoppress.web.render import Renderer

TIMELINE_PAGE = 30
ALL_STATUSES = tuple(EntryStatus)
STATUS_LABELS = {
    EntryStatus.DRAFT: "Draft",
    EntryStatus.SUBMITTED: "Submitted",
    EntryStatus.SCHEDULED: "Scheduled",
    EntryStatus.PUBLISHED: "Published",
}
# Offered in the blog form; any language tag is accepted.
LANGUAGES = (
    ("en", "English"), ("ar", "Arabic"), ("de", "German"), ("es", "Spanish"), ("fr", "French"),
    ("it", "Italian"), ("nl", "Dutch"), ("pl", "Polish"), ("pt", "Portuguese"), ("pt-BR", "Portuguese (Brazil)"),
    ("ru", "Russian"), ("tr", "Turkish"), ("uk", "Ukrainian"), ("zh", "Chinese"), ("ja", "Japanese"),
)
BLOG_FORM_FIELDS = {  # a core error's field -> the form control to point at
    "title": "title", "slug": "slug", "description": "description", "language": "language",
    "sections": "sections", "timezone": "timezone", "lead_image": "lead_src", "lead_alt": "lead_alt",
}


@functools.cache
def time_zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))) + ["UTC"]


@functools.cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(moment: datetime | None, timezone: str, now: datetime | None = None) -> str:
    """A moment as the desk shows it, in the blog's time zone: "14:05" today, else "23 Jan 14:05"."""
    if moment is None:
        return ""
    zone = _zone(timezone)
    local = moment.astimezone(zone)
    today = (now or datetime.now(zone)).astimezone(zone).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    return f"{local.day} {local:%b}{'' if local.year == today.year else f' {local.year}'} {local:%H:%M}"


def render_card(renderer: Renderer, blog: Blog, entry: Entry, *, can_publish: bool, mine: bool) -> str:
    """One entry of the desk's timeline: the same HTML for the page, the fragments and the desk stream."""
    return renderer.env.get_template("desk/_entry.html").render(
        site=renderer.site, blog=blog, entry=entry, can_publish=can_publish, mine=mine, when=when,
        status_label=STATUS_LABELS, lang="en",
    )


def _user(request: Request) -> User:
    return request.state.desk_session.user  # type: ignore[no-any-return]


def _visible(entry: Entry, user: User) -> bool:
    return entry.is_public or user.role in EDITORS or entry.author_id == user.id


# The blogs list


@desk_page()
async def blogs(request: Request) -> Response:
    newsroom = request.app.state.newsroom
    found = await newsroom.list_blogs()
    found.sort(key=lambda b: (b.status != BlogStatus.LIVE, -(b.updated_at.timestamp() if b.updated_at else 0)))
    waiting: dict[str, int] = {}
    if _user(request).role in EDITORS:
        for blog in found:
            listing = await newsroom.storage.list_entries(blog.id or 0, statuses=(EntryStatus.SUBMITTED,), limit=1)
            waiting[blog.slug] = listing.total
    return render(request, "desk/blogs.html", nav="blogs", blogs=found, waiting=waiting, when=when,
                  welcome="welcome" in request.query_params)


# The blog form: new blog and settings


def _blog_data(form: dict[str, str], *, creating: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "language": form.get("language", "").strip() or "en",
        "sections": [s.strip() for s in form.get("sections", "").split(",") if s.strip()],
        "timezone": form.get("timezone", "").strip() or "UTC",
    }
    slug = form.get("slug", "").strip().lower()
    if slug or creating:
        data["slug"] = slug
    lead = {k: form.get(f"lead_{k}", "").strip() for k in ("src", "alt", "caption", "credit")}
    if lead["src"] and not lead["alt"]:
        raise Invalid("The lead image needs alt text: say what it shows, for readers who cannot see it.",
                      field="lead_alt")
    data["lead_image"] = lead if lead["src"] or lead["alt"] else None
    return data


def _form_values(blog: Blog | None, form: dict[str, str] | None = None) -> dict[str, str]:
    if form is not None:
        return form
    if blog is None:
        return {"language": "en", "timezone": "UTC"}
    lead = blog.lead_image
    return {
        "title": blog.title, "slug": blog.slug, "description": blog.description, "language": blog.language,
        "sections": ", ".join(blog.sections), "timezone": blog.timezone,
        "lead_src": lead.src if lead else "", "lead_alt": lead.alt if lead else "",
        "lead_caption": lead.caption if lead else "", "lead_credit": lead.credit if lead else "",
    }


def _blog_form(request: Request, blog: Blog | None, status: int = 200, form: dict[str, str] | None = None,
               error: str = "", field: str | None = None) -> Response:
    return render(
        request, "desk/blog_form.html", status, nav="blogs", blog=blog, values=_form_values(blog, form),
        error=error, error_field=BLOG_FORM_FIELDS.get(field or "", "title" if error else ""),
        languages=LANGUAGES, time_zones=time_zones(),
    )


@desk_page(*EDITORS, why="Only an editor or admin can create a blog; ask an editor on your desk.")
async def new_blog_page(request: Request) -> Response:
    return _blog_form(request, None)


@desk_page(*EDITORS, why="Only an editor or admin can create a blog; ask an editor on your desk.")
async def create_blog(request: Request) -> Response:
    form = request.state.form
    try:
        blog = await request.app.state.newsroom.create_blog(_user(request), _blog_data(form, creating=True))
    except (Invalid, Conflict) as exc:
        return _blog_form(request, None, 422 if isinstance(exc, Invalid) else 409, form, exc.message,
                          exc.field or ("slug" if isinstance(exc, Conflict) else None))
    return RedirectResponse(f"/desk/blogs/{blog.slug}", status_code=303)


@desk_page(*EDITORS, why="Only an editor or admin can change a blog's settings.")
async def settings_page(request: Request) -> Response:
    blog = await request.app.state.newsroom.get_blog(request.path_params["slug"])
    return _blog_form(request, blog)


@desk_page(*EDITORS, why="Only an editor or admin can change a blog's settings.")
async def update_settings(request: Request) -> Response:
    newsroom, form = request.app.state.newsroom, request.state.form
    blog = await newsroom.get_blog(request.path_params["slug"])
    try:
        blog = await newsroom.update_blog(_user(request), blog.slug, _blog_data(form, creating=False))
    except (Invalid, Conflict) as exc:
        return _blog_form(request, blog, 422 if isinstance(exc, Invalid) else 409, form, exc.message,
                          exc.field or ("slug" if isinstance(exc, Conflict) else None))
    return RedirectResponse(f"/desk/blogs/{blog.slug}?saved=1", status_code=303)


@desk_page(*EDITORS, why="Only an editor or admin can end or reopen a blog.")
async def set_status(request: Request) -> Response:
    status = request.state.form.get("status", "")
    if status not in (BlogStatus.LIVE, BlogStatus.ENDED):
        return message_page(request, 422, "Not changed", "Choose to end the blog or to reopen it.")
    blog = await request.app.state.newsroom.update_blog(_user(request), request.path_params["slug"], {"status": status})
    return RedirectResponse(f"/desk/blogs/{blog.slug}", status_code=303)


# A blog's desk


async def _timeline(request: Request, blog: Blog, page: int) -> tuple[list[Entry], bool]:
    user = _user(request)
    listing = await request.app.state.newsroom.storage.list_entries(
        blog.id or 0, statuses=ALL_STATUSES, offset=(page - 1) * TIMELINE_PAGE, limit=TIMELINE_PAGE
    )
    more = page * TIMELINE_PAGE < listing.total
    return [e for e in listing.entries if _visible(e, user)], more


def _cards(request: Request, blog: Blog, entries: list[Entry]) -> str:
    user, renderer = _user(request), request.app.state.renderer
    can_publish = user.role in EDITORS
    return "\n".join(
        render_card(renderer, blog, e, can_publish=can_publish, mine=e.author_id == user.id) for e in entries
    )


def _embed_snippet(request: Request, blog: Blog) -> str:
    try:
        from stoppress.web.embed import embed_snippet
    except ImportError:  # the embed feature is optional for the desk
        return ""
    return embed_snippet(request.app.state.renderer.site, blog.slug)


@desk_page()
async def blog_desk(request: Request) -> Response:
    newsroom = request.app.state.newsroom
    blog = await newsroom.get_blog(request.path_params["slug"])
    user = _user(request)
    entries, more = await _timeline(request, blog, 1)
    queue: list[Entry] = []
    if user.role in EDITORS:
        queue = (await newsroom.storage.list_entries(blog.id or 0, statuses=(EntryStatus.SUBMITTED,), limit=50)).entries
    return render(
        request, "desk/blog.html", nav="blogs", blog=blog, cards=_cards(request, blog, entries), more=more,
        queue=queue, can_publish=user.role in EDITORS, when=when, embed_snippet=_embed_snippet(request, blog),
        saved="saved" in request.query_params,
    )


@desk_page()
async def entry_cards(request: Request) -> Response:
    """GET /desk/blogs/{slug}/entries?page=N: older entries for the timeline, as HTML in JSON."""
    blog = await request.app.state.newsroom.get_blog(request.path_params["slug"])
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise NotFound(f"There is no page {raw!r}; pages are numbered from 1.")
    entries, more = await _timeline(request, blog, int(raw))
    return JSONResponse({"html": _cards(request, blog, entries), "more": more}, headers={"Cache-Control": "no-store"})


@desk_page()
async def entry_card(request: Request) -> Response:
    """GET /desk/blogs/{slug}/entries/{code}/card: one entry of the timeline as its HTML."""
    newsroom = request.app.state.newsroom
    blog = await newsroom.get_blog(request.path_params["slug"])
    entry = await newsroom.get_entry(blog, request.path_params["code"], _user(request))
    return Response(_cards(request, blog, [entry]), media_type="text/html; charset=utf-8", headers=HEADERS)
