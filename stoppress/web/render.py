"""Turning blogs and entries into HTML, text and live-event payloads, shared by pages and the stream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from stoppress.core import content
from stoppress.core.models import Blog, Entry, EntryStatus, Event, EventKind
from stoppress.i18n import Language, language
from stoppress.settings import Settings


@dataclass(frozen=True, slots=True)
class Site:
    """Where the site lives publicly: the base of every absolute link it prints."""

    base_url: str
    short_link_base: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Site:
        base = (settings.base_url or "http://localhost").rstrip("/")
        return cls(base, settings.short_link_base or f"{base}/p/")

    def short_url(self, code: str) -> str:
        return self.short_link_base + code

    def blog_url(self, slug: str) -> str:
        return f"{self.base_url}/live/{slug}"

    def entry_url(self, slug: str, code: str) -> str:
        return f"{self.blog_url(slug)}#e-{code}"


def make_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("stoppress", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["iso"] = lambda m: m.astimezone(UTC).isoformat(timespec="seconds") if m else ""
    env.filters["body"] = _body
    return env


@pass_context
def _body(context: Context, blocks: list[dict[str, Any]]) -> Markup:
    """The `body` filter: an entry's blocks as HTML, labelled in the language the template speaks."""
    speech = context.get("language")
    gettext = speech.gettext if isinstance(speech, Language) else None
    return Markup(content.render_html(blocks, gettext))  # noqa: S704 - sanitised blocks


class Renderer:
    """The reader's HTML fragments and the payloads of live events, from one set of templates."""

    def __init__(self, site: Site, env: Environment | None = None) -> None:
        self.site = site
        self.env = env or make_environment()
        self._entry = self.env.get_template("reader/_entry.html")
        self._key_points = self.env.get_template("reader/_key_points.html")

    def page(self, name: str, *, blog: Blog | None = None, lang: str | None = None, **context: Any) -> str:
        """A whole page, in the blog's language (or `lang`, or English)."""
        speech = language(lang or (blog.language if blog else None))
        return self.env.get_template(name).render(site=self.site, blog=blog, **speech.context(), **context)

    def entry_html(self, blog: Blog, entry: Entry, *, pinned_copy: bool = False) -> str:
        speech = language(blog.language)
        return self._entry.render(site=self.site, blog=blog, entry=entry, pinned_copy=pinned_copy, **speech.context())

    def key_points_html(self, blog: Blog) -> str:
        return self._key_points.render(site=self.site, blog=blog, **language(blog.language).context())

    def event_payload(self, blog: Blog, event: Event) -> dict[str, Any] | None:
        """What a reader's page needs to apply one event, or None for events readers never see."""
        kind = event.kind
        data = event.data
        if kind in (EventKind.ENTRY_DELETED, EventKind.ENTRY_DRAFTED):
            if not data.get("was_public"):
                return None
            return {"kind": str(EventKind.ENTRY_DELETED), "code": event.entry_code}
        if kind is EventKind.KEY_POINTS_UPDATED:
            blog.key_points.items = data["key_points"]["items"]
            blog.key_points.updated_at = datetime.fromisoformat(data["key_points"]["updated_at"])
            return {"kind": str(kind), "html": self.key_points_html(blog)}
        if kind is EventKind.BLOG_UPDATED:
            snap = data["blog"]
            return {"kind": str(kind), "title": snap["title"], "status": snap["status"]}
        if "entry" not in data or data["entry"]["status"] != EntryStatus.PUBLISHED:
            return None
        entry = entry_from_snapshot(blog, data["entry"])
        return {
            "kind": str(kind),
            "code": entry.code,
            "version": entry.version,
            "title": entry.title,
            "pinned": entry.pinned,
            "key_event": entry.key_event,
            "published_at": data["entry"]["published_at"],
            "html": self.entry_html(blog, entry),
            "pinned_html": self.entry_html(blog, entry, pinned_copy=True) if entry.pinned else None,
        }


def entry_from_snapshot(blog: Blog, snap: dict[str, Any]) -> Entry:
    return Entry(
        id=None,
        blog_id=blog.id or 0,
        code=snap["code"],
        title=snap["title"],
        blocks=snap["blocks"],
        status=EntryStatus(snap["status"]),
        key_event=snap["key_event"],
        pinned=snap["pinned"],
        author_name=snap.get("author", ""),
        version=snap["version"],
        created_at=_dt(snap.get("created_at")),
        published_at=_dt(snap.get("published_at")),
        updated_at=_dt(snap.get("updated_at")),
        correction=snap.get("correction", ""),
    )


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
