"""The reader's side as a reader (or a crawler, or a screen reader) meets it: pages, text, short links."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import lxml.html
import pytest
from lxml.html import HtmlElement
from starlette.testclient import TestClient

from stoppress.core.models import Entry, EntryStatus
from stoppress.storage import rows
from stoppress.storage.sqlite import path_from_url

Headers = dict[str, str]
XSS = "<img src=x onerror=alert(1)>"


# Helpers


def post_entry(
    client: TestClient, headers: Headers, title: str, body: str = "It happened.", **fields: Any
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/blogs/storm/entries", json={"title": title, "body": body, "format": "text", **fields}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def page(client: TestClient, url: str = "/live/storm") -> HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(response.text)


def text_of(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def timeline(doc: HtmlElement) -> list[HtmlElement]:
    """The entries in the timeline (not their pinned copies), top to bottom."""
    return doc.xpath('//div[@id="entries"]/article')


def timeline_titles(doc: HtmlElement) -> list[str]:
    return [text_of(article.xpath(".//h2")[0]) for article in timeline(doc)]


def pager_links(doc: HtmlElement) -> dict[str, str]:
    """Link text (or rel) -> href, for the pager."""
    links = {}
    for a in doc.xpath('//nav[contains(@class, "pager")]//a'):
        links[a.get("rel") or text_of(a)] = a.get("href")
    return links


@pytest.fixture
def forty_five(client: TestClient, editor: Headers, blog: dict[str, Any]) -> list[dict[str, Any]]:
    """45 published entries, oldest first: "Update 01" ... "Update 45"."""
    return [post_entry(client, editor, f"Update {n:02d}", f"Paragraph of update {n:02d}.") for n in range(1, 46)]


# The live page


def test_page_renders_the_blog(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    first = post_entry(client, editor, "Wind picks up", "Gusts of 100 km/h on the coast.\n\nThe ferry is cancelled.")
    second = post_entry(client, editor, "Rain arrives", "Heavy rain in the north.", key_event=True)
    response = client.get("/live/storm")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    doc = lxml.html.fromstring(response.text)

    assert text_of(doc.find(".//title")) == "Storm live"
    assert doc.get("lang") == "en"
    h1s = doc.xpath("//h1")
    assert len(h1s) == 1
    assert text_of(h1s[0]) == "Storm live"
    assert [text_of(p) for p in doc.xpath('//*[contains(@class, "teaser")]')] == ["The storm as it happens."]
    breadcrumb = doc.xpath('//nav[@aria-label="Breadcrumb"]')
    assert len(breadcrumb) == 1
    assert [text_of(li) for li in breadcrumb[0].xpath(".//li")] == ["Weather"]
    assert doc.xpath(f'//a[@href="http://testserver/p/{blog["code"]}"]')

    # Skip links, each to something that exists.
    skip = [a for a in doc.xpath("//a") if text_of(a) == "Skip to content"]
    assert len(skip) == 1
    assert doc.get_element_by_id(skip[0].get("href").lstrip("#")) is not None
    for entry in (first, second):
        links = [a for a in doc.xpath("//a") if text_of(a) == f"Skip next section {entry['title']}"]
        assert len(links) == 1, entry["title"]
        target = links[0].get("href")
        assert target.startswith("#")
        assert doc.get_element_by_id(target[1:]) is not None

    # Newest first, each with its time and short link.
    articles = timeline(doc)
    assert [a.get("id") for a in articles] == [f"e-{second['code']}", f"e-{first['code']}"]
    assert timeline_titles(doc) == ["Rain arrives", "Wind picks up"]
    times = []
    for article in articles:
        stamp = article.xpath(".//time[@datetime]")[0].get("datetime")
        times.append(datetime.fromisoformat(stamp))
        assert text_of(article.xpath(".//time[@datetime]")[0])  # a human-readable time too
        code = article.get("data-code")
        assert article.xpath(f'.//a[@href="http://testserver/p/{code}"]'), code
        assert f"http://testserver/p/{code}" in text_of(article)
    assert times[0] >= times[1]
    assert "Gusts of 100 km/h on the coast." in text_of(articles[1])
    assert "The ferry is cancelled." in text_of(articles[1])
    assert "Key event" in text_of(articles[0])


def test_empty_blog_says_so(client: TestClient, blog: dict[str, Any]) -> None:
    doc = page(client)
    assert timeline(doc) == []
    assert "No updates yet" in text_of(doc)
    assert not doc.xpath('//nav[contains(@class, "pager")]')


def test_unknown_blog_is_a_404_page(client: TestClient) -> None:
    response = client.get("/live/no-such-blog")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no-such-blog" in response.text


def test_key_points_in_order(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    items = ["Schools are closed.", "Trains are cancelled.", "Stay indoors."]
    assert client.put("/api/v1/blogs/storm/key-points", json={"items": items}, headers=editor).status_code == 200
    doc = page(client)
    section = doc.xpath('//section[.//h2[normalize-space()="What you need to know"]]')
    assert len(section) == 1
    assert [text_of(li) for li in section[0].xpath(".//li")] == items


def test_ended_blog(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    assert client.patch("/api/v1/blogs/storm", json={"status": "ended"}, headers=editor).status_code == 200
    doc = page(client)
    assert "This live blog has ended." in text_of(doc)


def test_titles_are_shown_as_text(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    entry = post_entry(client, editor, XSS, "Body <script>alert(2)</script>")
    response = client.get("/live/storm")
    assert XSS not in response.text  # never as raw markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
    doc = lxml.html.fromstring(response.text)
    assert not doc.xpath("//*[@onerror]")
    assert not doc.xpath("//script[not(@src) and not(@type='application/ld+json')]")
    assert timeline_titles(doc) == [XSS]
    assert [a for a in doc.xpath("//a") if text_of(a) == f"Skip next section {XSS}"]
    assert "Body <script>alert(2)</script>" in text_of(doc.get_element_by_id(f"e-{entry['code']}"))
    assert XSS in client.get("/live/storm/text").text


def test_blog_title_is_shown_as_text(client: TestClient, editor: Headers) -> None:
    response = client.post(
        "/api/v1/blogs", json={"title": f"Storm {XSS}", "slug": "xss", "description": '"><script>alert(3)</script>'},
        headers=editor,
    )
    assert response.status_code == 201, response.text
    raw = client.get("/live/xss").text
    doc = lxml.html.fromstring(raw)
    assert not doc.xpath("//*[@onerror]")
    assert not doc.xpath("//script[not(@src) and not(@type='application/ld+json')]")
    assert text_of(doc.xpath("//h1")[0]) == f"Storm {XSS}"
    assert '"><script>alert(3)</script>' in text_of(doc)


def test_drafts_are_not_shown(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    post_entry(client, editor, "Public update")
    draft = post_entry(client, editor, "Secret draft", status="draft")
    assert timeline_titles(page(client)) == ["Public update"]
    assert "Secret draft" not in client.get("/live/storm").text
    assert "Secret draft" not in client.get("/live/storm/text").text
    assert client.get(f"/p/{draft['code']}", follow_redirects=False).headers["location"] == "/live/storm"


# Pages of older updates


def test_pagination(client: TestClient, forty_five: list[dict[str, Any]]) -> None:
    newest_first = [f"Update {n:02d}" for n in range(45, 0, -1)]
    first = page(client)
    assert timeline_titles(first) == newest_first[:20]
    assert timeline_titles(page(client, "/live/storm?page=1")) == newest_first[:20]
    assert timeline_titles(page(client, "/live/storm?page=2")) == newest_first[20:40]
    third = page(client, "/live/storm?page=3")
    assert timeline_titles(third) == newest_first[40:]
    assert len(timeline(third)) == 5
    assert len(third.xpath("//h1")) == 1


@pytest.mark.parametrize("query", ["page=4", "page=abc", "page=0", "page=-1", "page=1.5", "page=99999999"])
def test_pages_that_do_not_exist(client: TestClient, forty_five: list[dict[str, Any]], query: str) -> None:
    response = client.get(f"/live/storm?{query}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    doc = lxml.html.fromstring(response.text)
    assert len(doc.xpath("//h1")) == 1
    assert doc.xpath('//a[@href="/"]')  # somewhere to go


def test_pager_works_with_plain_links(client: TestClient, forty_five: list[dict[str, Any]]) -> None:
    """Without JavaScript a reader pages through with ordinary links, and every link leads somewhere."""
    first = page(client)
    links = pager_links(first)
    assert links["next"] == "/live/storm?page=2"
    assert "prev" not in links
    assert {"1", "2", "3"} <= set(links)

    second = page(client, links["next"])
    links = pager_links(second)
    assert links["prev"] == "/live/storm"
    assert links["next"] == "/live/storm?page=3"
    assert second.xpath('//a[@aria-current="page"]')[0].text_content().strip() == "2"
    assert second.xpath('//a[@href="/live/storm" and normalize-space()="Back to the latest updates"]')

    third = page(client, links["next"])
    links = pager_links(third)
    assert links["prev"] == "/live/storm?page=2"
    assert "next" not in links
    for href in {*pager_links(first).values(), *pager_links(second).values(), *links.values()}:
        assert client.get(href).status_code == 200, href
    # Nothing on the page needs a script to be read: the updates are in the HTML.
    assert "Paragraph of update 01." in text_of(third)


def test_short_link_to_an_entry_finds_its_page(client: TestClient, forty_five: list[dict[str, Any]]) -> None:
    oldest, middle, newest = forty_five[0], forty_five[20], forty_five[-1]  # pages 3, 2, 1
    for entry, target in (
        (oldest, f"/live/storm?page=3#e-{oldest['code']}"),
        (middle, f"/live/storm?page=2#e-{middle['code']}"),
        (newest, f"/live/storm#e-{newest['code']}"),
    ):
        response = client.get(f"/p/{entry['code']}", follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["location"] == target
        landing = page(client, target.split("#")[0])
        assert landing.get_element_by_id(f"e-{entry['code']}") is not None
    # The short_url the API gave is the one that works.
    assert client.get(oldest["short_url"], follow_redirects=False).headers["location"].endswith(f"#e-{oldest['code']}")


def test_short_link_to_the_blog(client: TestClient, blog: dict[str, Any]) -> None:
    response = client.get(f"/p/{blog['code']}", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/live/storm"
    assert client.get(blog["short_url"]).status_code == 200


@pytest.mark.parametrize("code", ["nothere", "x", "a" * 40, "bad%20code"])
def test_unknown_short_link(client: TestClient, blog: dict[str, Any], code: str) -> None:
    response = client.get(f"/p/{code}", follow_redirects=False)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    doc = lxml.html.fromstring(response.text)
    assert len(doc.xpath("//h1")) == 1
    message = text_of(doc.xpath("//main")[0])
    assert "short link" in message and "does not exist" in message
    assert doc.xpath('//a[@href="/"]')


def test_short_link_of_a_deleted_entry_goes_to_the_blog(
    client: TestClient, editor: Headers, blog: dict[str, Any]
) -> None:
    entry = post_entry(client, editor, "Soon gone")
    assert client.delete(f"/api/v1/blogs/storm/entries/{entry['code']}", headers=editor).status_code == 204
    response = client.get(f"/p/{entry['code']}", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/live/storm"


# Plain text, health


def test_text_view(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    first = post_entry(client, editor, "Wind picks up", "Gusts of 100 km/h.\n\nThe ferry is cancelled.")
    second = post_entry(client, editor, "Rain arrives", "Heavy rain in the north.")
    response = client.get("/live/storm/text")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    text = response.text
    assert "<" not in text
    assert text.index("Weather") < text.index("Storm live") < text.index("The storm as it happens.")
    assert f"http://testserver/p/{blog['code']}" in text
    # Newest first, each with its paragraphs and short link.
    order = [
        "Rain arrives", "Heavy rain in the north.", f"http://testserver/p/{second['code']}",
        "Wind picks up", "Gusts of 100 km/h.", "The ferry is cancelled.", f"http://testserver/p/{first['code']}",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)


def test_text_view_has_every_entry(client: TestClient, forty_five: list[dict[str, Any]]) -> None:
    text = client.get("/live/storm/text").text
    positions = [text.index(f"Update {n:02d}\n") for n in range(45, 0, -1)]
    assert positions == sorted(positions)
    for entry in forty_five:
        assert entry["short_url"] in text
        assert f"Paragraph of {entry['title'].lower()}." in text


def test_text_view_of_unknown_blog(client: TestClient) -> None:
    assert client.get("/live/no-such-blog/text").status_code == 404


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


def test_index_lists_blogs(client: TestClient, blog: dict[str, Any]) -> None:
    doc = page(client, "/")
    assert doc.xpath('//a[@href="/live/storm" and normalize-space()="Storm live"]')


# Caching: ETags, and an event invalidates the page


def revalidate(client: TestClient, url: str, etag: str) -> Any:
    return client.get(url, headers={"If-None-Match": etag})


@pytest.mark.parametrize("url", ["/live/storm", "/live/storm/text"])
def test_etag_and_not_modified(client: TestClient, editor: Headers, blog: dict[str, Any], url: str) -> None:
    post_entry(client, editor, "Wind picks up")
    response = client.get(url)
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert "max-age" in response.headers["cache-control"]
    again = revalidate(client, url, etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(url).headers["etag"] == etag  # stable while nothing changes

    post_entry(client, editor, "Rain arrives")
    fresh = revalidate(client, url, etag)
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag
    assert "Rain arrives" in fresh.text


def _change_entry(client: TestClient, editor: Headers, code: str) -> None:
    response = client.patch(
        f"/api/v1/blogs/storm/entries/{code}", json={"title": "Wind picks up sharply"}, headers=editor
    )
    assert response.status_code == 200


CHANGES: dict[str, Callable[[TestClient, Headers, str], Any]] = {
    "edit": _change_entry,
    "pin": lambda c, h, code: c.patch(f"/api/v1/blogs/storm/entries/{code}", json={"pinned": True}, headers=h),
    "delete": lambda c, h, code: c.delete(f"/api/v1/blogs/storm/entries/{code}", headers=h),
    "key-points": lambda c, h, code: c.put("/api/v1/blogs/storm/key-points", json={"items": ["Stay in."]}, headers=h),
    "end": lambda c, h, code: c.patch("/api/v1/blogs/storm", json={"status": "ended"}, headers=h),
    "retitle": lambda c, h, code: c.patch("/api/v1/blogs/storm", json={"title": "Storm Ciarán live"}, headers=h),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_invalidates_the_page(
    client: TestClient, editor: Headers, blog: dict[str, Any], change: str
) -> None:
    entry = post_entry(client, editor, "Wind picks up")
    old = client.get("/live/storm")
    old_text = client.get("/live/storm/text")
    result = CHANGES[change](client, editor, entry["code"])
    assert result is None or result.status_code in (200, 204), result.text
    new = revalidate(client, "/live/storm", old.headers["etag"])
    assert new.status_code == 200
    assert new.headers["etag"] != old.headers["etag"]
    assert new.text != old.text
    if change != "pin":  # the plain text shows no pins; everything else changes it
        text = revalidate(client, "/live/storm/text", old_text.headers["etag"])
        assert text.status_code == 200
        assert text.text != old_text.text


def test_unpublished_entries_do_not_change_the_page(
    client: TestClient, editor: Headers, contributor: Headers, blog: dict[str, Any]
) -> None:
    post_entry(client, editor, "Wind picks up")
    old, old_text = page(client), client.get("/live/storm/text").text
    post_entry(client, contributor, "Waiting for an editor")
    post_entry(client, editor, "A draft", status="draft")
    new = page(client)
    assert [lxml.html.tostring(a) for a in timeline(new)] == [lxml.html.tostring(a) for a in timeline(old)]
    text = client.get("/live/storm/text").text
    assert "Waiting for an editor" not in text and "A draft" not in text
    assert text.split("--------", 1)[1] == old_text.split("--------", 1)[1]


def test_unpublished_entries_do_not_change_last_updated(
    client: TestClient, editor: Headers, contributor: Headers, blog: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    post_entry(client, editor, "Wind picks up")
    old, old_text = page(client), client.get("/live/storm/text").text
    newsroom = client.app.state.newsroom  # type: ignore[attr-defined]
    later = newsroom.clock() + timedelta(days=2)
    monkeypatch.setattr(newsroom, "clock", lambda: later)
    post_entry(client, contributor, "Waiting for an editor")
    post_entry(client, editor, "A draft", status="draft")
    new = page(client)
    updated = new.get_element_by_id("blog-updated").get("datetime")
    assert updated == old.get_element_by_id("blog-updated").get("datetime")
    assert client.get("/live/storm/text").text == old_text


def test_renamed_blog_keeps_its_short_link(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    entry = post_entry(client, editor, "Wind picks up")
    assert client.get("/live/storm").status_code == 200  # now cached
    response = client.patch("/api/v1/blogs/storm", json={"slug": "storm-ciaran"}, headers=editor)
    assert response.status_code == 200, response.text
    assert client.get("/live/storm").status_code == 404
    assert timeline_titles(page(client, "/live/storm-ciaran")) == ["Wind picks up"]
    assert client.get(f"/p/{blog['code']}", follow_redirects=False).headers["location"] == "/live/storm-ciaran"
    assert client.get(f"/p/{entry['code']}", follow_redirects=False).headers["location"] == (
        f"/live/storm-ciaran#e-{entry['code']}"
    )


def test_pinned_entry_is_shown_first_and_in_the_timeline(
    client: TestClient, editor: Headers, blog: dict[str, Any]
) -> None:
    pinned = post_entry(client, editor, "Evacuation routes", pinned=True)
    post_entry(client, editor, "Wind picks up")
    doc = page(client)
    copy = doc.get_element_by_id(f"pinned-{pinned['code']}")
    assert "Pinned" in text_of(copy)
    assert copy.xpath(f'.//a[@href="#e-{pinned["code"]}"]')  # a way to its place in the timeline
    assert timeline_titles(doc) == ["Wind picks up", "Evacuation routes"]
    ids = [el.get("id") for el in doc.xpath("//article")]
    assert ids.index(f"pinned-{pinned['code']}") < ids.index(f"e-{pinned['code']}")
    response = client.patch(f"/api/v1/blogs/storm/entries/{pinned['code']}", json={"pinned": False}, headers=editor)
    assert response.status_code == 200
    doc = page(client)
    assert not doc.xpath(f'//*[@id="pinned-{pinned["code"]}"]')
    assert timeline_titles(doc) == ["Wind picks up", "Evacuation routes"]


# The cost of a page does not grow with the age of the blog


def bulk_entries(client: TestClient, slug: str, count: int, prefix: str) -> None:
    """`count` published entries written straight into the database in one transaction."""
    newsroom = client.app.state.newsroom  # type: ignore[attr-defined]

    async def blog_id() -> int:
        return (await newsroom.get_blog(slug)).id

    bid = client.portal.call(blog_id)  # type: ignore[union-attr]
    start = datetime(2024, 1, 23, 6, 0, tzinfo=UTC)
    values = []
    for n in range(count):
        moment = start + timedelta(seconds=n)
        values.append(rows.entry_values(Entry(
            id=None, blog_id=bid, code=f"{prefix}{n:05d}", title=f"Update {n:05d}",
            blocks=[{"type": "paragraph", "html": f"Rain and wind across the region, report {n:05d}."}],
            status=EntryStatus.PUBLISHED, author_name="editor", version=1,
            created_at=moment, published_at=moment, updated_at=moment,
        )))
    columns = list(values[0])
    conn = sqlite3.connect(path_from_url(client.app.state.settings.db), timeout=30)  # type: ignore[attr-defined]
    try:
        with conn:
            conn.executemany(
                f"INSERT INTO entries ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})", values
            )
            conn.executemany(
                "INSERT INTO short_codes (code, blog_id, entry_code) VALUES (?, ?, ?)",
                [(v["code"], bid, v["code"]) for v in values],
            )
    finally:
        conn.close()


def test_page_cost_does_not_grow_with_the_blog(
    client: TestClient, editor: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    for slug in ("small", "big"):
        response = client.post("/api/v1/blogs", json={"title": "Storm live", "slug": slug}, headers=editor)
        assert response.status_code == 201
    bulk_entries(client, "small", 25, "s")
    bulk_entries(client, "big", 10_000, "b")

    # Count what the page asks of the storage, by method and size of the answer asked for.
    storage = client.app.state.newsroom.storage  # type: ignore[attr-defined]
    calls: list[tuple[str, Any]] = []

    def counting(name: str) -> Callable[..., Any]:
        method = getattr(storage, name)

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, kwargs.get("limit"), kwargs.get("offset")))
            return await method(*args, **kwargs)

        return wrapper

    for name in ("get_blog", "get_blog_by_id", "list_entries", "count_newer", "events_after", "list_revisions"):
        monkeypatch.setattr(storage, name, counting(name))

    def render(slug: str) -> tuple[bytes, list[tuple[str, Any]]]:
        calls.clear()
        response = client.get(f"/live/{slug}")
        assert response.status_code == 200
        return response.content, list(calls)

    small, small_calls = render("small")
    big, big_calls = render("big")
    assert big_calls == small_calls
    assert all(limit is not None and limit <= 20 for name, limit, _ in big_calls if name == "list_entries")

    small_doc, big_doc = lxml.html.fromstring(small), lxml.html.fromstring(big)
    assert len(timeline(small_doc)) == len(timeline(big_doc)) == 20
    assert timeline_titles(big_doc)[0] == "Update 09999"
    assert timeline_titles(big_doc)[-1] == "Update 09980"
    assert abs(len(big) - len(small)) <= 0.1 * len(small), (len(big), len(small))

    # The oldest page and the short link to the oldest entry work the same way.
    last = page(client, "/live/big?page=500")
    assert timeline_titles(last)[-1] == "Update 00000"
    assert client.get("/live/big?page=501").status_code == 404
    assert client.get("/p/b00000", follow_redirects=False).headers["location"] == "/live/big?page=500#e-b00000"
