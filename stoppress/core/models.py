"""The newsroom's things: users, blogs, entries, key points, revisions and change events.

Plain dataclasses with no behaviour beyond (de)serialisation: storage persists them, services change
them, the web layer renders them. An entry's body is a list of *blocks* (see `content.py`), the one
sanitised form from which HTML, plain text and structured data are derived.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

Block = dict[str, Any]


class Role(enum.StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    CONTRIBUTOR = "contributor"


class BlogStatus(enum.StrEnum):
    LIVE = "live"
    ENDED = "ended"


class EntryStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # a contributor's entry waiting for an editor
    SCHEDULED = "scheduled"  # goes live by itself at `publish_at`
    PUBLISHED = "published"


class EventKind(enum.StrEnum):
    BLOG_CREATED = "blog.created"
    BLOG_UPDATED = "blog.updated"
    ENTRY_PUBLISHED = "entry.published"
    ENTRY_UPDATED = "entry.updated"
    ENTRY_DELETED = "entry.deleted"
    ENTRY_PINNED = "entry.pinned"
    ENTRY_UNPINNED = "entry.unpinned"
    ENTRY_DRAFTED = "entry.drafted"
    KEY_POINTS_UPDATED = "key_points.updated"


@dataclass(slots=True)
class User:
    id: int | None
    name: str
    role: Role
    password_hash: str | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Image:
    """A picture as a reader sees it: `src` may be empty for an imported image whose file is gone."""

    alt: str
    caption: str = ""
    credit: str = ""
    src: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Image | None:
        if not data:
            return None
        return cls(
            alt=data.get("alt", ""),
            caption=data.get("caption", ""),
            credit=data.get("credit", ""),
            src=data.get("src", ""),
        )


@dataclass(slots=True)
class KeyPoints:
    items: list[str] = field(default_factory=list)
    updated_at: datetime | None = None


@dataclass(slots=True)
class Blog:
    id: int | None
    slug: str
    code: str
    title: str
    description: str = ""
    language: str = "en"
    sections: list[str] = field(default_factory=list)
    lead_image: Image | None = None
    status: BlogStatus = BlogStatus.LIVE
    publisher: str = ""
    timezone: str = "UTC"  # where the story is reported from: times on the page are shown in it
    published_at: datetime | None = None
    updated_at: datetime | None = None
    ended_at: datetime | None = None
    key_points: KeyPoints = field(default_factory=KeyPoints)
    last_event_id: int = 0

    def snapshot(self) -> dict[str, Any]:
        """The blog as it travels in events and exports (JSON-ready)."""
        return {
            "slug": self.slug,
            "code": self.code,
            "title": self.title,
            "description": self.description,
            "language": self.language,
            "sections": list(self.sections),
            "lead_image": asdict(self.lead_image) if self.lead_image else None,
            "status": str(self.status),
            "publisher": self.publisher,
            "timezone": self.timezone,
            "published_at": iso(self.published_at),
            "updated_at": iso(self.updated_at),
            "ended_at": iso(self.ended_at),
            "key_points": {
                "items": list(self.key_points.items),
                "updated_at": iso(self.key_points.updated_at),
            },
        }


@dataclass(slots=True)
class Entry:
    id: int | None
    blog_id: int
    code: str
    title: str
    blocks: list[Block]
    status: EntryStatus = EntryStatus.PUBLISHED
    key_event: bool = False
    pinned: bool = False
    author_id: int | None = None
    author_name: str = ""
    version: int = 1
    created_at: datetime | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    correction: str = ""  # a note readers see under the entry, saying what was corrected
    review_note: str = ""  # an editor's note to the contributor when sending a submission back
    publish_at: datetime | None = None  # when a scheduled entry goes live

    @property
    def is_public(self) -> bool:
        return self.status is EntryStatus.PUBLISHED

    def snapshot(self) -> dict[str, Any]:
        """The entry as it travels in events, revisions and exports (JSON-ready)."""
        return {
            "code": self.code,
            "title": self.title,
            "blocks": self.blocks,
            "status": str(self.status),
            "key_event": self.key_event,
            "pinned": self.pinned,
            "author": self.author_name,
            "version": self.version,
            "created_at": iso(self.created_at),
            "published_at": iso(self.published_at),
            "updated_at": iso(self.updated_at),
            "correction": self.correction,
            "review_note": self.review_note,
            "publish_at": iso(self.publish_at),
        }


@dataclass(slots=True)
class Revision:
    entry_id: int
    version: int
    author_id: int | None
    author_name: str
    created_at: datetime
    snapshot: dict[str, Any]


@dataclass(slots=True)
class Media:
    """An uploaded picture, re-encoded at several widths; `renditions` maps format -> {width: file name}."""

    id: int | None
    name: str
    width: int
    height: int
    renditions: dict[str, dict[int, str]]
    uploaded_by: int | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class NewEvent:
    """A change about to be recorded; storage gives it its id within the blog."""

    kind: EventKind
    entry_code: str | None
    data: dict[str, Any]
    at: datetime | None = None  # when it happened (the newsroom's clock); storage's clock if None

    @property
    def public(self) -> bool:
        return is_public(self.kind, self.data)


@dataclass(slots=True)
class Event:
    """A recorded change to a blog: the source of live streams, resume and cache invalidation."""

    blog_id: int
    id: int
    kind: EventKind
    entry_code: str | None
    data: dict[str, Any]
    created_at: datetime

    @property
    def public(self) -> bool:
        return is_public(self.kind, self.data)


def is_public(kind: EventKind, data: dict[str, Any]) -> bool:
    """Whether readers see this change (the desk sees every change)."""
    if kind is EventKind.BLOG_CREATED:
        return False
    if kind in (EventKind.ENTRY_DELETED, EventKind.ENTRY_DRAFTED):
        return bool(data.get("was_public"))
    if "entry" in data:
        return data["entry"].get("status") == EntryStatus.PUBLISHED or bool(data.get("was_public"))
    return True


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
