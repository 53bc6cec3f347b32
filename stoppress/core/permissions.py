"""Who may do what: checked in the core, so every way in (API, desk, CLI) obeys the same rules."""

from __future__ import annotations

from stoppress.core.errors import PermissionDenied
from stoppress.core.models import Entry, Role, User

EDITORS = (Role.ADMIN, Role.EDITOR)


def require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("Only an admin can manage users and tokens.")


def require_editor(actor: User, action: str) -> None:
    if actor.role not in EDITORS:
        raise PermissionDenied(f"Only an editor or admin can {action}; ask an editor on your desk.")


def can_publish(actor: User) -> bool:
    return actor.role in EDITORS


def require_can_change(actor: User, entry: Entry) -> None:
    """Editors change any entry; a contributor only their own, and only before it is published."""
    if actor.role in EDITORS:
        return
    if entry.author_id != actor.id:
        raise PermissionDenied("A contributor can only change their own entries.")
    if entry.is_public:
        raise PermissionDenied("This entry is published; ask an editor to change it.")
