"""A blog's feeds as a feed reader reads them: Atom, RSS and JSON Feed, their items, ids and caching."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import jsonschema
import pytest
from starlette.testclient import TestClient

Headers = dict[str, str]
BASE = "http://testserver"
START = datetime(2024, 1, 23, 6, 0, tzinfo=UTC)
BODY = (
    "<p>Turnout was <strong>64%</strong>.</p>"
    '<figure><img src="/media/queue.jpg" alt="Voters queue"><figcaption>Queues in Leeds</figcaption></figure>'
)

# JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): the required fields and the types of those we use.
_URL = {"type": "string", "pattern": "^https?://"}
_TIME = {"type": "string", "format": "date-time"}
JSON_FEED_SCHEMA = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string"},
        "home_page_url": _URL,
        "feed_url": _URL,
        "description": {"type": "string"},
        "icon": _URL,
        "language": {"type": "string"},
        "expired": {"type": "boolean"},
        "authors": {
            "type": "array",
            "items": {"type": "object", "anyOf": [{"required": ["name"]}, {"required": ["url"]}, {"required": ["avatar"]}],
                      "properties": {"name": {"type": "string"}, "url": _URL, "avatar": _URL}},
        },
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string"},
                    "url": _URL,
                    "external_url": _URL,
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "content_text": {"type": "string"},
                    "summary": {"type": "string"},
                    "image": _URL,
                    "banner_image": _URL,
                    "date_published": _TIME,
                    "date_modified": _TIME,
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "language": {"type": "string"},
                },
            },
        },
    },
}


@pytest.fixture
def set_clock(client: TestClient) -> Iterator[Callable[[datetime | None], None]]:
    """Make the newsroom's clock read a given moment (None: the real clock again)."""
    newsroom = client.app.state.newsroom  # type: ignore[attr-defined]
    real = newsroom.clock

    def set_to(moment: datetime | None) -> None:
        newsroom.clock = real if moment is None else (lambda: moment)

    yield set_to
    newsroom.clock = real


def post_entry(client: TestClient, headers: Headers, title: str, body: str = "It happened.", **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/blogs/storm/entries", json={"title": title, "body": body, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def parsed(client: TestClient, kind: str) -> Any:
    response = client.get(f"/live/storm/feed.{kind}")
    assert response.status_code == 200, response.text
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")  # well-formed
    return feed


@pytest.fixture
def election(client: TestClient, editor: Headers, blog: dict[str, Any], set_clock: Callable[[datetime | None], None]) -> list[dict[str, Any]]:
    """Three published entries a minute apart, and a draft; returned oldest first."""
    entries = []
    for n, (title, body) in enumerate([("Polls open", "Doors open at 7."), ("Turnout high", BODY), ("Exit poll", "A hung parliament.")]):
        set_clock(START + timedelta(minutes=n))
        entries.append(post_entry(client, editor, title, body))
    post_entry(client, editor, "Secret draft", status="draft")
    set_clock(None)
    return entries


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_xml_feeds_carry_the_newest_entries_in_full(client: TestClient, election: list[dict[str, Any]], kind: str) -> None:
    feed = parsed(client, kind)
    assert feed.version == ("atom10" if kind == "atom" else "rss20")
    assert feed.feed.title == "Storm live"
    assert feed.feed.link == f"{BASE}/live/storm"
    assert feed.feed.language == "en"
    assert feed.feed.get("subtitle") == "The storm as it happens."
    assert [e.title for e in feed.entries] == ["Exit poll", "Turnout high", "Polls open"]  # newest first, no draft
    polls, turnout = feed.entries[2], feed.entries[1]
    assert turnout.link == f"{BASE}/live/storm#e-{election[1]['code']}"
    assert turnout.id == f"{BASE}/p/{election[1]['code']}"
    html = turnout.content[0].value
    assert "<strong>64%</strong>" in html
    assert f'src="{BASE}/media/queue.jpg"' in html  # absolute: a feed is read far from the site
    assert turnout.media_content[0]["url"] == f"{BASE}/media/queue.jpg"
    assert datetime(*polls.published_parsed[:6], tzinfo=UTC) == START
    assert datetime(*turnout.published_parsed[:6], tzinfo=UTC) == START + timedelta(minutes=1)
    assert "Doors open at 7." in polls.content[0].value


def test_json_feed_follows_the_spec(client: TestClient, election: list[dict[str, Any]]) -> None:
    response = client.get("/live/storm/feed.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/feed+json")
    feed = response.json()
    jsonschema.validate(feed, JSON_FEED_SCHEMA, format_checker=jsonschema.FormatChecker())
    assert feed["title"] == "Storm live"
    assert feed["home_page_url"] == f"{BASE}/live/storm"
    assert feed["feed_url"] == f"{BASE}/live/storm/feed.json"
    assert feed["description"] == "The storm as it happens."
    assert feed["language"] == "en"
    items = feed["items"]
    assert [i["title"] for i in items] == ["Exit poll", "Turnout high", "Polls open"]
    turnout = items[1]
    code = election[1]["code"]
    assert turnout["id"] == f"{BASE}/p/{code}"
    assert turnout["url"] == f"{BASE}/live/storm#e-{code}"
    assert "<strong>64%</strong>" in turnout["content_html"]
    assert turnout["content_text"].startswith("Turnout was 64%.")
    assert turnout["image"] == f"{BASE}/media/queue.jpg"
    assert datetime.fromisoformat(turnout["date_published"]) == START + timedelta(minutes=1)
    assert "image" not in items[0]


def test_an_edited_entry_keeps_its_id_and_gets_a_new_time(
    client: TestClient, editor: Headers, election: list[dict[str, Any]], set_clock: Callable[[datetime | None], None]
) -> None:
    code = election[0]["code"]
    before_atom = parsed(client, "atom").entries[2]
    before_json = client.get("/live/storm/feed.json").json()["items"][2]
    set_clock(START + timedelta(hours=1))
    response = client.patch(f"/api/v1/blogs/storm/entries/{code}", json={"title": "Polls opened late"}, headers=editor)
    assert response.status_code == 200, response.text
    set_clock(None)

    after_atom = parsed(client, "atom").entries[2]
    assert after_atom.title == "Polls opened late"
    assert after_atom.id == before_atom.id == f"{BASE}/p/{code}"
    assert after_atom.published_parsed == before_atom.published_parsed
    assert datetime(*after_atom.updated_parsed[:6], tzinfo=UTC) == START + timedelta(hours=1)
    assert after_atom.updated_parsed > before_atom.updated_parsed
    after_rss = parsed(client, "rss").entries[2]
    assert after_rss.id == f"{BASE}/p/{code}"  # the guid
    after_json = client.get("/live/storm/feed.json").json()["items"][2]
    assert after_json["id"] == before_json["id"]
    assert after_json["date_published"] == before_json["date_published"]
    assert datetime.fromisoformat(after_json["date_modified"]) == START + timedelta(hours=1)


def test_feeds_hold_the_newest_fifty_with_links_to_their_pages(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    codes = [post_entry(client, editor, f"Update {n:02d}")["code"] for n in range(1, 56)]
    items = client.get("/live/storm/feed.json").json()["items"]
    assert len(items) == 50
    assert items[0]["title"] == "Update 55" and items[-1]["title"] == "Update 06"
    # Entries further down the blog link to the page they are on (20 per page).
    assert items[19]["url"] == f"{BASE}/live/storm#e-{codes[35]}"
    assert items[20]["url"] == f"{BASE}/live/storm?page=2#e-{codes[34]}"
    landing = client.get(items[45]["url"].removeprefix(BASE).split("#")[0])
    assert f'id="e-{codes[9]}"' in landing.text
    assert len(parsed(client, "atom").entries) == 50


@pytest.mark.parametrize(
    ("kind", "media_type"),
    [("atom", "application/atom+xml"), ("rss", "application/rss+xml"), ("json", "application/feed+json")],
)
def test_feeds_answer_conditional_requests(
    client: TestClient, editor: Headers, election: list[dict[str, Any]], kind: str, media_type: str
) -> None:
    url = f"/live/storm/feed.{kind}"
    first = client.get(url)
    assert first.headers["content-type"].startswith(media_type)
    etag = first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    post_entry(client, editor, "Results are in")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "Results are in" in changed.text
    # A draft is nobody's news: the feed stays as it was.
    post_entry(client, editor, "Another secret", status="draft")
    assert client.get(url, headers={"If-None-Match": changed.headers["etag"]}).status_code == 304


def test_an_empty_blog_has_valid_empty_feeds(client: TestClient, blog: dict[str, Any]) -> None:
    assert parsed(client, "atom").entries == []
    assert parsed(client, "rss").entries == []
    feed = json.loads(client.get("/live/storm/feed.json").content)
    jsonschema.validate(feed, JSON_FEED_SCHEMA, format_checker=jsonschema.FormatChecker())
    assert feed["items"] == []


@pytest.mark.parametrize("kind", ["atom", "rss", "json"])
def test_no_feed_for_a_blog_that_does_not_exist(client: TestClient, kind: str) -> None:
    assert client.get(f"/live/nosuchblog/feed.{kind}").status_code == 404


def test_uploaded_pictures_have_full_addresses_in_feeds(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    picture = {"type": "image", "media": "Xy3_picture", "widths": [320, 640], "width": 640, "height": 480,
               "alt": "Flooded street", "caption": "Water rose overnight", "credit": "AP"}
    response = client.post("/api/v1/blogs/storm/entries", headers=editor,
                           json={"title": "Flooding", "blocks": [{"type": "paragraph", "html": "Streets under water."}, picture]})
    assert response.status_code == 201, response.text
    html = json.loads(client.get("/live/storm/feed.json").text)["items"][0]["content_html"]
    assert "/media/Xy3_picture/320.webp 320w" in html
    for address in (a.split()[0] for srcset in html.split('srcset="')[1:] for a in srcset.split('"')[0].split(",")):
        assert address.startswith("http://testserver/media/"), address
