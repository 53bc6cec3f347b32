"""The JSON API (/api/v1) as a program sees it: status codes, answers, errors, and what changes.

Every bad request must answer a problem+json a person can act on AND change nothing: each such test
takes a snapshot of the blog (its JSON, every entry whatever its status, the reader page and the text
view) before the request and compares it after.
"""

from __future__ import annotations

import importlib.util
import json
import re
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from stoppress.web.routes import routes

Headers = dict[str, str]

HTML_BODY = (
    '<p>Hello <strong>world</strong>, read <a href="https://example.com/report">the report</a>.</p>'
    '<script>alert("pwned")</script>'
    '<p onclick="alert(2)">Second <em>paragraph</em>.</p>'
    '<img src="https://cdn.example.com/flood.jpg" alt="Flooded street" onerror="alert(3)">'
)


# Helpers


def assert_problem(response: Any, status: int, *, field: str | None = None) -> dict[str, Any]:
    """An error as the API promises it: problem+json with title, status and a detail a person can act on."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0].strip() == "application/problem+json"
    problem = response.json()
    assert isinstance(problem["title"], str) and problem["title"]
    assert problem["status"] == status
    assert isinstance(problem["detail"], str) and len(problem["detail"]) > 10
    if field is not None:
        assert problem.get("field") == field, problem
    return problem


def post_entry(client: TestClient, headers: Headers, slug: str = "storm", **fields: Any) -> dict[str, Any]:
    data = {"title": "Wind picks up", "body": "Gusts of 100 km/h on the coast.", "format": "text", **fields}
    response = client.post(f"/api/v1/blogs/{slug}/entries", json=data, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def entries_of(client: TestClient, headers: Headers, slug: str = "storm") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/blogs/{slug}/entries", params={"status": "all", "per_page": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def snapshot(client: TestClient, headers: Headers, slug: str = "storm") -> dict[str, Any]:
    """Everything a user could notice about a blog."""
    blog = client.get(f"/api/v1/blogs/{slug}", headers=headers)
    page = client.get(f"/live/{slug}")
    text = client.get(f"/live/{slug}/text")
    assert blog.status_code == page.status_code == text.status_code == 200
    return {
        "blog": blog.json(),
        "entries": entries_of(client, headers, slug),
        "blogs": client.get("/api/v1/blogs", headers=headers).json(),
        "page": page.text,
        "text": text.text,
    }


def public_codes(client: TestClient, slug: str = "storm") -> set[str]:
    page = client.get(f"/live/{slug}")
    assert page.status_code == 200
    return set(re.findall(r'<article[^>]* id="e-([^"]+)"', page.text))


@pytest.fixture
def before(client: TestClient, editor: Headers, blog: dict[str, Any]) -> dict[str, Any]:
    """The blog with one published entry, as it looks before a bad request."""
    post_entry(client, editor, title="First update")
    return snapshot(client, editor)


# Blogs


def test_create_blog(client: TestClient, editor: Headers) -> None:
    response = client.post(
        "/api/v1/blogs",
        json={"title": "Election night", "slug": "election", "description": "Results as they come.",
              "language": "de", "sections": ["Politics", "Germany"]},
        headers=editor,
    )
    assert response.status_code == 201, response.text
    blog = response.json()
    assert blog["slug"] == "election"
    assert blog["title"] == "Election night"
    assert re.fullmatch(r"[A-Za-z0-9_-]{3,32}", blog["code"])
    assert blog["url"] == "http://testserver/live/election"
    assert blog["short_url"] == f"http://testserver/p/{blog['code']}"
    assert blog["sections"] == ["Politics", "Germany"]
    assert blog["language"] == "de"
    assert blog["status"] == "live"
    assert response.headers["location"] == "/api/v1/blogs/election"
    # It is there for readers and programs.
    assert client.get("/live/election").status_code == 200
    assert client.get("/api/v1/blogs/election", headers=editor).json()["code"] == blog["code"]
    assert client.get(f"/p/{blog['code']}", follow_redirects=False).headers["location"] == "/live/election"


def test_slug_comes_from_the_title_when_absent(client: TestClient, editor: Headers) -> None:
    response = client.post("/api/v1/blogs", json={"title": "Flood watch: Rhine rises!"}, headers=editor)
    assert response.status_code == 201, response.text
    assert response.json()["slug"] == "flood-watch-rhine-rises"
    assert response.json()["url"] == "http://testserver/live/flood-watch-rhine-rises"
    assert client.get("/live/flood-watch-rhine-rises").status_code == 200


def test_duplicate_slug_is_a_conflict(client: TestClient, editor: Headers, before: dict[str, Any]) -> None:
    response = client.post("/api/v1/blogs", json={"title": "Another storm", "slug": "storm"}, headers=editor)
    problem = assert_problem(response, 409)
    assert "storm" in problem["detail"]
    assert snapshot(client, editor) == before


def test_blog_without_title_is_refused(client: TestClient, editor: Headers, before: dict[str, Any]) -> None:
    response = client.post("/api/v1/blogs", json={"slug": "no-title"}, headers=editor)
    assert_problem(response, 422, field="title")
    assert client.get("/live/no-title").status_code == 404
    assert snapshot(client, editor) == before


def test_contributor_cannot_create_a_blog(
    client: TestClient, editor: Headers, contributor: Headers, before: dict[str, Any]
) -> None:
    response = client.post("/api/v1/blogs", json={"title": "My own blog", "slug": "mine"}, headers=contributor)
    assert_problem(response, 403)
    assert client.get("/live/mine").status_code == 404
    assert snapshot(client, editor) == before


def test_ending_a_blog_says_so_on_the_page(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    assert "This live blog has ended." not in client.get("/live/storm").text
    response = client.patch("/api/v1/blogs/storm", json={"status": "ended"}, headers=editor)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ended"
    assert "This live blog has ended." in client.get("/live/storm").text
    assert "This live blog has ended." in client.get("/live/storm/text").text


# Creating entries


def test_create_entry(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/blogs/storm/entries",
        json={"title": "Wind picks up", "body": "Gusts of 100 km/h on the coast.", "format": "text"},
        headers=editor,
    )
    assert response.status_code == 201, response.text
    entry = response.json()
    assert re.fullmatch(r"[A-Za-z0-9_-]{3,32}", entry["code"])
    assert entry["version"] == 1
    assert entry["status"] == "published"
    assert entry["title"] == "Wind picks up"
    assert entry["url"] == f"http://testserver/live/storm#e-{entry['code']}"
    assert entry["short_url"] == f"http://testserver/p/{entry['code']}"
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/api/v1/blogs/storm/entries/{entry['code']}"
    # Readers see it, and programs can read it back.
    assert entry["code"] in public_codes(client)
    again = client.get(f"/api/v1/blogs/storm/entries/{entry['code']}", headers=editor)
    assert again.status_code == 200
    assert again.json()["title"] == "Wind picks up"


def test_html_body_is_sanitised(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    entry = post_entry(client, editor, title="Sanitised", body=HTML_BODY, format="html")
    html = entry["html"]
    assert "<p>" in html
    assert "<strong>world</strong>" in html
    assert re.search(r'<a href="https://example.com/report"[^>]*>the report</a>', html)
    assert "<em>paragraph</em>" in html
    assert '<img src="https://cdn.example.com/flood.jpg" alt="Flooded street"' in html
    for bad in ("<script", "alert", "onerror", "onclick", "pwned"):
        assert bad not in html
    page = client.get("/live/storm").text
    assert "<strong>world</strong>" in page
    assert 'href="https://example.com/report"' in page
    for bad in ("alert(", "onerror", "pwned"):
        assert bad not in page


def test_html_probe_image_is_dropped_not_refused(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/blogs/storm/entries",
        json={"title": "Probe", "body": '<p>Before</p><img src=x onerror=alert(1)><p>After</p>', "format": "html"},
        headers=editor,
    )
    assert response.status_code == 201, response.text
    html = response.json()["html"]
    assert "Before" in html and "After" in html
    for bad in ("<img", "onerror", "alert"):
        assert bad not in html


def test_markdown_body(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    entry = post_entry(
        client, editor, title="Markdown", format="markdown",
        body="Rain is **heavy** in the _north_, see [the map](https://example.com/map).\n\n- Hamburg\n- Bremen\n",
    )
    html = entry["html"]
    assert "<strong>heavy</strong>" in html
    assert "<em>north</em>" in html
    assert re.search(r'<a href="https://example.com/map"[^>]*>the map</a>', html)
    assert re.search(r"<ul>\s*<li>Hamburg</li>\s*<li>Bremen</li>\s*</ul>", html)
    assert "**" not in html
    assert "Hamburg" in entry["text"] and "**" not in entry["text"]


def test_text_body(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    entry = post_entry(client, editor, title="Plain", format="text", body="Line <b>one</b> & more\n\nSecond paragraph")
    html = entry["html"]
    assert "<b>" not in html  # text is text: markup is shown, not obeyed
    assert "&lt;b&gt;one&lt;/b&gt; &amp; more" in html
    assert html.count("<p>") == 2
    assert "Second paragraph" in html


# Bad input: a clear 4xx, and nothing changes


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "No title here.", "format": "text"}, "title"),
        ({"title": "   ", "body": "Blank title.", "format": "text"}, "title"),
        ({"title": "Odd format", "body": "x", "format": "docx"}, "format"),
        ({"title": "Wrong type", "body": "x", "format": "text", "key_event": "yes"}, "key_event"),
        ({"title": "Wrong type", "body": "x", "format": "text", "pinned": 1}, "pinned"),
        ({"title": "No body", "format": "text"}, "body"),
        ({"title": "Bad status", "body": "x", "format": "text", "status": "live"}, "status"),
        ({"title": "Typo", "body": "x", "formt": "text"}, "formt"),
    ],
    ids=["missing-title", "blank-title", "unknown-format", "key-event-yes", "pinned-1", "missing-body",
         "unknown-status", "unknown-field"],
)
def test_invalid_entry_is_refused(
    client: TestClient, editor: Headers, before: dict[str, Any], payload: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/blogs/storm/entries", json=payload, headers=editor)
    assert_problem(response, 422, field=field)
    assert snapshot(client, editor) == before


def test_body_over_the_limit_is_refused(client: TestClient, editor: Headers, before: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/blogs/storm/entries",
        json={"title": "Too long", "body": "a" * 100_001, "format": "text"},
        headers=editor,
    )
    problem = assert_problem(response, 422, field="body")
    assert "100,000" in problem["detail"]
    assert snapshot(client, editor) == before


def test_body_at_the_limit_is_accepted(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    post_entry(client, editor, title="Long but fine", body="a" * 100_000, format="text")


def test_malformed_json_is_a_bad_request(client: TestClient, editor: Headers, before: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/blogs/storm/entries",
        content=b'{"title": "Broken", "body": ',
        headers={**editor, "Content-Type": "application/json"},
    )
    problem = assert_problem(response, 400)
    assert "JSON" in problem["detail"]
    assert snapshot(client, editor) == before


def test_json_array_is_refused(client: TestClient, editor: Headers, before: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/blogs/storm/entries", json=[{"title": "In a list", "body": "x", "format": "text"}], headers=editor
    )
    assert_problem(response, 422)
    assert snapshot(client, editor) == before


def test_wrong_content_type_is_refused(client: TestClient, editor: Headers, before: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/blogs/storm/entries",
        content=json.dumps({"title": "As text", "body": "x", "format": "text"}).encode(),
        headers={**editor, "Content-Type": "text/plain"},
    )
    problem = assert_problem(response, 415)
    assert "application/json" in problem["detail"]
    form = client.post("/api/v1/blogs/storm/entries", data={"title": "As a form", "body": "x"}, headers=editor)
    assert_problem(form, 415)
    assert snapshot(client, editor) == before


def test_request_over_one_mebibyte_is_refused(client: TestClient, editor: Headers, before: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/blogs/storm/entries",
        json={"title": "Huge", "body": "a" * (1024 * 1024 + 10), "format": "text"},
        headers=editor,
    )
    assert_problem(response, 413)
    assert snapshot(client, editor) == before


def test_streamed_request_over_one_mebibyte_is_refused(
    client: TestClient, editor: Headers, before: dict[str, Any]
) -> None:
    """Without a Content-Length (chunked), the limit is enforced while reading."""

    def chunks() -> Any:
        yield b'{"title": "Huge", "format": "text", "body": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'"}'

    response = client.post(
        "/api/v1/blogs/storm/entries", content=chunks(), headers={**editor, "Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert snapshot(client, editor) == before


def test_unknown_blog_is_not_found(client: TestClient, editor: Headers, before: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/blogs/no-such-blog/entries", json={"title": "Lost", "body": "x", "format": "text"}, headers=editor
    )
    problem = assert_problem(response, 404)
    assert "no-such-blog" in problem["detail"]
    assert client.get("/live/no-such-blog").status_code == 404
    assert snapshot(client, editor) == before


def test_unknown_entry_is_not_found(client: TestClient, editor: Headers, before: dict[str, Any]) -> None:
    assert_problem(client.get("/api/v1/blogs/storm/entries/nosuchcode", headers=editor), 404)
    assert_problem(client.patch("/api/v1/blogs/storm/entries/nosuchcode", json={"title": "x"}, headers=editor), 404)
    assert_problem(client.delete("/api/v1/blogs/storm/entries/nosuchcode", headers=editor), 404)
    assert snapshot(client, editor) == before


def test_entry_is_only_reachable_through_its_own_blog(
    client: TestClient, editor: Headers, before: dict[str, Any]
) -> None:
    other = client.post("/api/v1/blogs", json={"title": "Other blog", "slug": "other"}, headers=editor)
    assert other.status_code == 201
    code = before["entries"][0]["code"]
    before = snapshot(client, editor)
    url = f"/api/v1/blogs/other/entries/{code}"
    assert_problem(client.get(url, headers=editor), 404)
    assert_problem(client.patch(url, json={"title": "Moved?"}, headers=editor), 404)
    assert_problem(client.delete(url, headers=editor), 404)
    assert snapshot(client, editor) == before


def test_wrong_method_answers_problem_json(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    assert_problem(client.put("/api/v1/blogs", json={"title": "x"}, headers=editor), 405)


def test_unknown_api_address_answers_problem_json(client: TestClient, editor: Headers) -> None:
    assert_problem(client.get("/api/v1/nothing-here", headers=editor), 404)


def test_no_token_is_unauthorised(client: TestClient, editor: Headers, before: dict[str, Any]) -> None:
    response = client.post("/api/v1/blogs/storm/entries", json={"title": "Anonymous", "body": "x", "format": "text"})
    problem = assert_problem(response, 401)
    assert "Bearer" in response.headers["www-authenticate"]
    assert "token" in problem["detail"].lower()
    assert_problem(client.get("/api/v1/blogs"), 401)
    assert_problem(client.post("/api/v1/blogs", json={"title": "Anon blog"}), 401)
    assert snapshot(client, editor) == before


@pytest.mark.parametrize("authorization", ["Bearer not-a-real-token", "Basic ZWRpdG9yOnB3", "Bearer "])
def test_bad_token_is_unauthorised(
    client: TestClient, editor: Headers, before: dict[str, Any], authorization: str
) -> None:
    response = client.post(
        "/api/v1/blogs/storm/entries",
        json={"title": "Forged", "body": "x", "format": "text"},
        headers={"Authorization": authorization},
    )
    assert_problem(response, 401)
    assert "Bearer" in response.headers["www-authenticate"]
    assert snapshot(client, editor) == before


# Contributors and editors


def test_contributor_entry_waits_for_an_editor(
    client: TestClient, editor: Headers, contributor: Headers, blog: dict[str, Any]
) -> None:
    entry = post_entry(
        client, contributor, title="Tree down on Main Street", body="Seen by our reporter.", status="published"
    )
    assert entry["status"] == "submitted"
    code = entry["code"]
    assert code not in public_codes(client)
    assert "Tree down on Main Street" not in client.get("/live/storm").text
    text = client.get("/live/storm/text").text
    assert "Tree down on Main Street" not in text and code not in text
    # A reader cannot reach it through its short link either.
    assert client.get(f"/p/{code}", follow_redirects=False).headers["location"] == "/live/storm"

    response = client.patch(f"/api/v1/blogs/storm/entries/{code}", json={"status": "published"}, headers=editor)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "published"
    assert code in public_codes(client)
    assert "Tree down on Main Street" in client.get("/live/storm").text
    assert "Tree down on Main Street" in client.get("/live/storm/text").text


def test_contributor_cannot_change_or_delete_someone_elses_entry(
    client: TestClient, editor: Headers, contributor: Headers, blog: dict[str, Any]
) -> None:
    entry = post_entry(client, editor, title="Editor's update")
    before = snapshot(client, editor)
    url = f"/api/v1/blogs/storm/entries/{entry['code']}"
    assert_problem(client.patch(url, json={"title": "Hijacked"}, headers=contributor), 403)
    assert_problem(client.patch(url, json={"title": "Hijacked"}, headers={**contributor, "If-Match": '"1"'}), 403)
    assert_problem(client.delete(url, headers=contributor), 403)
    assert snapshot(client, editor) == before
    assert "Hijacked" not in client.get("/live/storm").text


def test_contributor_cannot_pin(
    client: TestClient, editor: Headers, contributor: Headers, blog: dict[str, Any]
) -> None:
    own = post_entry(client, contributor, title="My draft", status="draft")
    before = snapshot(client, editor)
    response = client.post(
        "/api/v1/blogs/storm/entries",
        json={"title": "Pin me", "body": "x", "format": "text", "pinned": True},
        headers=contributor,
    )
    assert_problem(response, 403)
    response = client.patch(f"/api/v1/blogs/storm/entries/{own['code']}", json={"pinned": True}, headers=contributor)
    assert_problem(response, 403)
    assert snapshot(client, editor) == before


def test_contributor_cannot_publish_by_editing(
    client: TestClient, editor: Headers, contributor: Headers, blog: dict[str, Any]
) -> None:
    own = post_entry(client, contributor, title="Still a draft", status="draft")
    response = client.patch(
        f"/api/v1/blogs/storm/entries/{own['code']}", json={"status": "published"}, headers=contributor
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "submitted"
    assert own["code"] not in public_codes(client)


def test_contributor_cannot_change_their_entry_once_published(
    client: TestClient, editor: Headers, contributor: Headers, blog: dict[str, Any]
) -> None:
    own = post_entry(client, contributor, title="Reported from the scene")
    url = f"/api/v1/blogs/storm/entries/{own['code']}"
    assert client.patch(url, json={"status": "published"}, headers=editor).status_code == 200
    before = snapshot(client, editor)
    assert_problem(client.patch(url, json={"title": "Changed after publication"}, headers=contributor), 403)
    assert_problem(client.delete(url, headers=contributor), 403)
    assert snapshot(client, editor) == before


def test_contributor_can_withdraw_their_submission(
    client: TestClient, editor: Headers, contributor: Headers, blog: dict[str, Any]
) -> None:
    own = post_entry(client, contributor, title="Second thoughts")
    assert client.delete(f"/api/v1/blogs/storm/entries/{own['code']}", headers=contributor).status_code == 204
    assert entries_of(client, editor) == []


def test_editor_can_pin(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    entry = post_entry(client, editor, title="Evacuation routes", pinned=True)
    assert entry["pinned"] is True
    page = client.get("/live/storm").text
    assert f'id="pinned-{entry["code"]}"' in page
    assert f'id="e-{entry["code"]}"' in page


# Editing, conflicts, deleting, revisions


def test_patch_with_current_if_match(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    entry = post_entry(client, editor, title="Wind picks up")
    url = f"/api/v1/blogs/storm/entries/{entry['code']}"
    response = client.patch(url, json={"title": "Wind picks up sharply"}, headers={**editor, "If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.json()["title"] == "Wind picks up sharply"
    assert response.headers["etag"] == '"2"'
    got = client.get(url, headers=editor)
    assert got.headers["etag"] == '"2"'
    assert got.json()["title"] == "Wind picks up sharply"
    assert "Wind picks up sharply" in client.get("/live/storm").text
    # The ETag it answered is what the next edit sends.
    response = client.patch(url, json={"key_event": True}, headers={**editor, "If-Match": response.headers["etag"]})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 3


def test_patch_with_stale_if_match_is_refused(
    client: TestClient, editor: Headers, admin: Headers, blog: dict[str, Any]
) -> None:
    entry = post_entry(client, editor, title="Original title")
    url = f"/api/v1/blogs/storm/entries/{entry['code']}"
    first = client.patch(url, json={"title": "Admin's title"}, headers={**admin, "If-Match": '"1"'})
    assert first.status_code == 200, first.text
    before = snapshot(client, editor)
    late = client.patch(url, json={"title": "Editor's late title"}, headers={**editor, "If-Match": '"1"'})
    problem = assert_problem(late, 412)
    assert problem["current_version"] == 2
    assert snapshot(client, editor) == before
    current = client.get(url, headers=editor).json()
    assert current["title"] == "Admin's title"
    assert current["version"] == 2


@pytest.mark.parametrize("if_match", ["abc", '"v1"', "1,2", '"-1"'])
def test_malformed_if_match_is_a_bad_request(
    client: TestClient, editor: Headers, blog: dict[str, Any], if_match: str
) -> None:
    entry = post_entry(client, editor, title="Untouched")
    before = snapshot(client, editor)
    response = client.patch(
        f"/api/v1/blogs/storm/entries/{entry['code']}",
        json={"title": "Changed"},
        headers={**editor, "If-Match": if_match},
    )
    problem = assert_problem(response, 400)
    assert "If-Match" in problem["detail"]
    assert snapshot(client, editor) == before


def test_invalid_patch_changes_nothing(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    entry = post_entry(client, editor, title="Untouched")
    before = snapshot(client, editor)
    url = f"/api/v1/blogs/storm/entries/{entry['code']}"
    assert_problem(client.patch(url, json={"title": ""}, headers=editor), 422, field="title")
    assert_problem(client.patch(url, json={"key_event": "yes"}, headers=editor), 422, field="key_event")
    assert_problem(client.patch(url, json={"body": "x", "format": "docx"}, headers=editor), 422, field="format")
    assert_problem(client.patch(url, content=b"{", headers={**editor, "Content-Type": "application/json"}), 400)
    assert snapshot(client, editor) == before


def test_delete_entry(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    keep = post_entry(client, editor, title="Stays on the page")
    gone = post_entry(client, editor, title="Posted by mistake")
    assert "Posted by mistake" in client.get("/live/storm").text
    url = f"/api/v1/blogs/storm/entries/{gone['code']}"
    response = client.delete(url, headers=editor)
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(client.get(url, headers=editor), 404)
    assert public_codes(client) == {keep["code"]}
    assert "Posted by mistake" not in client.get("/live/storm").text
    assert "Posted by mistake" not in client.get("/live/storm/text").text
    assert [e["code"] for e in entries_of(client, editor)] == [keep["code"]]
    # Deleting again is a 404, not a second success.
    assert_problem(client.delete(url, headers=editor), 404)


def test_revisions_list_every_version_with_its_author(
    client: TestClient, editor: Headers, admin: Headers, contributor: Headers, blog: dict[str, Any]
) -> None:
    entry = post_entry(client, contributor, title="Version one", status="submitted")
    url = f"/api/v1/blogs/storm/entries/{entry['code']}"
    assert client.patch(url, json={"title": "Version two"}, headers=contributor).status_code == 200
    assert client.patch(url, json={"title": "Version three", "status": "published"}, headers=editor).status_code == 200
    assert client.patch(url, json={"key_event": True}, headers=admin).status_code == 200
    response = client.get(f"{url}/revisions", headers=editor)
    assert response.status_code == 200, response.text
    revisions = response.json()["revisions"]
    assert [r["version"] for r in revisions] == [1, 2, 3, 4]
    assert [r["author"] for r in revisions] == ["contributor", "contributor", "editor", "admin"]
    assert [r["entry"]["title"] for r in revisions] == ["Version one", "Version two", "Version three", "Version three"]
    assert all(r["created_at"] for r in revisions)


# Key points


def test_put_key_points(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    items = ["Schools are closed on Friday.", "Trains to the coast are cancelled.", "Stay away from the dykes."]
    response = client.put("/api/v1/blogs/storm/key-points", json={"items": items}, headers=editor)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == items
    page = client.get("/live/storm").text
    heading = page.index("What you need to know")
    positions = [page.index(item) for item in items]
    assert heading < positions[0] < positions[1] < positions[2]
    assert client.get("/api/v1/blogs/storm", headers=editor).json()["key_points"]["items"] == items
    # Replacing them replaces them.
    response = client.put("/api/v1/blogs/storm/key-points", json={"items": ["Only this one."]}, headers=editor)
    assert response.status_code == 200
    page = client.get("/live/storm").text
    assert "Only this one." in page and "Schools are closed on Friday." not in page


@pytest.mark.parametrize(
    "payload",
    [{"items": "x"}, {"items": [f"Point {n}" for n in range(21)]}, {"items": ["fine", 3]}, {"points": ["a"]}],
    ids=["string", "21-items", "not-text", "no-items"],
)
def test_invalid_key_points_are_refused(
    client: TestClient, editor: Headers, before: dict[str, Any], payload: dict[str, Any]
) -> None:
    response = client.put("/api/v1/blogs/storm/key-points", json=payload, headers=editor)
    assert_problem(response, 422, field="items")
    assert snapshot(client, editor) == before


def test_twenty_key_points_are_accepted(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    items = [f"Point number {n}" for n in range(20)]
    response = client.put("/api/v1/blogs/storm/key-points", json={"items": items}, headers=editor)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == items


def test_contributor_cannot_set_key_points(
    client: TestClient, editor: Headers, contributor: Headers, before: dict[str, Any]
) -> None:
    response = client.put(
        "/api/v1/blogs/storm/key-points", json={"items": ["Contributor's point"]}, headers=contributor
    )
    assert_problem(response, 403)
    assert snapshot(client, editor) == before


# The API's own description

def api_routes() -> set[tuple[str, str]]:
    """(path, method) for every /api/v1 route of the URL map in stoppress/web/routes.py."""
    found = set()
    for route in routes(events_endpoint=lambda scope, receive, send: None):
        if isinstance(route, Route) and route.path.startswith("/api/v1"):
            for method in route.methods or {"GET"}:
                if method != "HEAD":
                    found.add((route.path, method.lower()))
    return found


def test_openapi_describes_every_route(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    spec = response.json()
    assert str(spec.get("openapi", "")).startswith("3.")

    if importlib.util.find_spec("openapi_spec_validator") is not None:
        from openapi_spec_validator import validate

        validate(spec)

    # Paths may be written whole or relative to a server URL ending in /api/v1.
    prefix = ""
    servers = spec.get("servers") or []
    if servers and not any(p.startswith("/api/v1") for p in spec["paths"]):
        prefix = re.sub(r"^[a-z]+://[^/]+", "", servers[0]["url"]).rstrip("/")
    documented = {
        (prefix + path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
    }
    wanted = api_routes()
    assert len(wanted) >= 13
    missing = sorted(wanted - documented)
    assert not missing, f"routes in stoppress/web/routes.py without OpenAPI docs: {missing}"
    extra = sorted(documented - wanted)
    assert not extra, f"OpenAPI documents routes that do not exist: {extra}"
