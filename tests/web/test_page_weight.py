"""The reader page is light on a phone's data plan, and browsers and CDNs can cache it and check it cheaply."""

from __future__ import annotations

import random
import re
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from stoppress.cli import cli
from stoppress.settings import Settings
from tests.conftest import REFERENCE_JSONLD, REFERENCE_TEXT

Headers = dict[str, str]
BUDGET = 60 * 1024  # bytes on the wire for a first visit: the page, its stylesheet and its script
FEEDS = ("feed.atom", "feed.rss", "feed.json")
YEAR = 365 * 24 * 3600


def wire_bytes(client: TestClient, url: str) -> int:
    """The size of the body as the server sends it to a browser that accepts gzip (not decompressed)."""
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200, url
        assert response.headers.get("content-encoding") == "gzip", f"{url} is sent uncompressed"
        return sum(len(chunk) for chunk in response.iter_raw())


def prose(rng: random.Random, words: list[str], length: int) -> str:
    """Text about as compressible as news copy: words of the reference page in a random order."""
    out: list[str] = []
    while sum(len(w) + 1 for w in out) < length:
        sentence = rng.choices(words, k=rng.randint(8, 22))
        out.append(sentence[0].capitalize())
        out.extend(sentence[1:-1])
        out.append(sentence[-1] + ".")
    return " ".join(out)


def import_reference(db: str) -> str:
    result = CliRunner().invoke(cli, ["import", str(REFERENCE_JSONLD), "--db", db])
    assert result.exit_code == 0, result.output
    return result.output.split()[0]


def long_blog(client: TestClient, editor: Headers) -> str:
    """A busy live blog: 20 entries of about 1,800 characters each (three paragraphs, an image)."""
    words = re.findall(r"[A-Za-z']{2,}", REFERENCE_TEXT.read_text(encoding="utf-8"))
    rng = random.Random(20240123)
    slug = "long-night"
    response = client.post(
        "/api/v1/blogs",
        json={
            "title": "Election night: results as they come in",
            "slug": slug,
            "description": prose(rng, words, 200),
            "sections": ["Politics", "Elections"],
        },
        headers=editor,
    )
    assert response.status_code == 201, response.text
    for number in range(20):
        paragraphs = "".join(f"<p>{prose(rng, words, 600)}</p>" for _ in range(3))
        figure = (
            f"<figure><img src='/media/photo-{number}.jpg' alt='{prose(rng, words, 60)}'>"
            f"<figcaption>{prose(rng, words, 80)} <span class='credit'>Image: Agency</span></figcaption></figure>"
        )
        response = client.post(
            f"/api/v1/blogs/{slug}/entries",
            json={"title": prose(rng, words, 50), "body": paragraphs + (figure if number % 4 == 0 else "")},
            headers=editor,
        )
        assert response.status_code == 201, response.text
    assert (
        client.put(
            f"/api/v1/blogs/{slug}/key-points",
            json={"items": [prose(rng, words, 120) for _ in range(4)]},
            headers=editor,
        ).status_code
        == 200
    )
    return slug


def assets(html: str) -> list[str]:
    doc = lxml.html.fromstring(html)
    return doc.xpath("//link[@rel='stylesheet']/@href") + doc.xpath("//script/@src")


@pytest.mark.parametrize("which", ["reference blog", "20 long entries"])
def test_first_visit_fits_the_budget(client: TestClient, editor: Headers, settings: Settings, which: str) -> None:
    slug = import_reference(settings.db) if which == "reference blog" else long_blog(client, editor)
    page = f"/live/{slug}"
    html = client.get(page).text
    entries = lxml.html.fromstring(html).xpath("//div[@id='entries']/article")
    assert len(entries) == (8 if which == "reference blog" else 20)
    urls = assets(html)
    assert {u.split("?")[0] for u in urls} == {"/static/reader.css", "/static/reader.js"}

    sizes = {url: wire_bytes(client, url) for url in [page, *urls]}
    total = sum(sizes.values())
    report = ", ".join(f"{url}: {size:,} B" for url, size in sizes.items())
    assert total < BUDGET, f"a first visit costs {total:,} bytes gzipped, over the {BUDGET:,} budget ({report})"


def max_age(cache_control: str, directive: str = "max-age") -> int | None:
    found = re.search(rf"(?:^|[,\s]){directive}=(\d+)", cache_control)
    return int(found.group(1)) if found else None


def conditional_urls(slug: str) -> list[str]:
    urls = [f"/live/{slug}", f"/live/{slug}?page=2", f"/live/{slug}/text"]
    return urls + [f"/live/{slug}/{feed}" for feed in FEEDS]


def many_entries(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    for number in range(25):
        response = client.post(
            "/api/v1/blogs/storm/entries", json={"title": f"Update {number}", "body": "Windy."}, headers=editor
        )
        assert response.status_code == 201, response.text


def test_pages_and_feeds_answer_304_when_unchanged(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    many_entries(client, editor, blog)
    for url in conditional_urls("storm"):
        first = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200, url
        etag = first.headers.get("etag")
        assert etag, f"{url} has no ETag"
        # As a browser sends it, and as a CDN or proxy that compressed the page sends it back (a weak ETag).
        for sent in (etag, "W/" + etag.removeprefix("W/"), f'"something-else", {etag}'):
            again = client.get(url, headers={"If-None-Match": sent, "Accept-Encoding": "gzip"})
            assert again.status_code == 304, f"{url} with If-None-Match: {sent} answered {again.status_code}"
            assert again.content == b""
            assert again.headers.get("etag") == etag, url
            assert again.headers.get("cache-control") == first.headers["cache-control"], url
        stale = client.get(url, headers={"If-None-Match": '"an-old-version"'})
        assert stale.status_code == 200, url


def test_pages_and_feeds_may_be_cached_briefly_and_served_stale_while_revalidating(
    client: TestClient, editor: Headers, blog: dict[str, Any]
) -> None:
    many_entries(client, editor, blog)
    for url in conditional_urls("storm"):
        cache_control = client.get(url).headers.get("cache-control", "")
        age = max_age(cache_control)
        assert age is not None and 0 < age <= 60, f"{url}: Cache-Control {cache_control!r} needs a short max-age"
        assert "public" in cache_control, f"{url}: Cache-Control {cache_control!r} does not let a CDN keep it"
        assert (max_age(cache_control, "stale-while-revalidate") or 0) > 0, (
            f"{url}: Cache-Control {cache_control!r} has no stale-while-revalidate"
        )


def test_static_files_are_cached_for_a_year_when_versioned(client: TestClient, blog: dict[str, Any]) -> None:
    urls = assets(client.get("/live/storm").text)
    assert urls and all(re.search(r"\?v=[^&]+", url) for url in urls), f"unversioned assets: {urls}"
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        cache_control = response.headers.get("cache-control", "")
        assert "immutable" in cache_control and (max_age(cache_control) or 0) >= YEAR, f"{url}: {cache_control!r}"
        revalidated = client.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert revalidated.status_code == 304
        assert revalidated.headers.get("cache-control") == cache_control

        # The same file without a version may change under its URL: browsers check it again soon.
        plain = client.get(url.split("?")[0]).headers.get("cache-control", "")
        assert "immutable" not in plain and 0 < (max_age(plain) or 0) <= 3600, f"{url.split('?')[0]}: {plain!r}"
