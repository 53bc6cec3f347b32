"""The `Storage` contract: every backend must pass this one suite.

The suite is parametrised over `FACTORIES` (backend name -> async factory). A factory takes a folder and
returns a *not yet started* storage whose database lives there; called twice with the same folder it must
open the same database again (the durability tests reopen it, and a child process builds its storage from
the same factory). Adding a backend is one more entry, e.g.
`"postgres": postgres_storage` where `postgres_storage` creates a fresh schema for the folder's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stoppress.broker.memory import MemoryBroker
from stoppress.core import content
from stoppress.core.errors import Conflict
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
    NewEvent,
    Revision,
    Role,
    User,
)
from stoppress.core.services import Newsroom
from stoppress.storage.base import Session, Storage, TokenInfo
from stoppress.storage.sqlite import SQLiteStorage


async def sqlite_storage(folder: Path) -> Storage:
    return SQLiteStorage(f"sqlite:///{folder / 'contract.db'}")


FACTORIES: dict[str, Callable[[Path], Awaitable[Storage]]] = {
    "sqlite": sqlite_storage,
}

T0 = datetime(2024, 1, 23, 8, 0, tzinfo=UTC)
EDITOR = User(id=None, name="desk", role=Role.EDITOR)


@pytest.fixture(params=sorted(FACTORIES))
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def storage(backend: str, tmp_path: Path) -> AsyncIterator[Storage]:
    folder = tmp_path / "db"
    folder.mkdir()
    store = await FACTORIES[backend](folder)
    await store.startup()
    try:
        yield store
    finally:
        await store.shutdown()


@pytest.fixture
async def newsroom(storage: Storage) -> AsyncIterator[Newsroom]:
    broker = MemoryBroker()
    await broker.startup()
    try:
        yield Newsroom(storage, broker)
    finally:
        await broker.shutdown()


# Builders of valid rows


def make_blog(slug: str, code: str, **fields: object) -> Blog:
    values: dict[str, object] = {
        "title": f"{slug} live",
        "description": "As it happens.",
        "sections": ["World", "Europe"],
        "lead_image": Image(alt="A crowd", caption="The square", credit="AP", src="https://cdn.example.com/a.jpg"),
        "publisher": "DW",
        "published_at": T0,
        "updated_at": T0,
        "key_points": KeyPoints(["First point"], T0),
    }
    values.update(fields)
    return Blog(id=None, slug=slug, code=code, **values)  # type: ignore[arg-type]


def make_entry(blog: Blog, code: str, minute: int = 0, **fields: object) -> Entry:
    moment = T0 + timedelta(minutes=minute)
    values: dict[str, object] = {
        "title": f"Update {code}",
        "blocks": content.parse_body(f"<p>Body of <strong>{code}</strong></p>"),
        "status": EntryStatus.PUBLISHED,
        "author_name": "desk",
        "version": 1,
        "created_at": moment,
        "published_at": moment,
        "updated_at": moment,
    }
    values.update(fields)
    return Entry(id=None, blog_id=blog.id or 0, code=code, **values)  # type: ignore[arg-type]


def revision_of(entry: Entry) -> Revision:
    return Revision(0, entry.version, None, "desk", entry.updated_at or T0, entry.snapshot())


def entry_event(entry: Entry, kind: EventKind = EventKind.ENTRY_PUBLISHED) -> NewEvent:
    return NewEvent(kind, entry.code, {"entry": entry.snapshot()}, entry.updated_at)


async def add_blog(storage: Storage, slug: str = "storm", code: str = "STORM1", **fields: object) -> Blog:
    blog, _ = await storage.create_blog(make_blog(slug, code, **fields), NewEvent(EventKind.BLOG_CREATED, None, {}))
    return blog


async def insert(storage: Storage, blog: Blog, code: str, minute: int = 0, **fields: object) -> tuple[Entry, Event]:
    entry = make_entry(blog, code, minute, **fields)
    kind = EventKind.ENTRY_PUBLISHED if entry.is_public else EventKind.ENTRY_DRAFTED
    return await storage.save_entry(entry, revision_of(entry), entry_event(entry, kind), None)


async def edit(storage: Storage, entry: Entry, expected: int, **changes: object) -> tuple[Entry, Event]:
    current = await storage.get_entry(entry.blog_id, entry.code)
    assert current is not None
    for name, value in changes.items():
        setattr(current, name, value)
    current.version = expected + 1
    current.updated_at = (current.updated_at or T0) + timedelta(seconds=1)
    return await storage.save_entry(
        current, revision_of(current), entry_event(current, EventKind.ENTRY_UPDATED), expected
    )


async def all_events(storage: Storage, blog: Blog) -> list[Event]:
    return await storage.events_after(blog.id or 0, 0, limit=100_000)


# Users and tokens


async def test_add_user_gives_an_id_and_get_user_returns_it(storage: Storage) -> None:
    user = await storage.add_user(User(None, "alice", Role.EDITOR, "argon-hash", T0))
    assert isinstance(user.id, int) and user.id > 0
    assert await storage.get_user("alice") == User(user.id, "alice", Role.EDITOR, "argon-hash", T0)
    assert await storage.get_user("nobody") is None
    assert await storage.get_user("ALICE") is None  # names are exact


async def test_a_user_without_password_round_trips(storage: Storage) -> None:
    user = await storage.add_user(User(None, "bot", Role.CONTRIBUTOR, None, T0))
    assert await storage.get_user("bot") == User(user.id, "bot", Role.CONTRIBUTOR, None, T0)


async def test_duplicate_user_name_is_a_conflict_and_changes_nothing(storage: Storage) -> None:
    first = await storage.add_user(User(None, "alice", Role.EDITOR, "hash-1", T0))
    with pytest.raises(Conflict):
        await storage.add_user(User(None, "alice", Role.ADMIN, "hash-2", T0))
    assert await storage.list_users() == [first]
    assert (await storage.get_user("alice")) == first


async def test_users_are_listed_by_name(storage: Storage) -> None:
    for name in ("carol", "alice", "bob"):
        await storage.add_user(User(None, name, Role.CONTRIBUTOR, None, T0))
    users = await storage.list_users()
    assert [u.name for u in users] == ["alice", "bob", "carol"]
    assert len({u.id for u in users}) == 3


async def test_update_user_saves_role_and_password_hash(storage: Storage) -> None:
    user = await storage.add_user(User(None, "alice", Role.CONTRIBUTOR, "old-hash", T0))
    other = await storage.add_user(User(None, "bob", Role.CONTRIBUTOR, "bob-hash", T0))
    user.role = Role.ADMIN
    user.password_hash = "new-hash"
    await storage.update_user(user)
    assert await storage.get_user("alice") == User(user.id, "alice", Role.ADMIN, "new-hash", T0)
    assert await storage.get_user("bob") == other


async def test_tokens_are_found_by_hash(storage: Storage) -> None:
    alice = await storage.add_user(User(None, "alice", Role.EDITOR, None, T0))
    bob = await storage.add_user(User(None, "bob", Role.CONTRIBUTOR, None, T0))
    await storage.add_token(alice.id or 0, "laptop", "a" * 64, T0)
    await storage.add_token(alice.id or 0, "phone", "b" * 64, T0)
    await storage.add_token(bob.id or 0, "cms", "c" * 64, T0)
    assert await storage.user_for_token("a" * 64) == alice
    assert await storage.user_for_token("b" * 64) == alice
    assert await storage.user_for_token("c" * 64) == bob
    assert await storage.user_for_token("d" * 64) is None
    # Using a token twice still works (recording its use must not break it).
    assert await storage.user_for_token("a" * 64) == alice


async def test_a_token_follows_its_users_role_change(storage: Storage) -> None:
    alice = await storage.add_user(User(None, "alice", Role.CONTRIBUTOR, None, T0))
    await storage.add_token(alice.id or 0, "cms", "e" * 64, T0)
    alice.role = Role.EDITOR
    await storage.update_user(alice)
    found = await storage.user_for_token("e" * 64)
    assert found is not None and found.role is Role.EDITOR



async def test_list_tokens_is_newest_first_and_per_user(storage: Storage) -> None:
    alice = await storage.add_user(User(None, "alice", Role.EDITOR, None, T0))
    bob = await storage.add_user(User(None, "bob", Role.EDITOR, None, T0))
    await storage.add_token(alice.id or 0, "laptop", "a" * 64, T0)
    await storage.add_token(bob.id or 0, "cms", "c" * 64, T0 + timedelta(minutes=1))
    await storage.add_token(alice.id or 0, "phone", "b" * 64, T0 + timedelta(minutes=2))
    tokens = await storage.list_tokens(alice.id or 0)
    assert all(isinstance(t, TokenInfo) for t in tokens)
    assert [(t.name, t.created_at) for t in tokens] == [("phone", T0 + timedelta(minutes=2)), ("laptop", T0)]
    assert len({t.id for t in tokens}) == 2
    assert all(t.last_used_at is None or isinstance(t.last_used_at, datetime) for t in tokens)
    assert [t.name for t in await storage.list_tokens(bob.id or 0)] == ["cms"]
    assert await storage.list_tokens((bob.id or 0) + 1000) == []


async def test_revoke_token_deletes_only_the_owners_token(storage: Storage) -> None:
    alice = await storage.add_user(User(None, "alice", Role.EDITOR, None, T0))
    bob = await storage.add_user(User(None, "bob", Role.EDITOR, None, T0))
    await storage.add_token(alice.id or 0, "laptop", "a" * 64, T0)
    await storage.add_token(bob.id or 0, "cms", "c" * 64, T0)
    (laptop,) = await storage.list_tokens(alice.id or 0)
    (cms,) = await storage.list_tokens(bob.id or 0)
    assert await storage.revoke_token(alice.id or 0, cms.id) is False  # not hers
    assert await storage.user_for_token("c" * 64) == bob
    assert await storage.revoke_token(alice.id or 0, laptop.id) is True
    assert await storage.user_for_token("a" * 64) is None
    assert await storage.list_tokens(alice.id or 0) == []
    assert await storage.revoke_token(alice.id or 0, laptop.id) is False  # already gone


async def test_delete_user_removes_tokens_and_sessions_but_keeps_their_entries(storage: Storage) -> None:
    alice = await storage.add_user(User(None, "alice", Role.CONTRIBUTOR, "hash", T0))
    bob = await storage.add_user(User(None, "bob", Role.EDITOR, None, T0))
    await storage.add_token(alice.id or 0, "cms", "a" * 64, T0)
    await storage.add_token(bob.id or 0, "cms", "b" * 64, T0)
    await storage.add_session("s" * 64, alice.id or 0, "csrf-a", T0, T0 + timedelta(days=1))
    await storage.add_session("t" * 64, bob.id or 0, "csrf-b", T0, T0 + timedelta(days=1))
    blog = await add_blog(storage)
    written, _ = await insert(storage, blog, "BYALICE", author_id=alice.id, author_name="alice")

    await storage.delete_user(alice.id or 0)
    assert await storage.get_user("alice") is None
    assert [u.name for u in await storage.list_users()] == ["bob"]
    assert await storage.user_for_token("a" * 64) is None
    assert await storage.list_tokens(alice.id or 0) == []
    assert await storage.get_session("s" * 64, T0) is None
    assert await storage.user_for_token("b" * 64) == bob
    assert (await storage.get_session("t" * 64, T0)) is not None
    kept = await storage.get_entry(blog.id or 0, "BYALICE")
    assert kept is not None and kept.author_name == "alice" and kept.author_id in (None, alice.id)
    assert [r.version for r in await storage.list_revisions(written.id or 0)] == [1]
    # The name is free again.
    again = await storage.add_user(User(None, "alice", Role.EDITOR, None, T0))
    assert again.id != bob.id


async def test_sessions_are_found_by_hash_until_they_expire(storage: Storage) -> None:
    alice = await storage.add_user(User(None, "alice", Role.EDITOR, "hash", T0))
    expires = T0 + timedelta(days=14)
    await storage.add_session("s" * 64, alice.id or 0, "csrf-token", T0, expires)
    session = await storage.get_session("s" * 64, T0 + timedelta(days=1))
    assert session == Session(alice, "csrf-token", expires)
    assert await storage.get_session("s" * 64, expires - timedelta(seconds=1)) is not None
    assert await storage.get_session("s" * 64, expires) is None
    assert await storage.get_session("s" * 64, expires + timedelta(days=1)) is None
    assert await storage.get_session("x" * 64, T0) is None
    # A session sees its user as they are now.
    alice.role = Role.ADMIN
    await storage.update_user(alice)
    now = await storage.get_session("s" * 64, T0)
    assert now is not None and now.user.role is Role.ADMIN


async def test_delete_sessions_by_cookie_or_by_user(storage: Storage) -> None:
    alice = await storage.add_user(User(None, "alice", Role.EDITOR, None, T0))
    bob = await storage.add_user(User(None, "bob", Role.EDITOR, None, T0))
    later = T0 + timedelta(days=1)
    for cookie, user in (("a1", alice), ("a2", alice), ("a3", alice), ("b1", bob)):
        await storage.add_session(cookie * 32, user.id or 0, "csrf", T0, later)
    await storage.delete_sessions(token_hash="a1" * 32)
    assert await storage.get_session("a1" * 32, T0) is None
    assert await storage.get_session("a2" * 32, T0) is not None
    await storage.delete_sessions(user_id=alice.id)
    assert await storage.get_session("a2" * 32, T0) is None and await storage.get_session("a3" * 32, T0) is None
    assert await storage.get_session("b1" * 32, T0) is not None
    await storage.delete_sessions(token_hash="nope" * 16)  # nothing to do is fine
    await storage.delete_sessions()
    assert await storage.get_session("b1" * 32, T0) is not None


async def test_create_first_admin_works_once_with_a_known_setup_token(storage: Storage) -> None:
    await storage.add_setup_token("setup-1" * 8, T0)
    await storage.add_setup_token("setup-2" * 8, T0)
    assert await storage.create_first_admin("unknown" * 8, User(None, "mallory", Role.ADMIN, "h", T0)) is None
    assert await storage.list_users() == []
    first = await storage.create_first_admin("setup-1" * 8, User(None, "root", Role.ADMIN, "hash", T0))
    assert first is not None and isinstance(first.id, int)
    assert await storage.get_user("root") == User(first.id, "root", Role.ADMIN, "hash", T0)
    # Every setup token is forgotten, and a site with users never takes one again.
    assert await storage.create_first_admin("setup-1" * 8, User(None, "second", Role.ADMIN, "h", T0)) is None
    assert await storage.create_first_admin("setup-2" * 8, User(None, "third", Role.ADMIN, "h", T0)) is None
    await storage.add_setup_token("setup-3" * 8, T0)
    assert await storage.create_first_admin("setup-3" * 8, User(None, "fourth", Role.ADMIN, "h", T0)) is None
    assert [u.name for u in await storage.list_users()] == ["root"]


async def test_create_first_admin_is_not_taken_twice_by_concurrent_claims(storage: Storage) -> None:
    await storage.add_setup_token("setup" * 8, T0)
    results = await asyncio.gather(
        *(storage.create_first_admin("setup" * 8, User(None, f"admin{i}", Role.ADMIN, "h", T0)) for i in range(10))
    )
    assert len([r for r in results if r is not None]) == 1
    assert len(await storage.list_users()) == 1


async def test_media_round_trips(storage: Storage) -> None:
    alice = await storage.add_user(User(None, "alice", Role.EDITOR, None, T0))
    renditions = {"webp": {480: "abc-480.webp", 960: "abc-960.webp"}, "jpeg": {480: "abc-480.jpg"}}
    media = await storage.add_media(Media(None, "abc", 1920, 1080, renditions, alice.id, T0))
    assert isinstance(media.id, int) and media.id > 0
    assert await storage.get_media("abc") == Media(media.id, "abc", 1920, 1080, renditions, alice.id, T0)
    other = await storage.add_media(Media(None, "def", 10, 20, {}, None, T0))
    assert other.id != media.id
    assert await storage.get_media("def") == Media(other.id, "def", 10, 20, {}, None, T0)
    assert await storage.get_media("nope") is None

# Blogs and their events


async def test_create_blog_records_it_with_its_first_event(storage: Storage) -> None:
    blog, event = await storage.create_blog(
        make_blog("storm", "STORM1"), NewEvent(EventKind.BLOG_CREATED, None, {"note": "hello"})
    )
    assert isinstance(blog.id, int) and blog.id > 0
    assert event.blog_id == blog.id and event.id == 1 and event.kind is EventKind.BLOG_CREATED
    assert event.entry_code is None and event.data == {"note": "hello"}
    assert blog.last_event_id == 1
    stored = await storage.get_blog("storm")
    assert stored == blog
    assert await storage.get_blog_by_id(blog.id) == blog
    assert stored is not None and stored.lead_image == Image("A crowd", "The square", "AP", "https://cdn.example.com/a.jpg")
    assert stored.key_points == KeyPoints(["First point"], T0)
    assert stored.sections == ["World", "Europe"]
    assert await all_events(storage, blog) == [event]
    assert await storage.get_blog("nope") is None
    assert await storage.get_blog_by_id(blog.id + 1000) is None


async def test_event_ids_grow_by_one_within_a_blog_independently_per_blog(storage: Storage) -> None:
    a = await add_blog(storage, "alpha", "ALPHA1")
    b = await add_blog(storage, "beta", "BETA01")
    ids: dict[str, list[int]] = {"alpha": [1], "beta": [1]}
    for i in range(4):
        event = await storage.set_key_points(a.id or 0, KeyPoints([f"a{i}"], T0), NewEvent(EventKind.KEY_POINTS_UPDATED, None, {"i": i}))
        ids["alpha"].append(event.id)
        if i % 2 == 0:
            _, event = await insert(storage, b, f"beta-{i}")
            ids["beta"].append(event.id)
    assert ids == {"alpha": [1, 2, 3, 4, 5], "beta": [1, 2, 3]}
    assert [e.id for e in await all_events(storage, a)] == [1, 2, 3, 4, 5]
    assert [e.id for e in await all_events(storage, b)] == [1, 2, 3]
    assert all(e.blog_id == a.id for e in await all_events(storage, a))
    # The blog's counter is written with its events.
    assert (await storage.get_blog("alpha")).last_event_id == 5  # type: ignore[union-attr]
    assert (await storage.get_blog("beta")).last_event_id == 3  # type: ignore[union-attr]


async def test_every_write_returns_the_event_it_recorded(storage: Storage) -> None:
    blog, created = await storage.create_blog(make_blog("storm", "STORM1"), NewEvent(EventKind.BLOG_CREATED, None, {}))
    blog.title = "Storm, day two"
    updated = await storage.update_blog(blog, NewEvent(EventKind.BLOG_UPDATED, None, {"blog": blog.snapshot()}))
    points = await storage.set_key_points(blog.id or 0, KeyPoints(["x"], T0), NewEvent(EventKind.KEY_POINTS_UPDATED, None, {"k": 1}))
    entry, published = await insert(storage, blog, "E1")
    _, changed = await edit(storage, entry, 1, title="New")
    deleted = await storage.delete_entry(
        await storage.get_entry(blog.id or 0, "E1"), NewEvent(EventKind.ENTRY_DELETED, "E1", {"was_public": True})  # type: ignore[arg-type]
    )
    returned = [created, updated, points, published, changed, deleted]
    assert await all_events(storage, blog) == returned
    assert [e.kind for e in returned] == [
        EventKind.BLOG_CREATED, EventKind.BLOG_UPDATED, EventKind.KEY_POINTS_UPDATED,
        EventKind.ENTRY_PUBLISHED, EventKind.ENTRY_UPDATED, EventKind.ENTRY_DELETED,
    ]
    assert [e.entry_code for e in returned] == [None, None, None, "E1", "E1", "E1"]
    assert published.data == {"entry": make_entry(blog, "E1").snapshot()}
    assert all(e.created_at.tzinfo is not None for e in returned)


@pytest.mark.parametrize("clash", ["slug", "code"])
async def test_duplicate_slug_or_code_is_a_conflict_and_writes_nothing(storage: Storage, clash: str) -> None:
    first = await add_blog(storage, "storm", "STORM1")
    before = await all_events(storage, first)
    slug, code = ("storm", "OTHER1") if clash == "slug" else ("other", "STORM1")
    with pytest.raises(Conflict) as caught:
        await storage.create_blog(make_blog(slug, code), NewEvent(EventKind.BLOG_CREATED, None, {}))
    assert caught.value.field == clash
    assert await storage.list_blogs() == [first]
    assert await all_events(storage, first) == before
    if clash == "slug":
        assert not await storage.code_taken("OTHER1")
        assert await storage.resolve_code("OTHER1") is None
    else:
        assert await storage.get_blog("other") is None
        assert await storage.resolve_code("STORM1") == ("storm", None)
    # Nothing half-written blocks a later, valid blog, whose events start at 1.
    fresh, event = await storage.create_blog(make_blog("other", "OTHER1"), NewEvent(EventKind.BLOG_CREATED, None, {}))
    assert event.id == 1 and fresh.last_event_id == 1


async def test_a_blog_code_clashing_with_an_entry_code_is_a_conflict(storage: Storage) -> None:
    blog = await add_blog(storage)
    await insert(storage, blog, "SHARED")
    with pytest.raises(Conflict):
        await storage.create_blog(make_blog("other", "SHARED"), NewEvent(EventKind.BLOG_CREATED, None, {}))
    assert await storage.get_blog("other") is None
    assert await storage.resolve_code("SHARED") == ("storm", "SHARED")


async def test_update_blog_saves_its_fields_but_not_key_points_or_code(storage: Storage) -> None:
    blog = await add_blog(storage)
    later = T0 + timedelta(hours=3)
    blog.title = "Storm: the aftermath"
    blog.description = "Cleaning up."
    blog.language = "de"
    blog.sections = ["Weather"]
    blog.lead_image = None
    blog.status = BlogStatus.ENDED
    blog.publisher = "DW News"
    blog.updated_at = later
    blog.ended_at = later
    blog.key_points = KeyPoints(["not saved by update_blog"], later)
    event = await storage.update_blog(blog, NewEvent(EventKind.BLOG_UPDATED, None, {"blog": blog.snapshot()}))
    assert event.id == 2 and event.kind is EventKind.BLOG_UPDATED
    stored = await storage.get_blog("storm")
    assert stored is not None
    assert (stored.title, stored.description, stored.language, stored.sections, stored.lead_image) == (
        "Storm: the aftermath", "Cleaning up.", "de", ["Weather"], None)
    assert (stored.status, stored.publisher, stored.updated_at, stored.ended_at) == (
        BlogStatus.ENDED, "DW News", later, later)
    assert stored.key_points == KeyPoints(["First point"], T0)
    assert stored.code == "STORM1" and stored.last_event_id == 2


async def test_update_blog_can_change_the_slug(storage: Storage) -> None:
    blog = await add_blog(storage)
    blog.slug = "storm-2024"
    await storage.update_blog(blog, NewEvent(EventKind.BLOG_UPDATED, None, {}))
    assert await storage.get_blog("storm") is None
    moved = await storage.get_blog("storm-2024")
    assert moved is not None and moved.id == blog.id
    assert await storage.resolve_code("STORM1") == ("storm-2024", None)


async def test_update_blog_to_a_taken_slug_is_a_conflict_and_writes_nothing(storage: Storage) -> None:
    await add_blog(storage, "alpha", "ALPHA1")
    beta = await add_blog(storage, "beta", "BETA01")
    before = await all_events(storage, beta)
    beta.slug = "alpha"
    beta.title = "Hijack"
    with pytest.raises(Conflict):
        await storage.update_blog(beta, NewEvent(EventKind.BLOG_UPDATED, None, {}))
    stored = await storage.get_blog_by_id(beta.id or 0)
    assert stored is not None and (stored.slug, stored.title, stored.last_event_id) == ("beta", "beta live", 1)
    assert await all_events(storage, beta) == before


async def test_set_key_points_replaces_them(storage: Storage) -> None:
    blog = await add_blog(storage)
    moment = T0 + timedelta(minutes=5)
    event = await storage.set_key_points(
        blog.id or 0, KeyPoints(["One", "Two"], moment), NewEvent(EventKind.KEY_POINTS_UPDATED, None, {"items": ["One", "Two"]})
    )
    assert (event.id, event.kind, event.data) == (2, EventKind.KEY_POINTS_UPDATED, {"items": ["One", "Two"]})
    stored = await storage.get_blog("storm")
    assert stored is not None and stored.key_points == KeyPoints(["One", "Two"], moment)
    assert stored.title == blog.title and stored.last_event_id == 2
    await storage.set_key_points(blog.id or 0, KeyPoints([], moment), NewEvent(EventKind.KEY_POINTS_UPDATED, None, {}))
    assert (await storage.get_blog("storm")).key_points.items == []  # type: ignore[union-attr]


async def test_blogs_are_listed_most_recently_updated_first(storage: Storage) -> None:
    a = await add_blog(storage, "alpha", "ALPHA1", updated_at=T0)
    b = await add_blog(storage, "beta", "BETA01", updated_at=T0 + timedelta(hours=1))
    c = await add_blog(storage, "gamma", "GAMMA1", updated_at=T0 + timedelta(hours=2))
    assert [x.slug for x in await storage.list_blogs()] == ["gamma", "beta", "alpha"]
    # A new entry makes its blog the most recently updated.
    await insert(storage, a, "A1", minute=60 * 5)
    assert [x.slug for x in await storage.list_blogs()] == ["alpha", "gamma", "beta"]
    assert {x.id for x in await storage.list_blogs()} == {a.id, b.id, c.id}


# Entries


async def test_save_entry_inserts_it_with_revision_event_and_short_code(storage: Storage) -> None:
    blog = await add_blog(storage)
    entry = make_entry(blog, "E1", key_event=True, pinned=True)
    saved, event = await storage.save_entry(entry, revision_of(entry), entry_event(entry), None)
    assert isinstance(saved.id, int) and saved.id > 0
    assert await storage.get_entry(blog.id or 0, "E1") == saved
    assert await storage.get_entry(blog.id or 0, "nope") is None
    assert await storage.get_entry((blog.id or 0) + 1000, "E1") is None
    assert (event.blog_id, event.id, event.kind, event.entry_code) == (blog.id, 2, EventKind.ENTRY_PUBLISHED, "E1")
    revisions = await storage.list_revisions(saved.id)
    assert [(r.entry_id, r.version, r.author_name, r.snapshot) for r in revisions] == [
        (saved.id, 1, "desk", entry.snapshot())
    ]
    assert await storage.resolve_code("E1") == ("storm", "E1")
    assert await storage.code_taken("E1")
    assert (await storage.get_blog("storm")).last_event_id == 2  # type: ignore[union-attr]


async def test_save_entry_without_revision_records_none(storage: Storage) -> None:
    blog = await add_blog(storage)
    entry = make_entry(blog, "E1")
    saved, _ = await storage.save_entry(entry, None, entry_event(entry), None)
    assert await storage.list_revisions(saved.id or 0) == []


async def test_inserting_a_taken_code_is_a_conflict_and_writes_nothing(storage: Storage) -> None:
    blog = await add_blog(storage)
    first, _ = await insert(storage, blog, "E1")
    before = await all_events(storage, blog)
    for code in ("E1", "STORM1"):  # another entry's code, or the blog's own
        with pytest.raises(Conflict):
            await insert(storage, blog, code, title="Duplicate")
    assert await all_events(storage, blog) == before
    assert (await storage.list_entries(blog.id or 0)).entries == [first]
    assert await storage.get_entry(blog.id or 0, "STORM1") is None


async def test_save_entry_updates_with_the_expected_version(storage: Storage) -> None:
    blog = await add_blog(storage)
    entry, _ = await insert(storage, blog, "E1")
    updated, event = await edit(storage, entry, 1, title="Corrected", pinned=True)
    assert updated.id == entry.id and updated.version == 2
    assert (event.id, event.kind, event.entry_code) == (3, EventKind.ENTRY_UPDATED, "E1")
    stored = await storage.get_entry(blog.id or 0, "E1")
    assert stored == updated and stored is not None
    assert (stored.title, stored.pinned, stored.version) == ("Corrected", True, 2)
    again, _ = await edit(storage, entry, 2, status=EntryStatus.DRAFT)
    assert (await storage.get_entry(blog.id or 0, "E1")).version == 3  # type: ignore[union-attr]
    assert again.status is EntryStatus.DRAFT
    assert [r.version for r in await storage.list_revisions(entry.id or 0)] == [1, 2, 3]
    assert [r.snapshot["title"] for r in await storage.list_revisions(entry.id or 0)] == [
        "Update E1", "Corrected", "Corrected"]


async def test_a_stale_update_is_a_conflict_carrying_the_current_entry_and_writes_nothing(storage: Storage) -> None:
    blog = await add_blog(storage)
    entry, _ = await insert(storage, blog, "E1")
    current, _ = await edit(storage, entry, 1, title="Their change")
    events_before = await all_events(storage, blog)
    revisions_before = await storage.list_revisions(entry.id or 0)
    blog_before = await storage.get_blog("storm")

    mine = make_entry(blog, "E1", title="My change", version=2)
    mine.id = entry.id
    with pytest.raises(Conflict) as caught:
        await storage.save_entry(mine, revision_of(mine), entry_event(mine, EventKind.ENTRY_UPDATED), 1)
    assert isinstance(caught.value.current, Entry)
    assert caught.value.current == current
    assert (caught.value.current.version, caught.value.current.title) == (2, "Their change")

    assert await storage.get_entry(blog.id or 0, "E1") == current
    assert await storage.list_revisions(entry.id or 0) == revisions_before
    assert await all_events(storage, blog) == events_before
    assert await storage.get_blog("storm") == blog_before
    # The next event still follows on directly.
    _, event = await edit(storage, entry, 2, title="Reapplied")
    assert event.id == events_before[-1].id + 1


async def test_delete_entry_removes_it_records_the_event_and_keeps_its_code(storage: Storage) -> None:
    blog = await add_blog(storage)
    keep, _ = await insert(storage, blog, "KEEP", minute=1)
    gone, _ = await insert(storage, blog, "GONE", minute=2)
    await edit(storage, gone, 1, title="Edited before deletion")
    event = await storage.delete_entry(gone, NewEvent(EventKind.ENTRY_DELETED, "GONE", {"was_public": True}))
    assert (event.id, event.kind, event.entry_code, event.data) == (5, EventKind.ENTRY_DELETED, "GONE", {"was_public": True})
    assert (await all_events(storage, blog))[-1] == event
    assert await storage.get_entry(blog.id or 0, "GONE") is None
    page = await storage.list_entries(blog.id or 0)
    assert (page.entries, page.total) == ([keep], 1)
    # The short code is never given out again, and still points at the blog (the entry is gone).
    assert await storage.code_taken("GONE")
    assert await storage.resolve_code("GONE") == ("storm", "GONE")
    # Its revisions stay for the record.
    assert [r.version for r in await storage.list_revisions(gone.id or 0)] == [1, 2]
    assert (await storage.get_blog("storm")).last_event_id == 5  # type: ignore[union-attr]



async def test_an_entry_created_after_the_newest_one_was_deleted_gets_a_fresh_id(storage: Storage) -> None:
    # Regression: SQLite reused a deleted newest entry's id, and its kept revisions then collided with the
    # new entry's (a raw IntegrityError, a 500 from the API) or would have become the new entry's history.
    blog = await add_blog(storage)
    gone, _ = await insert(storage, blog, "GONE")
    await edit(storage, gone, 1, title="Edited")
    await storage.delete_entry(gone, NewEvent(EventKind.ENTRY_DELETED, "GONE", {"was_public": True}))
    fresh, event = await insert(storage, blog, "FRESH")
    assert event.id == 5
    assert fresh.id != gone.id
    assert [r.snapshot["code"] for r in await storage.list_revisions(fresh.id or 0)] == ["FRESH"]
    assert [r.snapshot["code"] for r in await storage.list_revisions(gone.id or 0)] == ["GONE", "GONE"]

async def test_newsroom_short_link_of_a_deleted_entry_resolves_to_the_blog(newsroom: Newsroom) -> None:
    blog = await newsroom.create_blog(EDITOR, {"title": "Storm", "slug": "storm"})
    entry = await newsroom.create_entry(EDITOR, "storm", {"title": "Soon gone", "body": "<p>x</p>"})
    await newsroom.delete_entry(EDITOR, "storm", entry.code)
    found_blog, found_entry = await newsroom.resolve_code(entry.code)
    assert (found_blog.id, found_entry) == (blog.id, None)


async def test_list_entries_is_newest_first_with_offset_limit_and_total(storage: Storage) -> None:
    blog = await add_blog(storage)
    other = await add_blog(storage, "other", "OTHER1")
    for minute in (3, 1, 4, 0, 2):  # inserted out of order
        await insert(storage, blog, f"E{minute}", minute)
    await insert(storage, other, "X1", 10)
    await insert(storage, blog, "D1", 9, status=EntryStatus.DRAFT)
    await insert(storage, blog, "S1", 8, status=EntryStatus.SUBMITTED)

    page = await storage.list_entries(blog.id or 0)
    assert [e.code for e in page.entries] == ["E4", "E3", "E2", "E1", "E0"] and page.total == 5
    page = await storage.list_entries(blog.id or 0, offset=1, limit=2)
    assert [e.code for e in page.entries] == ["E3", "E2"] and page.total == 5
    page = await storage.list_entries(blog.id or 0, offset=4, limit=2)
    assert [e.code for e in page.entries] == ["E0"] and page.total == 5
    page = await storage.list_entries(blog.id or 0, offset=10, limit=2)
    assert page.entries == [] and page.total == 5
    page = await storage.list_entries(blog.id or 0, statuses=(EntryStatus.DRAFT,))
    assert [e.code for e in page.entries] == ["D1"] and page.total == 1
    page = await storage.list_entries(blog.id or 0, statuses=tuple(EntryStatus))
    assert [e.code for e in page.entries] == ["D1", "S1", "E4", "E3", "E2", "E1", "E0"] and page.total == 7
    page = await storage.list_entries(blog.id or 0, statuses=(EntryStatus.DRAFT, EntryStatus.SUBMITTED), limit=1)
    assert [e.code for e in page.entries] == ["D1"] and page.total == 2


async def test_list_entries_breaks_ties_newest_insert_first(storage: Storage) -> None:
    blog = await add_blog(storage)
    for code in ("T1", "T2", "T3"):
        await insert(storage, blog, code, 5)
    assert [e.code for e in (await storage.list_entries(blog.id or 0)).entries] == ["T3", "T2", "T1"]


async def test_list_entries_pinned_only_and_key_events_only(storage: Storage) -> None:
    blog = await add_blog(storage)
    await insert(storage, blog, "PLAIN", 1)
    await insert(storage, blog, "PIN1", 2, pinned=True)
    await insert(storage, blog, "KEY1", 3, key_event=True)
    await insert(storage, blog, "BOTH", 4, pinned=True, key_event=True)
    await insert(storage, blog, "PINDRAFT", 5, pinned=True, status=EntryStatus.DRAFT)
    page = await storage.list_entries(blog.id or 0, pinned_only=True)
    assert [e.code for e in page.entries] == ["BOTH", "PIN1"] and page.total == 2
    page = await storage.list_entries(blog.id or 0, key_events_only=True)
    assert [e.code for e in page.entries] == ["BOTH", "KEY1"] and page.total == 2
    page = await storage.list_entries(blog.id or 0, pinned_only=True, key_events_only=True)
    assert [e.code for e in page.entries] == ["BOTH"] and page.total == 1
    page = await storage.list_entries(blog.id or 0, pinned_only=True, statuses=tuple(EntryStatus))
    assert [e.code for e in page.entries] == ["PINDRAFT", "BOTH", "PIN1"] and page.total == 3


async def test_count_newer_counts_newer_published_entries_of_the_blog(storage: Storage) -> None:
    blog = await add_blog(storage)
    other = await add_blog(storage, "other", "OTHER1")
    entries = [(await insert(storage, blog, f"E{m}", m))[0] for m in range(5)]
    tie, _ = await insert(storage, blog, "TIE", 2)  # same time as E2, inserted later: newer
    await insert(storage, blog, "DRAFT", 10, status=EntryStatus.DRAFT)
    await insert(storage, other, "X1", 10)
    assert [await storage.count_newer(e) for e in entries] == [5, 4, 3, 1, 0]
    assert await storage.count_newer(tie) == 2


async def test_list_revisions_is_oldest_first(storage: Storage) -> None:
    blog = await add_blog(storage)
    entry, _ = await insert(storage, blog, "E1")
    for version in range(1, 5):
        await edit(storage, entry, version, title=f"v{version + 1}")
    revisions = await storage.list_revisions(entry.id or 0)
    assert [r.version for r in revisions] == [1, 2, 3, 4, 5]
    assert [r.snapshot["title"] for r in revisions] == ["Update E1", "v2", "v3", "v4", "v5"]
    assert all(r.entry_id == entry.id and r.created_at.tzinfo is not None for r in revisions)
    assert await storage.list_revisions((entry.id or 0) + 1000) == []



async def test_due_entries_are_the_scheduled_ones_whose_time_has_come_oldest_first(storage: Storage) -> None:
    blog = await add_blog(storage)
    other = await add_blog(storage, "other", "OTHER1")
    now = T0 + timedelta(hours=1)
    await insert(storage, blog, "LATE", status=EntryStatus.SCHEDULED, publish_at=now - timedelta(minutes=5))
    await insert(storage, other, "EARLY", status=EntryStatus.SCHEDULED, publish_at=now - timedelta(minutes=30))
    await insert(storage, blog, "EXACT", status=EntryStatus.SCHEDULED, publish_at=now)
    await insert(storage, blog, "FUTURE", status=EntryStatus.SCHEDULED, publish_at=now + timedelta(seconds=1))
    await insert(storage, blog, "DRAFT", status=EntryStatus.DRAFT, publish_at=now - timedelta(minutes=10))
    await insert(storage, blog, "LIVE", publish_at=now - timedelta(minutes=10))
    due = await storage.due_entries(now)
    assert [e.code for e in due] == ["EARLY", "LATE", "EXACT"]
    assert due[0].publish_at == now - timedelta(minutes=30) and due[0].status is EntryStatus.SCHEDULED
    assert await storage.due_entries(now - timedelta(hours=1)) == []
    # Once published it is no longer due.
    entry = await storage.get_entry(other.id or 0, "EARLY")
    await edit(storage, entry, 1, status=EntryStatus.PUBLISHED, publish_at=None)  # type: ignore[arg-type]
    assert [e.code for e in await storage.due_entries(now)] == ["LATE", "EXACT"]


async def test_an_events_time_is_the_one_given(storage: Storage) -> None:
    blog = await add_blog(storage)
    at = T0 + timedelta(minutes=42)
    event = await storage.set_key_points(blog.id or 0, KeyPoints(["x"], at), NewEvent(EventKind.KEY_POINTS_UPDATED, None, {}, at))
    assert event.created_at == at
    assert (await storage.events_after(blog.id or 0, 1))[0].created_at == at


async def test_only_public_entry_changes_move_the_blogs_last_updated_time(storage: Storage) -> None:
    blog = await add_blog(storage)  # updated_at T0

    async def updated_at() -> datetime | None:
        return (await storage.get_blog("storm")).updated_at  # type: ignore[union-attr]

    await insert(storage, blog, "DRAFT", 10, status=EntryStatus.DRAFT)
    assert await updated_at() == T0
    live, _ = await insert(storage, blog, "LIVE", 20)
    assert await updated_at() == T0 + timedelta(minutes=20)
    await insert(storage, blog, "BACKDATED", 5)  # an older time never moves it back
    assert await updated_at() == T0 + timedelta(minutes=20)
    await storage.delete_entry(
        live, NewEvent(EventKind.ENTRY_DELETED, "LIVE", {"was_public": True}, T0 + timedelta(minutes=30))
    )
    assert await updated_at() == T0 + timedelta(minutes=30)
    draft = await storage.get_entry(blog.id or 0, "DRAFT")
    await storage.delete_entry(
        draft, NewEvent(EventKind.ENTRY_DELETED, "DRAFT", {"was_public": False}, T0 + timedelta(minutes=40))  # type: ignore[arg-type]
    )
    assert await updated_at() == T0 + timedelta(minutes=30)

# Short codes and events


async def test_resolve_code_and_code_taken(storage: Storage) -> None:
    blog = await add_blog(storage)
    await insert(storage, blog, "E1")
    await insert(storage, blog, "DRAFT1", status=EntryStatus.DRAFT)
    assert await storage.resolve_code("STORM1") == ("storm", None)
    assert await storage.resolve_code("E1") == ("storm", "E1")
    assert await storage.resolve_code("DRAFT1") == ("storm", "DRAFT1")
    draft = await storage.get_entry(blog.id or 0, "DRAFT1")  # whatever its status
    assert draft is not None and draft.status is EntryStatus.DRAFT
    assert await storage.resolve_code("NOPE99") is None
    assert await storage.code_taken("STORM1") and await storage.code_taken("E1") and await storage.code_taken("DRAFT1")
    assert not await storage.code_taken("NOPE99")


async def test_events_after_is_in_order_with_limit_and_per_blog(storage: Storage) -> None:
    blog = await add_blog(storage)
    other = await add_blog(storage, "other", "OTHER1")
    for i in range(10):
        await insert(storage, blog, f"E{i}", i)
        if i % 3 == 0:
            await insert(storage, other, f"X{i}", i)
    assert [e.id for e in await storage.events_after(blog.id or 0, 0)] == list(range(1, 12))
    assert [e.id for e in await storage.events_after(blog.id or 0, 4)] == list(range(5, 12))
    assert [e.id for e in await storage.events_after(blog.id or 0, 4, limit=3)] == [5, 6, 7]
    assert [e.entry_code for e in await storage.events_after(blog.id or 0, 4, limit=3)] == ["E3", "E4", "E5"]
    assert await storage.events_after(blog.id or 0, 11) == []
    assert await storage.events_after(blog.id or 0, 500) == []
    assert [e.entry_code for e in await storage.events_after(other.id or 0, 0)] == [None, "X0", "X3", "X6", "X9"]
    assert await storage.events_after((other.id or 0) + 1000, 0) == []
    assert len(await storage.events_after(blog.id or 0, 0, limit=1)) == 1


# Concurrency and durability


async def test_fifty_concurrent_writes_all_succeed_with_consecutive_event_ids(storage: Storage) -> None:
    blog = await add_blog(storage)
    entries = [make_entry(blog, f"C{i:02d}", i) for i in range(50)]
    results = await asyncio.gather(
        *(storage.save_entry(e, revision_of(e), entry_event(e), None) for e in entries), return_exceptions=True
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert not any("locked" in str(r) for r in results)
    ids = sorted(event.id for _, event in results)  # type: ignore[misc]
    assert ids == list(range(2, 52))
    assert [e.id for e in await all_events(storage, blog)] == list(range(1, 52))
    page = await storage.list_entries(blog.id or 0, limit=100)
    assert page.total == 50
    assert len({e.id for e in page.entries}) == 50
    assert (await storage.get_blog("storm")).last_event_id == 51  # type: ignore[union-attr]


async def test_concurrent_writes_through_the_newsroom_mix_reads_and_writes(newsroom: Newsroom) -> None:
    await newsroom.create_blog(EDITOR, {"title": "Storm", "slug": "storm"})
    await newsroom.create_blog(EDITOR, {"title": "Flood", "slug": "flood"})

    async def write(i: int) -> Entry:
        slug = "storm" if i % 2 else "flood"
        entry = await newsroom.create_entry(EDITOR, slug, {"title": f"Update {i}", "body": f"<p>{i}</p>"})
        return await newsroom.update_entry(EDITOR, slug, entry.code, {"title": f"Update {i}, corrected"}, 1)

    results = await asyncio.gather(*(write(i) for i in range(40)), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results
    for slug in ("storm", "flood"):
        blog = await newsroom.get_blog(slug)
        events = await newsroom.events_after(blog, 0)
        assert [e.id for e in events] == list(range(1, 42))
        assert blog.last_event_id == 41


async def test_shutdown_commits_pending_writes_first(backend: str, tmp_path: Path) -> None:
    store = await FACTORIES[backend](tmp_path)
    await store.startup()
    blog = await add_blog(store)
    entries = [make_entry(blog, f"P{i}", i) for i in range(10)]
    tasks = [asyncio.ensure_future(store.save_entry(e, None, entry_event(e), None)) for e in entries]
    await asyncio.sleep(0)  # every write is handed over before shutdown begins
    await store.shutdown()
    done, _ = await asyncio.wait(tasks, timeout=20)
    assert len(done) == 10 and all(t.exception() is None for t in done)

    reopened = await FACTORIES[backend](tmp_path)
    await reopened.startup()
    try:
        page = await reopened.list_entries(blog.id or 0, limit=100)
        assert page.total == 10
        assert [e.id for e in await all_events(reopened, blog)] == list(range(1, 12))
    finally:
        await reopened.shutdown()


CHILD = textwrap.dedent(
    """
    import asyncio, importlib.util, sys
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("storage_contract", sys.argv[1])
    contract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(contract)

    from stoppress.broker.memory import MemoryBroker
    from stoppress.core.services import Newsroom

    async def main():
        storage = await contract.FACTORIES[sys.argv[2]](Path(sys.argv[3]))
        await storage.startup()
        broker = MemoryBroker()
        await broker.startup()
        newsroom = Newsroom(storage, broker)
        await newsroom.create_blog(contract.EDITOR, {"title": "Storm", "slug": "storm"})
        entry = await newsroom.create_entry(contract.EDITOR, "storm", {"title": "Survives", "body": "<p>kill -9</p>"})
        print("committed", entry.code, flush=True)
        await asyncio.sleep(3600)  # killed here, without any shutdown

    asyncio.run(main())
    """
)


async def test_an_acknowledged_write_survives_kill_9(backend: str, tmp_path: Path) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, __file__, backend, str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    try:
        line = (await asyncio.wait_for(child.stdout.readline(), timeout=60)).decode()
        if not line.startswith("committed "):
            _, err = await asyncio.wait_for(child.communicate(), timeout=20)
            pytest.fail(f"the child did not write: {line!r} {err.decode()}")
        code = line.split()[1]
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
        await asyncio.wait_for(child.communicate(), timeout=20)
    assert child.returncode == -signal.SIGKILL

    store = await FACTORIES[backend](tmp_path)
    await store.startup()
    try:
        blog = await store.get_blog("storm")
        assert blog is not None
        entry = await store.get_entry(blog.id or 0, code)
        assert entry is not None and entry.title == "Survives"
        assert [e.kind for e in await all_events(store, blog)] == [EventKind.BLOG_CREATED, EventKind.ENTRY_PUBLISHED]
        assert blog.last_event_id == 2
    finally:
        await store.shutdown()
