"""An entry's revision history on the desk: who changed what and when, with word-level differences."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from stoppress.core import content
from stoppress.core.models import EntryStatus, Revision
from stoppress.web.desk.auth import HEADERS, desk_page
from stoppress.web.desk.pages import STATUS_LABELS, when

_TOKENS = re.compile(r"\n+|[^\s]+")


@dataclass
class Change:
    """One saved version: its author and time, and what differs from the version before."""

    version: int
    author: str
    at: datetime
    summary: str
    details: list[tuple[str, Markup]] = field(default_factory=list)


def _words(tokens: list[str]) -> Markup:
    out: list[Markup] = []
    for token in tokens:
        out.append(Markup("<br>") if token.startswith("\n") else escape(token))
    return Markup(" ").join(out).replace(Markup(" <br> "), Markup("<br>"))


def word_diff(old: str, new: str) -> Markup:
    """`new` with the words taken out of `old` in <del> and the words put in as <ins>."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    parts: list[Markup] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(_words(a[i1:i2]))
            continue
        if i2 > i1:
            parts.append(Markup('<del><span class="visually-hidden">removed: </span>%s</del>') % _words(a[i1:i2]))
        if j2 > j1:
            parts.append(Markup('<ins><span class="visually-hidden">added: </span>%s</ins>') % _words(b[j1:j2]))
    return Markup(" ").join(parts)


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _label(status: str) -> str:
    try:
        return STATUS_LABELS[EntryStatus(status)]
    except ValueError:
        return status


def changes(revisions: list[Revision], timezone: str) -> list[Change]:
    """The history of an entry, newest first."""
    out: list[Change] = []
    before: dict[str, Any] | None = None
    for revision in revisions:
        now = revision.snapshot
        change = Change(revision.version, revision.author_name, revision.created_at, "")
        if before is None:
            change.summary = f"Created as {_label(now.get('status', '')).lower()}"
        else:
            details = change.details
            if now.get("title") != before.get("title"):
                details.append(("Headline", word_diff(before.get("title", ""), now.get("title", ""))))
            old_text, new_text = content.render_text(before.get("blocks", [])), content.render_text(now.get("blocks", []))
            if old_text != new_text:
                details.append(("Text", word_diff(old_text, new_text)))
            if now.get("status") != before.get("status"):
                details.append(("Status", escape(f"{_label(before.get('status', ''))} → {_label(now.get('status', ''))}")))
            for key, name in (("pinned", "Pinned"), ("key_event", "Key event")):
                if bool(now.get(key)) != bool(before.get(key)):
                    details.append((name, escape(f"{_yes(before.get(key))} → {_yes(now.get(key))}")))
            for key, name in (("correction", "Correction"), ("review_note", "Note to the contributor")):
                if (now.get(key) or "") != (before.get(key) or ""):
                    details.append((name, word_diff(before.get(key) or "", now.get(key) or "")))
            if now.get("publish_at") != before.get("publish_at"):
                moment = datetime.fromisoformat(now["publish_at"]) if now.get("publish_at") else None
                details.append(("Scheduled for", escape(when(moment, timezone) or "not scheduled")))
            change.summary = "Changed " + ", ".join(name.lower() for name, _ in details) if details else "Saved without changes"
        out.append(change)
        before = now
    return out[::-1]


@desk_page()
async def history(request: Request) -> Response:
    """GET /desk/blogs/{slug}/entries/{code}/history: the revision history as an HTML fragment."""
    newsroom = request.app.state.newsroom
    blog = await newsroom.get_blog(request.path_params["slug"])
    entry = await newsroom.get_entry(blog, request.path_params["code"], request.state.desk_session.user)
    found = changes(await newsroom.revisions(entry), blog.timezone)
    html = request.app.state.renderer.env.get_template("desk/_history.html").render(
        entry=entry, changes=found, when=when, blog=blog
    )
    return Response(html, media_type="text/html; charset=utf-8", headers=HEADERS)
