"""The rules of changing an entry: who may set which field, and what kind of change it makes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stoppress.core import permissions
from stoppress.core import validation as check
from stoppress.core.errors import Conflict, Invalid
from stoppress.core.models import Entry, EntryStatus, EventKind, Revision, Role, User

EDITABLE = frozenset(
    {"title", "body", "format", "blocks", "key_event", "pinned", "status", "correction", "review_note", "publish_at"}
)


# Who publishes a scheduled entry when its time comes, in the revision history.
SCHEDULER = User(id=None, name="scheduler", role=Role.EDITOR)


def entry_fields(data: dict[str, Any], actor: User, old: Entry | None) -> dict[str, Any]:
    """The validated entry fields present in `data`, with the rules of who may set what."""
    fields: dict[str, Any] = {}
    if "title" in data:
        fields["title"] = check.clean_text(data["title"], "title", required=True)
    if "body" in data or "blocks" in data:
        fields["blocks"] = check.blocks(data)
    for flag in ("key_event", "pinned"):
        if flag in data:
            fields[flag] = check.flag(data[flag], flag)
    if fields.get("pinned", old.pinned if old else False) != (old.pinned if old else False):
        permissions.require_editor(actor, "pin or unpin an entry")
    if "correction" in data:
        fields["correction"] = check.clean_text(data["correction"], "correction", limit=1000)
    if "review_note" in data:
        fields["review_note"] = check.clean_text(data["review_note"], "review_note", limit=1000)
    if "publish_at" in data:
        fields["publish_at"] = check.parse_time(data["publish_at"], "publish_at")
    if "status" in data:
        status = check.status(data["status"])
        if not permissions.can_publish(actor) and status in (EntryStatus.PUBLISHED, EntryStatus.SCHEDULED):
            status = EntryStatus.SUBMITTED  # a contributor's entry never goes live by itself
        elif status is EntryStatus.PUBLISHED and fields.get("publish_at"):
            status = EntryStatus.SCHEDULED  # "publish at 18:00" means scheduled
        fields["status"] = status
    status = fields.get("status", old.status if old else EntryStatus.PUBLISHED)
    if status is EntryStatus.SCHEDULED and not fields.get("publish_at", old.publish_at if old else None):
        raise Invalid("A scheduled entry needs publish_at: the time it goes live.", field="publish_at")
    return fields


def stale(current: Entry) -> Conflict:
    return Conflict(
        f"This entry was changed by someone else since you loaded it (now version {current.version}); "
        "reload it and apply your change again.",
        current=current,
    )


def update_kind(old: Entry, new: Entry) -> EventKind:
    if new.is_public and not old.is_public:
        return EventKind.ENTRY_PUBLISHED
    if old.is_public and not new.is_public:
        return EventKind.ENTRY_DRAFTED  # taken off the page: readers remove it
    if new.pinned != old.pinned and new.title == old.title and new.blocks == old.blocks:
        return EventKind.ENTRY_PINNED if new.pinned else EventKind.ENTRY_UNPINNED
    return EventKind.ENTRY_UPDATED


def revision(entry: Entry, actor: User, moment: datetime) -> Revision:
    return Revision(0, entry.version, actor.id, actor.name, moment, entry.snapshot())
