"""Domain errors: what went wrong in the newsroom's words; the web layer maps them to HTTP once."""

from __future__ import annotations


class StopPressError(Exception):
    """Base of every error a user can act on; `message` says what to do."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(StopPressError):
    """The input is wrong; nothing was changed."""


class NotFound(StopPressError):
    """No such blog, entry, user or short link."""


class Conflict(StopPressError):
    """Someone else changed it first, or the name is taken."""

    def __init__(self, message: str, *, current: object | None = None, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.current = current


class PermissionDenied(StopPressError):
    """The user may not do this."""


class Unauthenticated(StopPressError):
    """No valid credentials were given."""
