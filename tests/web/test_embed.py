"""A blog inside a newsroom's article: the embed page, the snippet and oEmbed, as a consumer fetches them."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from starlette.testclient import TestClient

from stoppress.web.embed import embed_snippet
from stoppress.web.render import Site

Headers = dict[str, str]
BASE = "http://testserver"


def post_entry(client: TestClient, headers: Headers, title: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/blogs/storm/entries", json={"title": title, "body": "It happened.", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def oembed(client: TestClient, **params: str) -> Any:
    return client.get("/oembed", params=params)


# oEmbed


def test_oembed_for_a_blog(client: TestClient, blog: dict[str, Any]) -> None:
    response = oembed(client, url=f"{BASE}/live/storm", format="json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    assert answer["version"] == "1.0"
    assert answer["type"] == "rich"
    assert answer["title"] == "Storm live"
    assert answer["provider_name"] == "Stop Press"
    assert answer["provider_url"] == f"{BASE}/"
    assert isinstance(answer["width"], int) and isinstance(answer["height"], int)
    frame = lxml.html.fragment_fromstring(answer["html"], create_parent="div").xpath("//iframe")[0]
    assert frame.get("src") == f"{BASE}/embed/storm"
    assert frame.get("title") == "Storm live"
    assert frame.get("width") == str(answer["width"]) and frame.get("height") == str(answer["height"])
    assert client.get(frame.get("src").removeprefix(BASE)).status_code == 200  # and it shows the blog


def test_oembed_honours_the_consumer_s_maximum_size(client: TestClient, blog: dict[str, Any]) -> None:
    answer = oembed(client, url=f"{BASE}/live/storm", maxwidth="320", maxheight="480").json()
    assert answer["width"] <= 320 and answer["height"] <= 480
    assert f'width="{answer["width"]}"' in answer["html"] and f'height="{answer["height"]}"' in answer["html"]
    roomy = oembed(client, url=f"{BASE}/live/storm", maxwidth="5000").json()
    assert roomy["width"] <= 5000


def test_oembed_for_an_entry_by_its_page_short_link_or_anchor(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    entry = post_entry(client, editor, "Bridge closed")
    for url in (
        f"{BASE}/live/storm/entries/{entry['code']}",
        f"{BASE}/p/{entry['code']}",
        f"{BASE}/live/storm#e-{entry['code']}",
    ):
        response = oembed(client, url=url, format="json")
        assert response.status_code == 200, (url, response.text)
        assert response.json()["title"] == "Bridge closed", url
        assert f"{BASE}/embed/storm" in response.json()["html"]
    by_blog_code = oembed(client, url=f"{BASE}/p/{blog['code']}").json()
    assert by_blog_code["title"] == "Storm live"


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example.org/live/storm",  # not our site
        f"{BASE}/live/nosuchblog",
        f"{BASE}/live/storm/entries/nosuchcode",
        f"{BASE}/p/nosuchcode",
        f"{BASE}/api/v1/blogs/storm",  # ours, but not a page
        "javascript:alert(1)",
    ],
)
def test_oembed_is_404_for_addresses_it_cannot_embed(client: TestClient, blog: dict[str, Any], url: str) -> None:
    response = oembed(client, url=url, format="json")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]


def test_oembed_does_not_embed_drafts(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    draft = post_entry(client, editor, "Not yet", status="draft")
    assert oembed(client, url=f"{BASE}/live/storm/entries/{draft['code']}").status_code == 404
    assert oembed(client, url=f"{BASE}/p/{draft['code']}").status_code == 404


def test_oembed_refuses_xml_and_bad_parameters_clearly(client: TestClient, blog: dict[str, Any]) -> None:
    xml = oembed(client, url=f"{BASE}/live/storm", format="xml")
    assert xml.status_code == 501
    assert "json" in xml.json()["detail"]
    missing = oembed(client, format="json")
    assert missing.status_code == 400 and "url" in missing.json()["detail"]
    bad = oembed(client, url=f"{BASE}/live/storm", maxwidth="wide")
    assert bad.status_code == 400 and "maxwidth" in bad.json()["detail"]


def test_pages_announce_their_oembed(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    entry = post_entry(client, editor, "Bridge closed")
    for page, title in (("/live/storm", "Storm live"), (f"/live/storm/entries/{entry['code']}", "Bridge closed")):
        doc = lxml.html.fromstring(client.get(page).text)
        (link,) = doc.xpath('//head/link[@rel="alternate" and @type="application/json+oembed"]')
        assert client.get(link.get("href").removeprefix(BASE)).json()["title"] == title


# The embed page


def test_the_embed_page_is_the_blog_without_the_site_around_it(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    client.put("/api/v1/blogs/storm/key-points", json={"items": ["Schools are closed."]}, headers=editor)
    entry = post_entry(client, editor, "Bridge closed")
    response = client.get("/embed/storm")
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.text)
    assert not doc.xpath('//*[contains(@class, "site-header") or contains(@class, "site-footer")]')
    assert not doc.xpath('//ul[contains(@class, "skip-links")]')
    assert doc.xpath("//head/base")[0].get("target") == "_top"  # links open in the article's window
    root = doc.get_element_by_id("liveblog")
    assert root.get("data-slug") == "storm"
    assert int(root.get("data-last-event-id")) > 0
    assert root.get("data-page") == "1" and root.get("data-new-updates") and root.get("data-announce-new")
    assert "Schools are closed." in doc.get_element_by_id("key-points").text_content()
    assert doc.xpath(f'//div[@id="entries"]/article[@id="e-{entry["code"]}"]')
    assert doc.xpath('//script[starts-with(@src, "/static/reader.js")]')  # live updates
    assert doc.xpath(f'//a[@href="{BASE}/live/storm"]')


def test_any_site_may_frame_the_embed(client: TestClient, blog: dict[str, Any]) -> None:
    response = client.get("/embed/storm")
    assert "x-frame-options" not in response.headers
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    again = client.get("/embed/storm", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_the_embed_follows_changes_and_unknown_blogs_are_404(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    client.get("/embed/storm")
    post_entry(client, editor, "Fresh news")
    assert "Fresh news" in client.get("/embed/storm").text
    assert client.get("/embed/nosuchblog").status_code == 404


def test_the_snippet_is_one_line_pointing_at_the_site() -> None:
    snippet = embed_snippet(Site("https://live.example.com", "https://live.example.com/p/"), "ukraine-updates")
    assert snippet == (
        '<script async src="https://live.example.com/static/embed.js" data-stoppress-blog="ukraine-updates"></script>'
    )
    assert "\n" not in snippet


def test_the_snippet_script_is_served(client: TestClient) -> None:
    response = client.get("/static/embed.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert "stoppress:height" in response.text
