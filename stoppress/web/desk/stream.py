"""The desk's live stream: a second `Hub` whose render function shows every change, drafts included.

Editors follow `/desk/blogs/{slug}/events` behind their session; each event carries the entry's
timeline card as the desk renders it, encoded once for every editor watching. Readers' hub is untouched
and never sees a draft. Contributors, who may not see other people's drafts, follow the readers' stream.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from stoppress.core.models import Blog, Event, EventKind
from stoppress.core.services import Newsroom
from stoppress.settings import Settings
from stoppress.web import stream as live
from stoppress.web.desk.auth import EDITORS, current_session
from stoppress.web.desk.pages import render_card
from stoppress.web.errors import problem
from stoppress.web.render import Renderer, entry_from_snapshot


def desk_payload(renderer: Renderer) -> live.Render:
    """The render function of the desk hub: what a desk page needs to apply any event."""

    def render(blog: Blog, event: Event) -> dict[str, Any] | None:
        kind, data = event.kind, event.data
        if kind is EventKind.BLOG_CREATED:
            return None
        if kind is EventKind.ENTRY_DELETED:
            return {"kind": str(kind), "code": event.entry_code}
        if kind is EventKind.KEY_POINTS_UPDATED:
            return {"kind": str(kind), **data["key_points"]}
        if kind is EventKind.BLOG_UPDATED:
            snap = data["blog"]
            return {"kind": str(kind), "title": snap["title"], "status": snap["status"], "slug": snap["slug"]}
        if "entry" not in data:
            return None
        snap = data["entry"]
        entry = entry_from_snapshot(blog, snap)
        entry.review_note = snap.get("review_note", "")
        entry.publish_at = datetime.fromisoformat(snap["publish_at"]) if snap.get("publish_at") else None
        return {
            "kind": str(kind),
            "code": entry.code,
            "version": entry.version,
            "status": str(entry.status),
            "title": entry.title,
            "author": entry.author_name,
            "html": render_card(renderer, blog, entry, can_publish=True, mine=False),
        }

    return render


def desk_hub(newsroom: Newsroom, renderer: Renderer, settings: Settings) -> live.Hub:
    return live.Hub(
        newsroom, desk_payload(renderer), heartbeat=settings.heartbeat, max_buffer=settings.stream_buffer_bytes
    )


class DeskEvents:
    """GET /desk/blogs/{slug}/events as a plain ASGI app: the session check, then the desk hub's stream."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        session = await current_session(Request(scope, receive))
        response: Response | None = None
        if session is None:
            response = problem(401, "Sign in to the desk to follow this blog live.")
        elif session.user.role not in EDITORS:
            response = problem(403, "Only editors and admins follow the desk stream, which carries everyone's drafts.")
        if response is not None:
            await response(scope, receive, send)
            return
        app = scope["app"]

        async def not_found(message: str) -> Response:
            return problem(404, message)

        await live.AsgiStream(app.state.desk_hub, not_found)(scope, receive, send)


events = DeskEvents()
