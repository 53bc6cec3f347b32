"""Import of schema.org LiveBlogPosting JSON-LD and Stop Press exports; full-fidelity export."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from stoppress.broker.memory import MemoryBroker
from stoppress.core.errors import Invalid
from stoppress.core.interchange import export_blog, import_document
from stoppress.core.models import Blog, BlogStatus, Entry, EntryStatus, User
from stoppress.core.services import Newsroom
from stoppress.storage.sqlite import SQLiteStorage

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
if not FIXTURES.exists():
    FIXTURES = Path(os.environ.get("STOPPRESS_FIXTURES", "../shared/fixtures")).resolve()
REFERENCE = FIXTURES / "dw-ukraine-updates-2024-01-23.jsonld"
REFERENCE_SLUG = "ukraine-updates-several-killed-in-russian-missile-strikes"
# The reference page's entries as a reader sees them, newest first.
REFERENCE_CODES = ["4baxK", "4bajW", "4baCW", "4ba66", "4ba3R", "4bZnS", "4bZgl", "4bZYB"]

Room = tuple[Newsroom, User]
OpenRoom = Callable[..., Awaitable[Room]]


@pytest.fixture
async def open_room(tmp_path: Path) -> AsyncIterator[OpenRoom]:
    """Opens a newsroom over a fresh SQLite database (one per name) with an admin, "ed"."""
    opened: list[tuple[SQLiteStorage, MemoryBroker]] = []

    async def open_(name: str = "t", clock: Callable[[], datetime] | None = None) -> Room:
        storage, broker = SQLiteStorage(str(tmp_path / f"{name}.db")), MemoryBroker()
        await storage.startup()
        await broker.startup()
        opened.append((storage, broker))
        newsroom = Newsroom(storage, broker, clock) if clock else Newsroom(storage, broker)
        return newsroom, await newsroom.add_user("ed", "admin", "correct horse battery")

    yield open_
    for storage, broker in opened:
        await broker.shutdown()
        await storage.shutdown()


@pytest.fixture
async def room(open_room: OpenRoom) -> Room:
    return await open_room()


@pytest.fixture
def reference() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return document


async def all_entries(newsroom: Newsroom, blog: Blog) -> list[Entry]:
    """Every entry of the blog, drafts too, as the desk lists them: newest first."""
    return (await newsroom.list_entries(blog, per_page=100, include_unpublished=True)).entries


def by_code(entries: list[Entry]) -> dict[str, Entry]:
    return {entry.code: entry for entry in entries}


# The reference document


async def test_reference_blog_keeps_its_page_fields(room: Room, reference: dict[str, Any]) -> None:
    newsroom, ed = room
    blog = await import_document(newsroom, ed, reference)

    assert blog.slug == REFERENCE_SLUG
    assert blog.title == "Ukraine updates: Several killed in Russian missile strikes"
    assert blog.description.startswith("Ukrainian officials have reported an overnight Russian missile attack")
    assert blog.sections == ["Conflicts", "Ukraine"]
    assert blog.code == "4bZYA"
    assert blog.language == "en"
    assert blog.publisher == "DW"
    assert blog.status is BlogStatus.LIVE
    assert blog.published_at == datetime(2024, 1, 23, 6, 0, tzinfo=UTC)
    assert blog.updated_at == datetime(2024, 1, 23, 12, 8, tzinfo=UTC)
    assert blog.lead_image is not None
    assert blog.lead_image.alt == "A missile is lifted by a crane in Kyiv"
    assert blog.lead_image.caption == "An unexploded missile warhead is removed after a Russian assault on Kyiv"
    assert blog.lead_image.credit == "Efrem Lukatsky/AP Photo/picture alliance"
    assert len(blog.key_points.items) == 5
    assert blog.key_points.items[0] == "Residents of Kyiv took shelter Tuesday morning as Russia launched a missile attack."
    assert await newsroom.get_blog(REFERENCE_SLUG) == blog


async def test_reference_entries_keep_codes_order_and_times(room: Room, reference: dict[str, Any]) -> None:
    newsroom, ed = room
    blog = await import_document(newsroom, ed, reference)

    page = await newsroom.list_entries(blog)  # what readers see: newest first
    assert [entry.code for entry in page.entries] == REFERENCE_CODES
    assert [entry.title for entry in page.entries] == [u["headline"] for u in reference["liveBlogUpdate"]]
    newest = page.entries[0]
    assert newest.title == "US calls on Ukraine allies to 'dig deep' for Kyiv aid"
    assert newest.published_at == datetime(2024, 1, 23, 12, 8, tzinfo=UTC)
    assert all(entry.status is EntryStatus.PUBLISHED and entry.author_name == "ed" for entry in page.entries)
    # Created oldest first, so the event log tells the story in the order it happened.
    events = await newsroom.events_after(blog, 0)
    assert [e.entry_code for e in events if e.entry_code] == REFERENCE_CODES[::-1]
    # Old short links keep working, for the blog and for every entry.
    assert (await newsroom.resolve_code("4bZYA"))[0].slug == REFERENCE_SLUG
    found_blog, found_entry = await newsroom.resolve_code("4bajW")
    assert found_blog.id == blog.id and found_entry is not None
    assert found_entry.title == "Rescuers seek trapped Kharkiv residents"


async def test_reference_bodies_follow_x_items(room: Room, reference: dict[str, Any]) -> None:
    newsroom, ed = room
    entries = by_code(await all_entries(newsroom, await import_document(newsroom, ed, reference)))

    for update in reference["liveBlogUpdate"]:
        blocks = entries[update["identifier"]].blocks
        assert [b["type"] for b in blocks] == [item["type"] for item in update["x-items"]]
        for block, item in zip(blocks, update["x-items"], strict=True):
            if item["type"] == "image":
                assert {k: block[k] for k in ("alt", "caption", "credit")} == {
                    k: item[k] for k in ("alt", "caption", "credit")
                }
            elif item["type"] == "video":
                assert block["title"] == item["title"]

    two_pictures = entries["4bZYB"].blocks
    assert [b["alt"] for b in two_pictures if b["type"] == "image"] == [
        "People sit on the stairs of a Kyiv metro station",
        "An injured person is lifted by workers into an ambulance",
    ]
    assert two_pictures[4]["credit"] == "Efrem Lukatsky/AP Photo/picture alliance"
    assert {"type": "subheading", "text": "Russia blames Kyiv for deadly blasts in Donetsk"} in entries["4baCW"].blocks
    assert entries["4bZnS"].blocks[-1] == {"type": "video", "url": "", "title": "NATO begins huge military exercise"}
    assert entries["4bZgl"].blocks[-1]["title"] == "Mitch McConnell on Conflict Zone Special"
    # Text is escaped into inline HTML, quotes and non-breaking spaces and all.
    assert entries["4baxK"].blocks[1]["html"].startswith('"I urge this group to dig deep')
    assert "$250\u00a0million (€230 million)" in entries["4baxK"].blocks[4]["html"]


async def test_update_without_x_items_uses_article_body_images_and_videos(
    room: Room, reference: dict[str, Any]
) -> None:
    newsroom, ed = room
    update = next(u for u in reference["liveBlogUpdate"] if u["identifier"] == "4bZnS")
    del update["x-items"]
    update["video"][0]["url"] = "https://www.dw.com/en/nato-begins-huge-military-exercise/video-67987654"
    blog = await import_document(newsroom, ed, reference)

    blocks = (await newsroom.get_entry(blog, "4bZnS")).blocks
    assert [b["type"] for b in blocks] == ["paragraph"] * 7 + ["image", "video"]
    assert blocks[0]["html"].startswith("The North Atlantic Treaty Organization (NATO) on Tuesday")
    assert blocks[7]["alt"] == "Shipments of shells for Germany's 'Panzerhaubitze 2000' artillery system"
    assert blocks[7]["credit"] == "Björn Trotzki/IMAGO"
    assert blocks[8] == {
        "type": "video",
        "url": "https://www.dw.com/en/nato-begins-huge-military-exercise/video-67987654",
        "title": "NATO begins huge military exercise",
    }


# Round trips


async def test_export_import_export_is_identical(open_room: OpenRoom, reference: dict[str, Any]) -> None:
    newsroom, ed = await open_room("first")
    blog = await import_document(newsroom, ed, reference)
    exported = await export_blog(newsroom, blog.slug)
    assert exported["stoppress_export"] == 1
    assert [e["code"] for e in exported["entries"]] == REFERENCE_CODES[::-1]  # oldest first

    again, ed2 = await open_room("second")
    # Through JSON, as the CLI moves it between databases.
    restored = await import_document(again, ed2, json.loads(json.dumps(exported)))
    assert restored.slug == blog.slug
    assert await export_blog(again, restored.slug) == exported


async def test_export_restores_drafts_flags_and_times(open_room: OpenRoom) -> None:
    """Everything the desk set (drafts, pins, key events, an ended blog, later key points) comes back."""
    moment = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    newsroom, ed = await open_room("desk", lambda: moment)
    blog = await newsroom.create_blog(ed, {
        "title": "Storm live", "slug": "storm", "code": "storm1", "description": "The storm as it happens.",
        "language": "de", "sections": ["Weather"], "publisher": "DW", "key_points": ["Winds of 120 km/h"],
        "timezone": "Europe/Berlin",
        "lead_image": {"src": "https://img.example/storm.jpg", "alt": "Waves", "caption": "Sea", "credit": "AP"},
    })
    bodies: list[dict[str, Any]] = [
        {"title": "Winds pick up", "body": "First gusts.\n\nTrees down.", "format": "text"},
        {"title": "Quote", "blocks": [{"type": "quote", "html": "It is <b>bad</b>", "cite": "Mayor"},
                                      {"type": "list", "ordered": True, "items": ["one", "two"]}],
         "key_event": True, "pinned": True, "author": "Anna Reporter"},
        {"title": "Draft", "body": "Not yet", "format": "text", "status": "draft"},
        {"title": "Waiting", "body": "<p>For an editor</p>", "status": "submitted"},
        {"title": "Later", "body": "At six", "format": "text", "status": "scheduled",
         "publish_at": "2024-03-01T18:00:00+00:00"},
        {"title": "Same minute", "body": "A tie", "format": "text", "correction": "An earlier version named the wrong town.",
         "published_at": "2024-03-01T09:03:00+00:00", "updated_at": "2024-03-01T09:30:00+00:00"},
    ]
    for minutes, body in enumerate(bodies, 1):
        moment = datetime(2024, 3, 1, 9, min(minutes, 3), tzinfo=UTC)
        await newsroom.create_entry(ed, "storm", body)
    moment = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    await newsroom.set_key_points(ed, "storm", ["Winds of 150 km/h", "Schools closed"])
    moment = datetime(2024, 3, 1, 18, 0, tzinfo=UTC)
    await newsroom.update_blog(ed, "storm", {"status": "ended"})
    exported = await export_blog(newsroom, blog.slug)
    statuses = ["published", "published", "draft", "submitted", "published", "scheduled"]
    assert sorted(e["status"] for e in exported["entries"]) == sorted(statuses)

    again, ed2 = await open_room("again")
    restored = await import_document(again, ed2, json.loads(json.dumps(exported)))
    assert await export_blog(again, restored.slug) == exported
    assert restored.status is BlogStatus.ENDED and restored.ended_at == datetime(2024, 3, 1, 18, tzinfo=UTC)
    assert restored.key_points.updated_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert restored.timezone == "Europe/Berlin"
    page = await again.list_entries(restored)
    assert [e.title for e in page.entries] == ["Same minute", "Quote", "Winds pick up"]
    assert page.entries[1].pinned and page.entries[1].key_event and page.entries[1].author_name == "Anna Reporter"
    assert (await again.resolve_code("storm1"))[0].slug == "storm"


async def test_importing_an_export_with_a_new_slug(room: Room, reference: dict[str, Any]) -> None:
    newsroom, ed = room
    exported = await export_blog(newsroom, (await import_document(newsroom, ed, reference)).slug)
    exported["blog"]["code"] = None
    for entry in exported["entries"]:
        entry["code"] = None  # the copy gets new short codes, so it can live beside the original
    copy_ = await import_document(newsroom, ed, exported, slug="ukraine-copy")
    assert copy_.slug == "ukraine-copy" and copy_.code != "4bZYA"
    again = await import_document(newsroom, ed, exported)
    assert again.slug == REFERENCE_SLUG + "-2"
    assert len(await all_entries(newsroom, again)) == 8


# Refusals: a clear message, and nothing written


async def test_importing_the_same_document_twice_is_refused(room: Room, reference: dict[str, Any]) -> None:
    newsroom, ed = room
    blog = await import_document(newsroom, ed, reference)
    with pytest.raises(Invalid, match=r"short code '4bZYA' is already used by the blog 'ukraine-updates") as info:
        await import_document(newsroom, ed, reference)
    assert "imported before" in info.value.message
    assert [b.slug for b in await newsroom.list_blogs()] == [blog.slug]
    assert (await newsroom.get_blog(blog.slug)).last_event_id == blog.last_event_id


async def test_an_entry_code_in_use_is_never_renamed(room: Room, reference: dict[str, Any]) -> None:
    newsroom, ed = room
    other = await newsroom.create_blog(ed, {"title": "Other"})
    await newsroom.create_entry(ed, other.slug, {"title": "Taken", "body": "x", "format": "text", "code": "4ba3R"})
    with pytest.raises(Invalid, match=r"'4ba3R' is already used by an entry of the blog 'other'"):
        await import_document(newsroom, ed, reference)
    assert [b.slug for b in await newsroom.list_blogs()] == ["other"]


async def test_a_taken_slug_gets_a_number(room: Room, reference: dict[str, Any]) -> None:
    newsroom, ed = room
    await newsroom.create_blog(ed, {"title": reference["headline"]})
    blog = await import_document(newsroom, ed, reference)
    assert blog.slug == REFERENCE_SLUG + "-2" and blog.code == "4bZYA"


def _without_headline(doc: dict[str, Any]) -> dict[str, Any]:
    del doc["headline"]
    return doc


def _picture_without_alt(doc: dict[str, Any]) -> dict[str, Any]:
    # In the newest update, which is created last: validation must come before the first write.
    doc["liveBlogUpdate"][0]["x-items"].append({"type": "image", "caption": "Austin", "src": "https://x.example/a.jpg"})
    return doc


def _unknown_item(doc: dict[str, Any]) -> dict[str, Any]:
    doc["liveBlogUpdate"][0]["x-items"].append({"type": "gallery"})
    return doc


def _same_code_twice(doc: dict[str, Any]) -> dict[str, Any]:
    doc["liveBlogUpdate"][0]["identifier"] = "4bZYB"
    return doc


def _bad_time(doc: dict[str, Any]) -> dict[str, Any]:
    doc["liveBlogUpdate"][0]["datePublished"] = "yesterday"
    return doc


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda doc: {}, "neither a schema.org LiveBlogPosting"),
        (lambda doc: [1, 2, 3], "neither a schema.org LiveBlogPosting"),
        (lambda doc: "LiveBlogPosting", "neither a schema.org LiveBlogPosting"),
        (lambda doc: {"@type": "NewsArticle", "headline": "x"}, "neither a schema.org LiveBlogPosting"),
        (lambda doc: [doc, doc], "holds 2 LiveBlogPostings"),
        (_without_headline, 'no "headline"'),
        (_picture_without_alt, r"liveBlogUpdate 1 \(\"US calls on Ukraine allies.*needs alt text"),
        (_unknown_item, "needs a \"type\", one of"),
        (_same_code_twice, "'4bZYB' is used twice"),
        (_bad_time, "liveBlogUpdate 1 .*ISO 8601"),
        (lambda doc: {"stoppress_export": 2, "blog": {}}, "format 2"),
        (lambda doc: {"stoppress_export": 1, "blog": "x", "entries": []}, 'needs a "blog" object'),
    ],
)
async def test_garbage_is_refused_and_writes_nothing(
    room: Room, reference: dict[str, Any], make: Callable[[dict[str, Any]], Any], message: str
) -> None:
    newsroom, ed = room
    with pytest.raises(Invalid, match=message):
        await import_document(newsroom, ed, make(copy.deepcopy(reference)))
    assert await newsroom.list_blogs() == []
    assert not await newsroom.storage.code_taken("4bZYB")


async def test_a_bad_export_entry_is_named_and_writes_nothing(room: Room, reference: dict[str, Any]) -> None:
    newsroom, ed = room
    exported = await export_blog(newsroom, (await import_document(newsroom, ed, reference)).slug)
    exported["blog"]["code"] = "fresh"
    exported["entries"] = [{**e, "code": None} for e in exported["entries"]]
    exported["entries"][-1]["blocks"].append({"type": "video", "url": "javascript:alert(1)", "title": "x"})
    with pytest.raises(Invalid, match=r"Entry 8 \(\"US calls on Ukraine allies.*link starting with https"):
        await import_document(newsroom, ed, exported)
    assert len(await newsroom.list_blogs()) == 1


# Other shapes of JSON-LD


async def test_json_ld_in_a_graph_with_plain_article_bodies(room: Room) -> None:
    newsroom, ed = room
    document = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "Floods"},
            {
                "@type": ["LiveBlogPosting", "NewsArticle"],
                "headline": "Floods live",
                "identifier": "flood1",
                "articleSection": "Weather",
                "abstract": "Rivers are rising.",
                "inLanguage": "de-DE",
                "publisher": "Example News",
                "coverageEndTime": "2024-01-02T00:00:00Z",
                "image": [{"url": "https://img.example/river.jpg", "alt": "A river", "copyrightHolder": {"name": "AP"}}],
                "liveBlogUpdate": {
                    "headline": "<b>Levees</b> hold",
                    "url": "https://news.example/live/floods.html#post-9",
                    "datePublished": "2024-01-01T10:00:00Z",
                    "author": [{"@type": "Person", "name": "Jo Smith"}],
                    "articleBody": "First line\nsecond line.\n\n<script>alert(1)</script> Water & mud.",
                    "video": {"@type": "VideoObject", "name": "Aerial view", "embedUrl": "https://v.example/e/1"},
                },
            },
        ],
    }
    blog = await import_document(newsroom, ed, document)
    assert (blog.slug, blog.code, blog.sections, blog.language) == ("floods-live", "flood1", ["Weather"], "de-DE")
    assert blog.key_points.items == ["Rivers are rising."] and blog.publisher == "Example News"
    assert blog.lead_image is not None and (blog.lead_image.src, blog.lead_image.credit) == (
        "https://img.example/river.jpg", "AP")
    assert blog.status is BlogStatus.ENDED and blog.ended_at == datetime(2024, 1, 2, tzinfo=UTC)
    (entry,) = await all_entries(newsroom, blog)
    assert entry.title == "<b>Levees</b> hold" and entry.author_name == "Jo Smith"
    assert len(entry.code) == 6  # "floods.html" cannot be a short code: a new one is given
    assert entry.blocks == [
        {"type": "paragraph", "html": "First line<br>second line."},
        {"type": "paragraph", "html": "&lt;script&gt;alert(1)&lt;/script&gt; Water &amp; mud."},
        {"type": "video", "url": "https://v.example/e/1", "title": "Aerial view"},
    ]


async def test_coverage_ending_later_stays_live(room: Room) -> None:
    newsroom, ed = room
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    document = {"@type": "LiveBlogPosting", "headline": "Election night", "coverageEndTime": later,
                "liveBlogUpdate": []}
    blog = await import_document(newsroom, ed, [document])
    assert blog.status is BlogStatus.LIVE and blog.ended_at is None
    assert await all_entries(newsroom, blog) == []
