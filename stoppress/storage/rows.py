"""Mapping between database rows and the core's models, shared by the SQL backends."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Mapping

from stoppress.core.models import (
    Blog,
    BlogStatus,
    Entry,
    EntryStatus,
    Event,
    EventKind,
    Image,
    KeyPoints,
    Media,
    Revision,
    Role,
    User,
)

Row = Mapping[str, Any]


def ts(moment: datetime | None) -> str | None:
    """A UTC timestamp as fixed-width ISO text, so text order is time order."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def dt(text: str | datetime | None) -> datetime | None:
    if text is None or isinstance(text, datetime):
        return text
    return datetime.fromisoformat(text)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def user(row: Row) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        role=Role(row["role"]),
        password_hash=row["password_hash"],
        created_at=dt(row["created_at"]),
    )


def blog(row: Row) -> Blog:
    lead = row["lead_image"]
    return Blog(
        id=row["id"],
        slug=row["slug"],
        code=row["code"],
        title=row["title"],
        description=row["description"],
        language=row["language"],
        sections=json.loads(row["sections"]),
        lead_image=Image.from_dict(json.loads(lead)) if lead else None,
        status=BlogStatus(row["status"]),
        publisher=row["publisher"],
        published_at=dt(row["published_at"]),
        updated_at=dt(row["updated_at"]),
        ended_at=dt(row["ended_at"]),
        key_points=KeyPoints(json.loads(row["key_points"]), dt(row["key_points_updated_at"])),
        last_event_id=row["last_event_id"],
        timezone=row["timezone"],
    )


def blog_values(b: Blog) -> dict[str, Any]:
    return {
        "slug": b.slug,
        "code": b.code,
        "title": b.title,
        "description": b.description,
        "language": b.language,
        "sections": dumps(b.sections),
        "lead_image": dumps(asdict(b.lead_image)) if b.lead_image else None,
        "status": str(b.status),
        "publisher": b.publisher,
        "timezone": b.timezone,
        "published_at": ts(b.published_at),
        "updated_at": ts(b.updated_at),
        "ended_at": ts(b.ended_at),
        "key_points": dumps(b.key_points.items),
        "key_points_updated_at": ts(b.key_points.updated_at),
    }


def entry(row: Row) -> Entry:
    return Entry(
        id=row["id"],
        blog_id=row["blog_id"],
        code=row["code"],
        title=row["title"],
        blocks=json.loads(row["blocks"]),
        status=EntryStatus(row["status"]),
        key_event=bool(row["key_event"]),
        pinned=bool(row["pinned"]),
        author_id=row["author_id"],
        author_name=row["author_name"],
        version=row["version"],
        created_at=dt(row["created_at"]),
        published_at=dt(row["published_at"]),
        updated_at=dt(row["updated_at"]),
        correction=row["correction"],
        review_note=row["review_note"],
        publish_at=dt(row["publish_at"]),
    )


def entry_values(e: Entry) -> dict[str, Any]:
    return {
        "blog_id": e.blog_id,
        "code": e.code,
        "title": e.title,
        "blocks": dumps(e.blocks),
        "status": str(e.status),
        "key_event": int(e.key_event),
        "pinned": int(e.pinned),
        "author_id": e.author_id,
        "author_name": e.author_name,
        "version": e.version,
        "created_at": ts(e.created_at),
        "published_at": ts(e.published_at),
        "updated_at": ts(e.updated_at),
        "correction": e.correction,
        "review_note": e.review_note,
        "publish_at": ts(e.publish_at),
    }


def media(row: Row) -> Media:
    return Media(
        id=row["id"],
        name=row["name"],
        width=row["width"],
        height=row["height"],
        renditions={fmt: {int(w): f for w, f in sizes.items()} for fmt, sizes in json.loads(row["renditions"]).items()},
        uploaded_by=row["uploaded_by"],
        created_at=dt(row["created_at"]),
    )


def revision(row: Row) -> Revision:
    return Revision(
        entry_id=row["entry_id"],
        version=row["version"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        created_at=dt(row["created_at"]),  # type: ignore[arg-type]
        snapshot=json.loads(row["snapshot"]),
    )


def event(row: Row) -> Event:
    return Event(
        blog_id=row["blog_id"],
        id=row["id"],
        kind=EventKind(row["kind"]),
        entry_code=row["entry_code"],
        data=json.loads(row["data"]),
        created_at=dt(row["created_at"]),  # type: ignore[arg-type]
    )
