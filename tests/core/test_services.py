"""Use cases the API does not show directly: scheduling, corrections, contributors' submissions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stoppress.broker.memory import MemoryBroker
from stoppress.core.errors import Invalid, PermissionDenied
from stoppress.core.models import EntryStatus, EventKind
from stoppress.core.services import Newsroom
from stoppress.storage.sqlite import SQLiteStorage

START = datetime(2024, 1, 23, 6, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[tuple[Newsroom, Clock]]:
    storage, broker, clock = SQLiteStorage(str(tmp_path / "t.db")), MemoryBroker(), Clock()
    await storage.startup()
    await broker.startup()
    yield Newsroom(storage, broker, clock), clock
    await broker.shutdown()
    await storage.shutdown()


async def test_a_scheduled_entry_goes_live_at_its_time_and_not_before(room: tuple[Newsroom, Clock]) -> None:
    newsroom, clock = room
    seen = []
    newsroom.broker.listen(lambda event: seen.append(event.kind))
    ed = await newsroom.add_user("ed", "editor", "correct horse battery")
    blog = await newsroom.create_blog(ed, {"title": "Vote", "slug": "vote", "timezone": "Europe/Kyiv"})
    at = START + timedelta(hours=12)
    entry = await newsroom.create_entry(ed, "vote", {"title": "Polls close", "body": "Now.", "format": "text",
                                                      "status": "published", "publish_at": at.isoformat()})
    assert entry.status is EntryStatus.SCHEDULED
    assert (await newsroom.list_entries(blog)).total == 0
    assert await newsroom.publish_due() == []

    clock.now = at + timedelta(seconds=1)
    published = await newsroom.publish_due()
    assert [e.code for e in published] == [entry.code]
    assert published[0].published_at == clock.now and published[0].publish_at is None
    assert (await newsroom.list_entries(blog)).entries[0].title == "Polls close"
    assert seen[-1] is EventKind.ENTRY_PUBLISHED
    assert await newsroom.publish_due() == []  # only once


async def test_scheduling_needs_a_time_and_a_time_zone_must_exist(room: tuple[Newsroom, Clock]) -> None:
    newsroom, _ = room
    ed = await newsroom.add_user("ed", "editor", "correct horse battery")
    with pytest.raises(Invalid, match="timezone"):
        await newsroom.create_blog(ed, {"title": "Vote", "timezone": "Mars/Olympus"})
    await newsroom.create_blog(ed, {"title": "Vote", "slug": "vote"})
    with pytest.raises(Invalid, match="publish_at"):
        await newsroom.create_entry(ed, "vote", {"title": "Later", "body": "x", "format": "text", "status": "scheduled"})


async def test_a_contributor_submits_and_an_editor_sends_back_then_approves(room: tuple[Newsroom, Clock]) -> None:
    newsroom, clock = room
    ed = await newsroom.add_user("ed", "editor", "correct horse battery")
    kim = await newsroom.add_user("kim", "contributor", "correct horse battery")
    blog = await newsroom.create_blog(ed, {"title": "Match", "slug": "match"})
    draft = await newsroom.create_entry(kim, "match", {"title": "Goal", "body": "1-0", "format": "text",
                                                       "publish_at": (START + timedelta(hours=1)).isoformat()})
    assert draft.status is EntryStatus.SUBMITTED  # never live by itself, not even scheduled
    with pytest.raises(PermissionDenied):
        await newsroom.update_entry(kim, "match", draft.code, {"pinned": True})

    back = await newsroom.update_entry(ed, "match", draft.code, {"status": "draft", "review_note": "Who scored?"})
    assert back.review_note == "Who scored?"
    fixed = await newsroom.update_entry(kim, "match", draft.code, {"body": "1-0, Müller", "format": "text",
                                                                   "status": "submitted"})
    clock.now = START + timedelta(minutes=30)
    live = await newsroom.update_entry(ed, "match", draft.code, {"status": "published"}, fixed.version)
    assert live.status is EntryStatus.PUBLISHED and live.published_at == clock.now
    with pytest.raises(PermissionDenied):
        await newsroom.update_entry(kim, "match", draft.code, {"title": "Goal!"})
    history = await newsroom.revisions(live)
    assert [(r.version, r.author_name) for r in history] == [(1, "kim"), (2, "ed"), (3, "kim"), (4, "ed")]

    corrected = await newsroom.update_entry(ed, "match", draft.code, {"correction": "Müller scored, not Kane."})
    assert (await newsroom.list_entries(blog)).entries[0].correction == corrected.correction
