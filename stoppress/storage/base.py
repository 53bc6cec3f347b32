"""The storage interface: the source of truth for blogs, entries, users and the event log.

Every write that changes a blog also appends its event, in the same transaction, so the event log is
exactly the history of committed changes. A method returns only after its transaction is committed.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

from stoppress.core.models import Blog, Entry, EntryStatus, Event, KeyPoints, Media, NewEvent, Revision, User


@dataclass(slots=True, frozen=True)
class TokenInfo:
    """An API token as its owner sees it (the secret itself is never stored)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(slots=True, frozen=True)
class Session:
    """A signed-in browser: who it is and the token its forms must carry."""

    user: User
    csrf: str
    expires_at: datetime


@dataclass(slots=True, frozen=True)
class EntryPage:
    """One page of a blog's published entries, newest first."""

    entries: list[Entry]
    total: int


class Storage(abc.ABC):
    """Where Stop Press keeps everything; one implementation per database."""

    @abc.abstractmethod
    async def startup(self) -> None:
        """Open connections and apply pending migrations."""

    @abc.abstractmethod
    async def shutdown(self) -> None:
        """Close connections; pending writes are committed first."""

    # Users and tokens

    @abc.abstractmethod
    async def add_user(self, user: User) -> User:
        """Insert a user (Conflict if the name is taken); return it with its id."""

    @abc.abstractmethod
    async def update_user(self, user: User) -> None:
        """Save a user's role and password hash."""

    @abc.abstractmethod
    async def get_user(self, name: str) -> User | None:
        """The user with that name."""

    @abc.abstractmethod
    async def list_users(self) -> list[User]:
        """Every user, by name."""

    @abc.abstractmethod
    async def add_token(self, user_id: int, name: str, token_hash: str, created_at: datetime) -> None:
        """Store an API token by its hash."""

    @abc.abstractmethod
    async def user_for_token(self, token_hash: str) -> User | None:
        """The user an API token hash belongs to."""

    @abc.abstractmethod
    async def list_tokens(self, user_id: int) -> list[TokenInfo]:
        """A user's API tokens, newest first."""

    @abc.abstractmethod
    async def revoke_token(self, user_id: int, token_id: int) -> bool:
        """Delete one of a user's tokens; False if there was no such token."""

    @abc.abstractmethod
    async def delete_user(self, user_id: int) -> None:
        """Remove a user with their tokens and sessions (their entries stay, by name)."""

    # Sign-in sessions and the first-run setup link

    @abc.abstractmethod
    async def add_session(self, token_hash: str, user_id: int, csrf: str, created_at: datetime, expires_at: datetime) -> None:
        """Record a signed-in browser by the hash of its cookie."""

    @abc.abstractmethod
    async def get_session(self, token_hash: str, now: datetime) -> Session | None:
        """The unexpired session with that cookie hash."""

    @abc.abstractmethod
    async def delete_sessions(self, *, token_hash: str | None = None, user_id: int | None = None) -> None:
        """Sign out one browser, or every browser of a user."""

    @abc.abstractmethod
    async def add_setup_token(self, token_hash: str, created_at: datetime) -> None:
        """Remember a one-time setup link (only meaningful while there are no users)."""

    @abc.abstractmethod
    async def create_first_admin(self, token_hash: str, user: User) -> User | None:
        """In one transaction: if the setup token is known and no user exists, add the user and forget
        every setup token; otherwise change nothing and return None."""

    # Media

    @abc.abstractmethod
    async def add_media(self, media: Media) -> Media:
        """Record an uploaded picture and its renditions."""

    @abc.abstractmethod
    async def get_media(self, name: str) -> Media | None:
        """The picture with that name."""

    # Blogs

    @abc.abstractmethod
    async def create_blog(self, blog: Blog, event: NewEvent) -> tuple[Blog, Event]:
        """Insert a blog and its short code (Conflict if slug or code are taken)."""

    @abc.abstractmethod
    async def update_blog(self, blog: Blog, event: NewEvent) -> Event:
        """Save a blog's fields (not its key points)."""

    @abc.abstractmethod
    async def set_key_points(self, blog_id: int, key_points: KeyPoints, event: NewEvent) -> Event:
        """Replace a blog's key points."""

    @abc.abstractmethod
    async def get_blog(self, slug: str) -> Blog | None:
        """The blog with that slug."""

    @abc.abstractmethod
    async def get_blog_by_id(self, blog_id: int) -> Blog | None:
        """The blog with that id."""

    @abc.abstractmethod
    async def list_blogs(self) -> list[Blog]:
        """Every blog, most recently updated first."""

    # Entries

    @abc.abstractmethod
    async def save_entry(
        self, entry: Entry, revision: Revision | None, event: NewEvent, expected_version: int | None
    ) -> tuple[Entry, Event]:
        """Insert (expected_version None) or update an entry, its revision and event.

        An update whose stored version is not `expected_version` changes nothing and raises Conflict.
        """

    @abc.abstractmethod
    async def delete_entry(self, entry: Entry, event: NewEvent) -> Event:
        """Remove an entry (its revisions stay for the record)."""

    @abc.abstractmethod
    async def get_entry(self, blog_id: int, code: str) -> Entry | None:
        """The entry with that code in that blog, whatever its status."""

    @abc.abstractmethod
    async def list_entries(
        self,
        blog_id: int,
        *,
        statuses: tuple[EntryStatus, ...] = (EntryStatus.PUBLISHED,),
        offset: int = 0,
        limit: int = 20,
        pinned_only: bool = False,
        key_events_only: bool = False,
    ) -> EntryPage:
        """A page of entries, newest first, with the total that match."""

    @abc.abstractmethod
    async def due_entries(self, now: datetime) -> list[Entry]:
        """Scheduled entries of every blog whose publication time has come, oldest first."""

    @abc.abstractmethod
    async def count_newer(self, entry: Entry) -> int:
        """How many published entries of its blog are newer than this one (for finding its page)."""

    @abc.abstractmethod
    async def list_revisions(self, entry_id: int) -> list[Revision]:
        """An entry's revisions, oldest first."""

    # Short links and events

    @abc.abstractmethod
    async def resolve_code(self, code: str) -> tuple[str, str | None] | None:
        """The blog slug and entry code (None for the blog itself) a short code points to."""

    @abc.abstractmethod
    async def code_taken(self, code: str) -> bool:
        """Whether a short code is already used by a blog or an entry."""

    @abc.abstractmethod
    async def events_after(self, blog_id: int, after: int, limit: int = 500) -> list[Event]:
        """A blog's events with id > after, oldest first."""
