"""The newsroom's use cases: each validates, writes to storage (with its event) and then publishes.

`Newsroom` is what every way in calls: the API, the reader pages, the CLI. It knows nothing of HTTP.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from stoppress.broker.base import Broker
from stoppress.core import accounts, entry_rules, permissions
from stoppress.core import validation as check
from stoppress.core.access import Access
from stoppress.core.errors import Conflict, Invalid, NotFound, Unauthenticated
from stoppress.core.models import (
    Blog,
    BlogStatus,
    Entry,
    EntryStatus,
    Event,
    EventKind,
    KeyPoints,
    NewEvent,
    Revision,
    Role,
    User,
)
from stoppress.storage.base import EntryPage, Storage

CODE_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/l/I
PAGE_SIZE = 20


def now() -> datetime:
    return datetime.now(UTC)


class Newsroom:
    """Every use case of Stop Press, over one storage and one broker."""

    def __init__(self, storage: Storage, broker: Broker, clock: Callable[[], datetime] = now) -> None:
        self.storage = storage
        self.broker = broker
        self.clock = clock
        self.access = Access(storage, clock)

    async def _publish(self, event: Event) -> Event:
        await self.broker.publish(event)
        return event

    async def new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
            if not await self.storage.code_taken(code):
                return code

    async def _claim_code(self, code: Any) -> str:
        if code in (None, ""):
            return await self.new_code()
        if not isinstance(code, str) or not check.CODE_RE.match(code):
            raise Invalid("A short code has 3 to 32 letters, digits, '-' or '_'.", field="code")
        return code

    # Users and tokens

    async def add_user(self, name: str, role: Role | str, password: str | None = None) -> User:
        try:
            role = Role(role)
        except ValueError:
            raise Invalid("The role must be admin, editor or contributor.", field="role") from None
        user = User(
            id=None,
            name=accounts.check_user_name(name),
            role=role,
            password_hash=accounts.hash_password(password) if password else None,
            created_at=self.clock(),
        )
        return await self.storage.add_user(user)

    async def get_user(self, name: str) -> User:
        user = await self.storage.get_user(name)
        if user is None:
            raise NotFound(f"There is no user named {name!r}; create one with `stoppress users add {name}`.")
        return user

    async def authenticate(self, name: str, password: str) -> User:
        user = await self.storage.get_user(name)
        if not accounts.verify_password(user.password_hash if user else None, password) or user is None:
            raise Unauthenticated("That user name and password do not match.")
        return user

    async def create_token(self, user: User, name: str = "api") -> str:
        token = accounts.new_token()
        await self.storage.add_token(user.id or 0, name, accounts.hash_token(token), self.clock())
        return token

    async def user_for_token(self, token: str) -> User:
        user = await self.storage.user_for_token(accounts.hash_token(token))
        if user is None:
            raise Unauthenticated("This API token is not valid; create one with `stoppress tokens create NAME`.")
        return user

    # Blogs

    async def get_blog(self, slug: str) -> Blog:
        blog = await self.storage.get_blog(slug)
        if blog is None:
            raise NotFound(f"There is no blog {slug!r}.")
        return blog

    async def list_blogs(self) -> list[Blog]:
        return await self.storage.list_blogs()

    async def create_blog(self, actor: User, data: dict[str, Any]) -> Blog:
        permissions.require_editor(actor, "create a blog")
        check.no_unknown(data, (check.BLOG_FIELDS - {"status"}) | {"code", "published_at", "updated_at"})
        title = check.clean_text(data.get("title"), "title", required=True)
        slug = data.get("slug") or check.slugify(title)
        if not isinstance(slug, str) or not check.SLUG_RE.match(slug) or len(slug) > 80:
            raise Invalid(
                "The slug is the blog's address: lowercase letters, digits and single dashes, up to 80 "
                "characters (e.g. 'ukraine-updates').",
                field="slug",
            )
        moment = check.parse_time(data.get("published_at"), "published_at") or self.clock()
        blog = Blog(
            id=None,
            slug=slug,
            code=await self._claim_code(data.get("code")),
            title=title,
            description=check.clean_text(data.get("description"), "description", limit=2000),
            language=check.language(data.get("language", "en")),
            sections=check.sections(data.get("sections", [])),
            lead_image=check.clean_image(data.get("lead_image"), "lead_image"),
            publisher=check.clean_text(data.get("publisher"), "publisher", limit=200),
            timezone=check.timezone(data.get("timezone") or "UTC"),
            published_at=moment,
            updated_at=check.parse_time(data.get("updated_at"), "updated_at") or moment,
            key_points=KeyPoints(check.key_points(data.get("key_points", [])), moment if data.get("key_points") else None),
        )
        blog, event = await self.storage.create_blog(blog, NewEvent(EventKind.BLOG_CREATED, None, {}, moment))
        await self._publish(event)
        return blog

    async def update_blog(self, actor: User, slug: str, data: dict[str, Any]) -> Blog:
        permissions.require_editor(actor, "change a blog")
        blog = await self.get_blog(slug)
        changes: dict[str, Any] = {}
        if "title" in data:
            changes["title"] = check.clean_text(data["title"], "title", required=True)
        if "slug" in data and data["slug"] != blog.slug:
            if not isinstance(data["slug"], str) or not check.SLUG_RE.match(data["slug"]):
                raise Invalid("The slug must be lowercase letters, digits and single dashes.", field="slug")
            changes["slug"] = data["slug"]
        if "description" in data:
            changes["description"] = check.clean_text(data["description"], "description", limit=2000)
        if "language" in data:
            changes["language"] = check.language(data["language"])
        if "sections" in data:
            changes["sections"] = check.sections(data["sections"])
        if "lead_image" in data:
            changes["lead_image"] = check.clean_image(data["lead_image"], "lead_image")
        if "publisher" in data:
            changes["publisher"] = check.clean_text(data["publisher"], "publisher", limit=200)
        if "timezone" in data:
            changes["timezone"] = check.timezone(data["timezone"])
        if "status" in data:
            try:
                status = BlogStatus(data["status"])
            except ValueError:
                raise Invalid("The status of a blog is 'live' or 'ended'.", field="status") from None
            changes["status"] = status
            changes["ended_at"] = self.clock() if status is BlogStatus.ENDED else None
        unknown = set(data) - check.BLOG_FIELDS
        if unknown:
            raise Invalid(f"Unknown field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
        if "key_points" in data:
            await self.set_key_points(actor, slug, data["key_points"])
            blog = await self.get_blog(slug)
        if not changes:
            return blog
        blog = replace(blog, **changes, updated_at=self.clock())
        event = await self.storage.update_blog(blog, NewEvent(EventKind.BLOG_UPDATED, None, {"blog": blog.snapshot()}, blog.updated_at))
        blog.last_event_id = event.id
        await self._publish(event)
        return blog

    async def set_key_points(self, actor: User, slug: str, items: Any) -> Blog:
        permissions.require_editor(actor, "change the key points")
        blog = await self.get_blog(slug)
        blog.key_points = KeyPoints(check.key_points(items), self.clock())
        data = {"key_points": {"items": blog.key_points.items, "updated_at": blog.key_points.updated_at.isoformat()}}  # type: ignore[union-attr]
        event = await self.storage.set_key_points(
            blog.id or 0, blog.key_points, NewEvent(EventKind.KEY_POINTS_UPDATED, None, data, blog.key_points.updated_at)
        )
        blog.last_event_id = event.id
        await self._publish(event)
        return blog

    # Entries

    async def get_entry(self, blog: Blog, code: str, actor: User | None = None) -> Entry:
        entry = await self.storage.get_entry(blog.id or 0, code)
        visible = entry is not None and (
            entry.is_public or (actor is not None and (permissions.can_publish(actor) or entry.author_id == actor.id))
        )
        if entry is None or not visible:
            raise NotFound(f"There is no entry {code!r} in the blog {blog.slug!r}.")
        return entry

    async def list_entries(
        self, blog: Blog, *, page: int = 1, per_page: int = PAGE_SIZE, include_unpublished: bool = False
    ) -> EntryPage:
        statuses = tuple(EntryStatus) if include_unpublished else (EntryStatus.PUBLISHED,)
        return await self.storage.list_entries(
            blog.id or 0, statuses=statuses, offset=(max(page, 1) - 1) * per_page, limit=per_page
        )

    async def page_of(self, entry: Entry, per_page: int = PAGE_SIZE) -> int:
        """The reader page (1 = newest) on which a published entry is shown."""
        return await self.storage.count_newer(entry) // per_page + 1

    async def create_entry(self, actor: User, slug: str, data: dict[str, Any]) -> Entry:
        blog = await self.get_blog(slug)
        check.no_unknown(data, entry_rules.EDITABLE | {"code", "published_at", "updated_at", "author"})
        fields = entry_rules.entry_fields({"status": "published", **data}, actor, None)
        moment = self.clock()
        published_at = check.parse_time(data.get("published_at"), "published_at")
        if published_at is not None:
            permissions.require_editor(actor, "set an entry's publication time")
        entry = Entry(
            id=None,
            blog_id=blog.id or 0,
            code=await self._claim_code(data.get("code")),
            title=fields.pop("title", ""),
            blocks=fields.pop("blocks", []),
            author_id=actor.id,
            author_name=check.clean_text(data.get("author"), "author", limit=200) or actor.name,
            version=1,
            created_at=moment,
            published_at=published_at or fields.get("publish_at") or moment,
            updated_at=check.parse_time(data.get("updated_at"), "updated_at") or published_at or moment,
            **fields,
        )
        if not entry.title:
            raise Invalid("Title is required.", field="title")
        if not entry.blocks:
            raise Invalid("body is required: the text of the update.", field="body")
        kind = EventKind.ENTRY_PUBLISHED if entry.is_public else EventKind.ENTRY_DRAFTED
        entry, event = await self.storage.save_entry(
            entry, entry_rules.revision(entry, actor, moment), NewEvent(kind, entry.code, {"entry": entry.snapshot()}, moment), None
        )
        await self._publish(event)
        return entry

    async def update_entry(
        self, actor: User, slug: str, code: str, data: dict[str, Any], expected_version: int | None = None
    ) -> Entry:
        blog = await self.get_blog(slug)
        old = await self.get_entry(blog, code, actor)
        permissions.require_can_change(actor, old)
        check.no_unknown(data, entry_rules.EDITABLE | {"version"})
        if "version" in data and expected_version is None:
            if not isinstance(data["version"], int):
                raise Invalid("version must be the entry's version number you edited.", field="version")
            expected_version = data["version"]
        if expected_version is not None and expected_version != old.version:
            raise entry_rules.stale(old)
        moment = self.clock()
        entry = replace(old, **entry_rules.entry_fields(data, actor, old), version=old.version + 1, updated_at=moment)
        return await self._save_change(actor, old, entry, moment)

    async def publish_due(self) -> list[Entry]:
        """Publish the scheduled entries whose time has come; several processes may call this safely."""
        published = []
        for old in await self.storage.due_entries(self.clock()):
            moment = self.clock()
            entry = replace(old, status=EntryStatus.PUBLISHED, version=old.version + 1, updated_at=moment)
            try:
                published.append(await self._save_change(entry_rules.SCHEDULER, old, entry, moment))
            except Conflict:
                continue  # another process published (or someone edited) it first
        return published

    async def _save_change(self, actor: User, old: Entry, entry: Entry, moment: datetime) -> Entry:
        if entry.is_public and not old.is_public:
            entry.published_at = moment  # approval or a scheduled entry going live puts it on top
            entry.publish_at = None
        kind = entry_rules.update_kind(old, entry)
        entry, event = await self.storage.save_entry(
            entry,
            entry_rules.revision(entry, actor, moment),
            NewEvent(kind, entry.code, {"entry": entry.snapshot(), "was_public": old.is_public}, moment),
            old.version,
        )
        await self._publish(event)
        return entry

    async def delete_entry(self, actor: User, slug: str, code: str) -> None:
        blog = await self.get_blog(slug)
        entry = await self.get_entry(blog, code, actor)
        permissions.require_can_change(actor, entry)
        event = await self.storage.delete_entry(
            entry, NewEvent(EventKind.ENTRY_DELETED, entry.code, {"was_public": entry.is_public}, self.clock())
        )
        await self._publish(event)

    async def revisions(self, entry: Entry) -> list[Revision]:
        return await self.storage.list_revisions(entry.id or 0)

    # Short links and events

    async def resolve_code(self, code: str) -> tuple[Blog, Entry | None]:
        found = await self.storage.resolve_code(code) if check.CODE_RE.match(code) else None
        if found is None:
            raise NotFound(f"The short link {code!r} does not exist.")
        blog = await self.get_blog(found[0])
        entry = await self.storage.get_entry(blog.id or 0, found[1]) if found[1] else None
        return blog, entry if entry and entry.is_public else None

    async def events_after(self, blog: Blog, after: int, limit: int = 500) -> list[Event]:
        return await self.storage.events_after(blog.id or 0, after, limit)


