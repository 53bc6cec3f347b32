"""What search engines and social networks read from a blog's pages: JSON-LD, Open Graph, Twitter cards,
an entry's own page, the key events list and the index, as a crawler (or a reader) fetches them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import lxml.html
import pytest
from lxml.html import HtmlElement
from starlette.testclient import TestClient

Headers = dict[str, str]
BASE = "http://testserver"
LEAD = {"src": "/media/coast.jpg", "alt": "Waves over the pier", "caption": "The pier at noon", "credit": "Jo Bloggs/AP"}
BODY = (
    "<p>Gusts of <strong>120 km/h</strong> on the coast.</p>"
    '<figure><img src="https://images.example.org/ferry.jpg" alt="A ferry in port">'
    '<figcaption>The ferry stays in port. <small>Image: Ann Lee</small></figcaption></figure>'
)


def post_entry(client: TestClient, headers: Headers, title: str, body: str = "It happened.", **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/blogs/storm/entries", json={"title": title, "body": body, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def fetch(client: TestClient, url: str) -> HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return lxml.html.fromstring(response.text)


def json_ld(doc: HtmlElement) -> dict[str, Any]:
    scripts = doc.xpath('//head/script[@type="application/ld+json"]')
    assert len(scripts) == 1
    return json.loads(scripts[0].text)


def meta(doc: HtmlElement) -> dict[str, str]:
    """Open Graph (property=) and Twitter (name=) tags of the head."""
    tags = doc.xpath("//head/meta[@property or @name]")
    return {tag.get("property") or tag.get("name"): tag.get("content") for tag in tags}


def canonical(doc: HtmlElement) -> str:
    links = doc.xpath('//head/link[@rel="canonical"]')
    assert len(links) == 1
    return links[0].get("href")


@pytest.fixture
def set_clock(client: TestClient) -> Iterator[Callable[[datetime | None], None]]:
    """Make the newsroom's clock read a given moment (None: the real clock again)."""
    newsroom = client.app.state.newsroom  # type: ignore[attr-defined]
    real = newsroom.clock

    def set_to(moment: datetime | None) -> None:
        newsroom.clock = real if moment is None else (lambda: moment)

    yield set_to
    newsroom.clock = real


@pytest.fixture
def illustrated(client: TestClient, editor: Headers) -> dict[str, Any]:
    response = client.post(
        "/api/v1/blogs",
        json={"title": "Storm live", "slug": "storm", "description": "The storm as it happens.", "language": "en",
              "sections": ["Weather", "Coast"], "lead_image": LEAD, "publisher": "The Coast Courier"},
        headers=editor,
    )
    assert response.status_code == 201, response.text
    return response.json()


# JSON-LD on the live page


def test_the_page_describes_itself_as_a_live_blog_posting(client: TestClient, editor: Headers, illustrated: dict[str, Any]) -> None:
    first = post_entry(client, editor, "Wind picks up", BODY)
    second = post_entry(client, editor, "Video from the pier", "<p>Watch.</p>", format="html")
    patch = client.patch(
        f"/api/v1/blogs/storm/entries/{second['code']}",
        json={"blocks": [{"type": "paragraph", "html": "Watch."},
                         {"type": "video", "url": "https://video.example.org/pier", "title": "Waves hit the pier"}]},
        headers=editor,
    )
    assert patch.status_code == 200, patch.text
    blog = client.get("/api/v1/blogs/storm", headers=editor).json()
    doc = fetch(client, "/live/storm")
    data = json_ld(doc)

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "LiveBlogPosting"
    assert data["headline"] == "Storm live"
    assert data["description"] == "The storm as it happens."
    assert data["url"] == canonical(doc) == f"{BASE}/live/storm"
    assert data["inLanguage"] == "en"
    assert data["articleSection"] == ["Weather", "Coast"]
    assert data["publisher"] == {"@type": "Organization", "name": "The Coast Courier"}
    assert datetime.fromisoformat(data["datePublished"]) == datetime.fromisoformat(blog["published_at"]).replace(microsecond=0)
    assert datetime.fromisoformat(data["dateModified"]) >= datetime.fromisoformat(data["datePublished"])
    assert data["coverageStartTime"] == data["datePublished"]
    assert "coverageEndTime" not in data  # still live
    assert data["image"] == {
        "@type": "ImageObject", "url": f"{BASE}/media/coast.jpg", "caption": "The pier at noon",
        "creditText": "Jo Bloggs/AP", "description": "Waves over the pier",
    }

    updates = data["liveBlogUpdate"]
    assert [u["headline"] for u in updates] == ["Video from the pier", "Wind picks up"]  # as on the page
    video, wind = updates
    for update, entry in ((video, second), (wind, first)):
        assert update["@type"] == "BlogPosting"
        assert update["url"] == f"{BASE}/live/storm#e-{entry['code']}"
        assert "?" not in update["url"]
        assert datetime.fromisoformat(update["datePublished"]) <= datetime.fromisoformat(update["dateModified"])
    assert wind["articleBody"].startswith("Gusts of 120 km/h on the coast.")
    assert wind["image"] == [{
        "@type": "ImageObject", "url": "https://images.example.org/ferry.jpg", "caption": "The ferry stays in port.",
        "creditText": "Ann Lee", "description": "A ferry in port",
    }]
    assert video["video"] == [{"@type": "VideoObject", "name": "Waves hit the pier", "url": "https://video.example.org/pier"}]
    assert datetime.fromisoformat(video["dateModified"]) >= datetime.fromisoformat(video["datePublished"])
    # The page says the same thing to people.
    assert doc.xpath(f'//article[@id="e-{first["code"]}"]')


def test_an_edit_moves_the_update_s_date_modified(client: TestClient, editor: Headers, blog: dict[str, Any], set_clock: Callable[[datetime | None], None]) -> None:
    start = datetime(2024, 1, 23, 6, 0, tzinfo=UTC)
    set_clock(start)
    entry = post_entry(client, editor, "Bridge closed")
    set_clock(start + timedelta(minutes=7))
    client.patch(f"/api/v1/blogs/storm/entries/{entry['code']}", json={"title": "Bridge closed both ways"}, headers=editor)
    set_clock(None)
    (update,) = json_ld(fetch(client, "/live/storm"))["liveBlogUpdate"]
    assert update["headline"] == "Bridge closed both ways"
    assert update["datePublished"] == "2024-01-23T06:00:00+00:00"
    assert update["dateModified"] == "2024-01-23T06:07:00+00:00"


def test_an_ended_blog_has_a_coverage_end_time(client: TestClient, editor: Headers, blog: dict[str, Any], set_clock: Callable[[datetime | None], None]) -> None:
    end = datetime(2024, 1, 24, 18, 30, tzinfo=UTC)
    set_clock(end)
    response = client.patch("/api/v1/blogs/storm", json={"status": "ended"}, headers=editor)
    set_clock(None)
    assert response.status_code == 200, response.text
    data = json_ld(fetch(client, "/live/storm"))
    assert data["coverageEndTime"] == "2024-01-24T18:30:00+00:00"
    assert data["publisher"] == {"@type": "Organization", "name": "Stop Press"}  # no publisher set: the site


def test_older_pages_describe_their_own_updates(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    codes = [post_entry(client, editor, f"Update {n:02d}")["code"] for n in range(1, 23)]
    doc = fetch(client, "/live/storm?page=2")
    data = json_ld(doc)
    assert data["url"] == canonical(doc) == f"{BASE}/live/storm?page=2"
    assert [u["headline"] for u in data["liveBlogUpdate"]] == ["Update 02", "Update 01"]
    assert data["liveBlogUpdate"][0]["url"] == f"{BASE}/live/storm?page=2#e-{codes[1]}"


def test_a_title_cannot_break_out_of_the_json_ld(client: TestClient, editor: Headers) -> None:
    title = 'Storm </script><script>alert("t")</script> & <!-- more'
    response = client.post("/api/v1/blogs", json={"title": title, "slug": "xss"}, headers=editor)
    assert response.status_code == 201, response.text
    client.post("/api/v1/blogs/xss/entries", json={"title": "</SCRIPT><img src=x onerror=alert(1)>", "body": "x"}, headers=editor)
    raw = client.get("/live/xss").text
    assert "</script><script>" not in raw and "</SCRIPT><img" not in raw
    doc = lxml.html.fromstring(raw)
    assert not doc.xpath("//*[@onerror]")
    assert [s.get("type") for s in doc.xpath("//script[not(@src)]")] == ["application/ld+json"]  # nothing that runs
    data = json_ld(doc)
    assert data["headline"] == title  # and the data is still exactly the title
    assert data["liveBlogUpdate"][0]["headline"] == "</SCRIPT><img src=x onerror=alert(1)>"


# Open Graph, Twitter, discovery links


def test_sharing_tags_describe_the_blog(client: TestClient, editor: Headers, illustrated: dict[str, Any]) -> None:
    doc = fetch(client, "/live/storm")
    tags = meta(doc)
    assert tags["og:type"] == "article"
    assert tags["og:title"] == tags["twitter:title"] == "Storm live"
    assert tags["og:description"] == tags["twitter:description"] == "The storm as it happens."
    assert tags["og:url"] == canonical(doc)
    assert tags["og:image"] == tags["twitter:image"] == f"{BASE}/media/coast.jpg"
    assert tags["og:image:alt"] == "Waves over the pier"
    assert tags["og:site_name"] == "Stop Press"
    assert tags["og:locale"] == "en_US"
    assert tags["twitter:card"] == "summary_large_image"


def test_without_a_picture_file_no_image_is_promised(client: TestClient, editor: Headers) -> None:
    response = client.post(
        "/api/v1/blogs",
        json={"title": "Wahlabend", "slug": "wahl", "language": "de", "lead_image": {"alt": "Das Wahllokal", "caption": "Zählung"}},
        headers=editor,
    )
    assert response.status_code == 201, response.text
    doc = fetch(client, "/live/wahl")
    tags = meta(doc)
    assert "og:image" not in tags and "twitter:image" not in tags
    assert tags["twitter:card"] == "summary"
    assert tags["og:locale"] == "de_DE"
    assert json_ld(doc)["image"] == {"@type": "ImageObject", "caption": "Zählung", "description": "Das Wahllokal"}
    assert json_ld(doc)["inLanguage"] == "de"


def test_the_head_points_to_the_feeds_and_oembed(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    doc = fetch(client, "/live/storm")
    kinds = {
        "application/atom+xml": "application/atom+xml",
        "application/rss+xml": "application/rss+xml",
        "application/feed+json": "application/feed+json",
        "application/json+oembed": "application/json",
    }
    for link_type, served_as in kinds.items():
        (link,) = doc.xpath(f'//head/link[@rel="alternate" and @type="{link_type}"]')
        assert link.get("title")
        response = client.get(link.get("href"))
        assert response.status_code == 200, (link_type, response.text)
        assert response.headers["content-type"].startswith(served_as)


# An entry's own page


def test_each_entry_has_a_page_of_its_own(client: TestClient, editor: Headers, illustrated: dict[str, Any]) -> None:
    entry = post_entry(client, editor, "Ferry cancelled", BODY)
    post_entry(client, editor, "Later news")
    url = f"/live/storm/entries/{entry['code']}"
    doc = fetch(client, url)
    assert doc.findtext(".//title").startswith("Ferry cancelled")
    assert " ".join(doc.xpath("//h1")[0].text_content().split()) == "Ferry cancelled"
    assert "Later news" not in lxml.html.tostring(doc, encoding="unicode")  # only this entry
    assert canonical(doc) == f"{BASE}{url}"
    tags = meta(doc)
    assert tags["description"] == tags["og:description"] == "Gusts of 120 km/h on the coast."
    assert tags["og:title"] == "Ferry cancelled"
    assert tags["og:url"] == f"{BASE}{url}"
    assert tags["og:image"] == "https://images.example.org/ferry.jpg"  # the entry's own picture first
    assert tags["og:image:alt"] == "A ferry in port"
    data = json_ld(doc)
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "Ferry cancelled"
    assert data["url"] == f"{BASE}{url}"
    assert data["description"] == "Gusts of 120 km/h on the coast."
    assert data["isPartOf"]["url"] == f"{BASE}/live/storm"
    assert data["image"][0]["url"] == "https://images.example.org/ferry.jpg"

    back = doc.xpath('//a[normalize-space()="Back to the live blog"]')[0].get("href")
    landing = client.get(back, follow_redirects=False)
    assert landing.status_code == 302 and landing.headers["location"] == f"/live/storm#e-{entry['code']}"
    assert doc.xpath('//a[normalize-space()="All updates" and @href="/live/storm"]')


def test_an_entry_page_without_its_own_picture_shares_the_lead_image(client: TestClient, editor: Headers, illustrated: dict[str, Any]) -> None:
    entry = post_entry(client, editor, "Words only")
    tags = meta(fetch(client, f"/live/storm/entries/{entry['code']}"))
    assert tags["og:image"] == f"{BASE}/media/coast.jpg"


def test_entry_pages_exist_only_for_published_entries(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    draft = post_entry(client, editor, "Not yet", status="draft")
    assert client.get(f"/live/storm/entries/{draft['code']}").status_code == 404
    assert client.get("/live/storm/entries/nosuchcode").status_code == 404
    assert client.get("/live/nosuchblog/entries/nosuchcode").status_code == 404
    entry = post_entry(client, editor, "Soon gone")
    assert client.get(f"/live/storm/entries/{entry['code']}").status_code == 200
    client.patch(f"/api/v1/blogs/storm/entries/{entry['code']}", json={"title": "Renamed"}, headers=editor)
    assert "Renamed" in client.get(f"/live/storm/entries/{entry['code']}").text  # not a stale copy
    client.delete(f"/api/v1/blogs/storm/entries/{entry['code']}", headers=editor)
    assert client.get(f"/live/storm/entries/{entry['code']}").status_code == 404


# Reading a long blog: key events, older pages


def test_key_events_are_listed_near_the_top_and_lead_to_their_entries(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    old_key = post_entry(client, editor, "Evacuation ordered", key_event=True)
    for n in range(25):
        post_entry(client, editor, f"Minor update {n}")
    new_key = post_entry(client, editor, "Dyke breached", key_event=True)
    doc = fetch(client, "/live/storm")
    (listing,) = doc.xpath('//nav[@id="key-events"]')
    assert " ".join(listing.xpath(".//h2")[0].text_content().split()) == "Key events"
    links = listing.xpath(".//a")
    assert [" ".join(a.text_content().split()).endswith(t) for a, t in zip(links, ["Dyke breached", "Evacuation ordered"])] == [True, True]
    assert len(links) == 2
    # Before the timeline, so a reader who just arrived sees them.
    ids = [el.get("id") for el in doc.iter() if el.get("id")]
    assert ids.index("key-events") < ids.index("entries")
    assert links[0].get("href") == f"#e-{new_key['code']}"  # on this page
    landing = client.get(links[1].get("href"), follow_redirects=False)  # further down the blog
    assert landing.headers["location"] == f"/live/storm?page=2#e-{old_key['code']}"
    older = fetch(client, landing.headers["location"].split("#")[0])
    assert older.xpath(f'//div[@id="entries"]/article[@id="e-{old_key["code"]}"]')
    back = older.xpath('//a[normalize-space()="Back to the latest updates"]')
    assert back and back[0].get("href") == "/live/storm"
    times = listing.xpath(".//time[@data-relative]")
    assert times and all(t.get("datetime") and t.text_content().strip() for t in times)  # exact time without script


def test_only_the_ten_newest_key_events_are_listed(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    for n in range(12):
        post_entry(client, editor, f"Key {n:02d}", key_event=True)
    links = fetch(client, "/live/storm").xpath('//nav[@id="key-events"]//a')
    assert [" ".join(a.text_content().split())[-6:] for a in links] == [f"Key {n:02d}" for n in range(11, 1, -1)]


def test_no_key_events_no_list(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    post_entry(client, editor, "Ordinary")
    (listing,) = fetch(client, "/live/storm").xpath('//*[@id="key-events"]')
    assert listing.get("hidden") is not None  # out of sight until the first key event arrives live
    assert not listing.xpath(".//li")


# The index


def test_the_index_puts_live_blogs_first_and_recently_ended_ones_apart(client: TestClient, editor: Headers, set_clock: Callable[[datetime | None], None]) -> None:
    for slug, title in (("storm", "Storm live"), ("vote", "Election night"), ("match", "Cup final"), ("old", "Old story")):
        assert client.post("/api/v1/blogs", json={"title": title, "slug": slug}, headers=editor).status_code == 201
    client.patch("/api/v1/blogs/vote", json={"status": "ended"}, headers=editor)
    set_clock(datetime.now(UTC) - timedelta(days=45))
    client.patch("/api/v1/blogs/old", json={"status": "ended"}, headers=editor)
    set_clock(None)

    doc = fetch(client, "/")
    live = doc.xpath('//h1/following-sibling::ul[1]//a')
    assert sorted(a.text_content() for a in live) == ["Cup final", "Storm live"]
    (heading,) = doc.xpath('//h2[normalize-space()="Recently ended"]')
    ended = heading.xpath("following-sibling::ul[1]//a")
    assert [a.text_content() for a in ended] == ["Election night"]
    assert "Old story" not in doc.text_content()  # ended long ago: off the front page


def test_the_index_says_when_nothing_is_live(client: TestClient, editor: Headers) -> None:
    assert "No live blogs yet." in fetch(client, "/").text_content()
    client.post("/api/v1/blogs", json={"title": "Storm live", "slug": "storm"}, headers=editor)
    client.patch("/api/v1/blogs/storm", json={"status": "ended"}, headers=editor)
    doc = fetch(client, "/")
    assert "No blog is live right now." in doc.text_content()
    assert doc.xpath('//h2[normalize-space()="Recently ended"]/following-sibling::ul//a[@href="/live/storm"]')
