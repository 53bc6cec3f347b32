"""The desk's pages: blogs list, creating, changing, ending and reopening a blog with plain forms; a
blog's desk and its fragments; the desk's live stream, which needs a session and carries drafts."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from starlette.testclient import TestClient

from tests.conftest import PASSWORD, LiveServer
from tests.desk.test_auth import CSRF_META, add_user, another, call, sign_in, signed_in

WAIT = 20.0  # bounds every wait on a live stream; asserts no speed


def api_blog(client: TestClient, slug: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/blogs/{slug}")
    assert response.status_code == 200, response.text
    return response.json()


def new_blog(client: TestClient, csrf: str, **fields: str) -> Any:
    data = {"csrf": csrf, "title": "", "slug": "", "description": "", "language": "en", "sections": "",
            "timezone": "UTC", "lead_src": "", "lead_alt": "", "lead_caption": "", "lead_credit": "", **fields}
    return client.post("/desk/new", data=data, follow_redirects=False)


def entry(client: TestClient, csrf: str, slug: str, **fields: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/blogs/{slug}/entries", json=fields, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201, response.text
    return response.json()


# Blogs with forms


def test_an_editor_creates_a_blog_with_the_form(client: TestClient) -> None:
    csrf = signed_in(client, "ed", "editor")
    form = client.get("/desk/new")
    assert form.status_code == 200 and 'name="timezone"' in form.text and "Europe/Kyiv" in form.text
    response = new_blog(
        client, csrf, title="Russia's war in Ukraine: Live updates", description="The latest.", language="en",
        sections="Conflicts, Ukraine", timezone="Europe/Kyiv", lead_src="https://example.com/kyiv.jpg",
        lead_alt="Firefighters at a burning building", lead_caption="Kyiv on Tuesday", lead_credit="Efrem Lukatsky/AP",
    )
    assert response.status_code == 303
    slug = "russia-s-war-in-ukraine-live-updates"  # made from the title, as the form says
    assert response.headers["location"] == f"/desk/blogs/{slug}"
    blog = api_blog(client, slug)
    assert blog["sections"] == ["Conflicts", "Ukraine"] and blog["timezone"] == "Europe/Kyiv"
    assert blog["lead_image"] == {"src": "https://example.com/kyiv.jpg", "alt": "Firefighters at a burning building",
                                  "caption": "Kyiv on Tuesday", "credit": "Efrem Lukatsky/AP"}
    desk = client.get(f"/desk/blogs/{slug}")
    assert desk.status_code == 200 and "Russia&#39;s war in Ukraine" in desk.text
    listing = client.get("/desk").text
    assert f'href="/desk/blogs/{slug}"' in listing and "Last update" in listing

    own_slug = new_blog(client, csrf, title="Election night", slug="vote-2024")
    assert own_slug.headers["location"] == "/desk/blogs/vote-2024"


def test_a_bad_blog_form_says_what_to_fix_and_creates_nothing(client: TestClient) -> None:
    csrf = signed_in(client, "ed", "editor")
    no_alt = new_blog(client, csrf, title="Storm", lead_src="https://example.com/a.jpg")
    assert no_alt.status_code == 422 and "The lead image needs alt text" in no_alt.text
    assert 'id="f-lead_alt"' in no_alt.text and 'value="Storm"' in no_alt.text  # what was typed is kept
    bad_slug = new_blog(client, csrf, title="Storm", slug="Not A Slug!")
    assert bad_slug.status_code == 422 and "lowercase letters" in bad_slug.text
    bad_zone = new_blog(client, csrf, title="Storm", timezone="Mars/Olympus")
    assert bad_zone.status_code == 422 and "IANA time zone" in bad_zone.text
    assert client.get("/api/v1/blogs").json()["blogs"] == []
    assert new_blog(client, csrf, title="Storm", slug="storm").status_code == 303
    taken = new_blog(client, csrf, title="Storm again", slug="storm")
    assert taken.status_code == 409
    assert [b["title"] for b in client.get("/api/v1/blogs").json()["blogs"]] == ["Storm"]


def test_a_contributor_cannot_create_blogs_or_change_them(client: TestClient) -> None:
    editor_csrf = signed_in(client, "ed", "editor")
    new_blog(client, editor_csrf, title="Storm", slug="storm")
    contributor = another(client)
    add_user(client, "casey", "contributor")
    csrf = sign_in(contributor, "casey")
    assert contributor.get("/desk/new").status_code == 403
    assert new_blog(contributor, csrf, title="Mine").status_code == 403
    assert contributor.post("/desk/blogs/storm/status", data={"csrf": csrf, "status": "ended"}).status_code == 403
    page = contributor.get("/desk/blogs/storm").text
    assert "End blog" not in page and "Settings" not in page and "Submit for review" in page
    assert api_blog(client, "storm")["status"] == "live"


def test_end_and_reopen_a_blog_with_the_form(client: TestClient) -> None:
    csrf = signed_in(client, "ed", "editor")
    new_blog(client, csrf, title="Match day", slug="match")
    ended = client.post("/desk/blogs/match/status", data={"csrf": csrf, "status": "ended"}, follow_redirects=False)
    assert ended.status_code == 303
    assert api_blog(client, "match")["status"] == "ended"
    page = client.get("/desk/blogs/match").text
    assert "Reopen blog" in page and "This blog has ended" in page
    client.post("/desk/blogs/match/status", data={"csrf": csrf, "status": "live"})
    assert api_blog(client, "match")["status"] == "live"
    assert "End blog" in client.get("/desk/blogs/match").text
    no_csrf = client.post("/desk/blogs/match/status", data={"status": "ended"})
    assert no_csrf.status_code == 403 and api_blog(client, "match")["status"] == "live"


def test_blog_settings_change_the_blog(client: TestClient) -> None:
    csrf = signed_in(client, "ed", "editor")
    new_blog(client, csrf, title="Storm", slug="storm")
    form = client.get("/desk/blogs/storm/settings")
    assert 'value="Storm"' in form.text
    response = client.post("/desk/blogs/storm/settings", follow_redirects=False, data={
        "csrf": csrf, "title": "Storm Eunice", "slug": "storm", "description": "Red warning.", "language": "en-GB",
        "sections": "Weather", "timezone": "Europe/London", "lead_src": "", "lead_alt": "", "lead_caption": "",
        "lead_credit": "",
    })
    assert response.status_code == 303 and response.headers["location"] == "/desk/blogs/storm?saved=1"
    blog = api_blog(client, "storm")
    assert (blog["title"], blog["language"], blog["timezone"], blog["sections"]) == (
        "Storm Eunice", "en-GB", "Europe/London", ["Weather"])
    assert "Settings saved." in client.get("/desk/blogs/storm?saved=1").text


# A blog's desk


def test_the_desk_shows_every_entry_to_editors_and_only_their_own_drafts_to_contributors(client: TestClient) -> None:
    csrf = signed_in(client, "ed", "editor")
    new_blog(client, csrf, title="Storm", slug="storm")
    entry(client, csrf, "storm", title="Editor's draft", body="Not yet.", status="draft")
    entry(client, csrf, "storm", title="Published news", body="Out now.")
    contributor = another(client)
    add_user(client, "casey", "contributor")
    casey_csrf = sign_in(contributor, "casey")
    submitted = entry(contributor, casey_csrf, "storm", title="Casey's report", body="From the coast.", status="published")
    assert submitted["status"] == "submitted"  # a contributor's entry never goes live by itself

    page = client.get("/desk/blogs/storm").text
    for title in ("Editor&#39;s draft", "Published news", "Casey&#39;s report"):
        assert title in page
    assert 'id="queue-list"' in page and f'data-code="{submitted["code"]}"' in page
    assert "Approve and publish" in page and "Send back" in page

    theirs = contributor.get("/desk/blogs/storm").text
    assert "Published news" in theirs and "Casey&#39;s report" in theirs
    assert "Editor&#39;s draft" not in theirs and "Approve and publish" not in theirs
    card = contributor.get(f"/desk/blogs/storm/entries/{submitted['code']}/card")
    assert card.status_code == 200 and 'data-status="submitted"' in card.text


def test_older_entries_and_single_cards_come_as_fragments(client: TestClient) -> None:
    csrf = signed_in(client, "ed", "editor")
    new_blog(client, csrf, title="Storm", slug="storm")
    made = [entry(client, csrf, "storm", title=f"Update {n}", body="Text.", format="text") for n in range(32)]
    page = client.get("/desk/blogs/storm").text
    assert page.count('class="card ') == 30 and 'id="load-older"' in page and "Update 31" in page
    older = client.get("/desk/blogs/storm/entries?page=2").json()
    assert older["more"] is False
    assert re.findall(r'class="card-title"[^>]*>([^<]+)<', older["html"]) == ["Update 1", "Update 0"]
    card = client.get(f"/desk/blogs/storm/entries/{made[0]['code']}/card")
    assert card.status_code == 200 and "Update 0" in card.text
    assert card.headers["cache-control"] == "no-store"


def test_the_history_shows_who_changed_what_word_by_word(client: TestClient) -> None:
    csrf = signed_in(client, "ed", "editor")
    new_blog(client, csrf, title="Storm", slug="storm")
    made = entry(client, csrf, "storm", title="Winds reach 90 mph", body="<p>The coast is closed.</p>")
    other = another(client)
    add_user(client, "sub", "editor")
    sub_csrf = sign_in(other, "sub")
    response = other.patch(f"/api/v1/blogs/storm/entries/{made['code']}", headers={"X-CSRF-Token": sub_csrf},
                           json={"title": "Winds reach 100 mph", "correction": "An earlier version gave 90 mph."})
    assert response.status_code == 200
    history = client.get(f"/desk/blogs/storm/entries/{made['code']}/history").text
    newest, oldest = history.index("Version 2"), history.index("Version 1")
    assert newest < oldest  # newest first
    version_two = history[newest:oldest]
    assert "sub" in version_two and "Changed headline, correction" in version_two
    assert re.search(r"<del>.*90.*</del>\s*<ins>.*100.*</ins>", version_two)
    assert "Created as published" in history[oldest:]


def test_pages_of_the_desk_are_private_and_not_cached(client: TestClient) -> None:
    signed_in(client, "ed", "editor")
    page = client.get("/desk")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]


# The desk's live stream


def desk_session(server: LiveServer, name: str = "ed") -> tuple[httpx.Client, str]:
    """An httpx client signed in to the desk of a live server, and its CSRF token."""
    session = httpx.Client(base_url=server.url, timeout=30, follow_redirects=True)
    page = session.get("/desk/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = session.post("/desk/sign-in", data={"csrf": token, "name": name, "password": PASSWORD})
    assert response.status_code == 200 and name in response.text, response.text
    return session, CSRF_META.search(response.text).group(1)  # type: ignore[union-attr]


def read_events(response: httpx.Response, until: str) -> list[dict[str, Any]]:
    """Server-Sent Events data from a stream, up to and including the first whose text contains `until`."""
    events = []
    for line in response.iter_lines():
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
            if until in line:
                return events
    raise AssertionError(f"the stream ended before {until!r}: {events}")


def test_the_desk_stream_needs_a_session_of_an_editor(live_server: LiveServer) -> None:
    httpx.post(f"{live_server.url}/api/v1/blogs", json={"title": "Storm", "slug": "storm"}, headers=live_server.auth, timeout=30)
    anonymous = httpx.get(f"{live_server.url}/desk/blogs/storm/events", timeout=30)
    assert anonymous.status_code == 401 and "Sign in" in anonymous.json()["detail"]
    with_token = httpx.get(f"{live_server.url}/desk/blogs/storm/events", headers=live_server.auth, timeout=30)
    assert with_token.status_code == 401  # an API token is not a desk session


def test_the_desk_stream_carries_drafts_that_the_reader_stream_never_shows(live_server: LiveServer) -> None:
    session, csrf = desk_session(live_server)
    writes = {"X-CSRF-Token": csrf}
    assert session.post("/api/v1/blogs", json={"title": "Storm", "slug": "storm"}, headers=writes).status_code == 201
    timeout = httpx.Timeout(30, read=WAIT)
    with session.stream("GET", "/desk/blogs/storm/events?after=0", timeout=timeout) as desk, \
            httpx.stream("GET", f"{live_server.url}/live/storm/events?after=0", timeout=timeout) as reader:
        assert desk.status_code == 200 and desk.headers["content-type"].startswith("text/event-stream")
        draft = session.post("/api/v1/blogs/storm/entries", headers=writes,
                             json={"title": "Secret draft", "body": "Not for readers yet.", "status": "draft"}).json()
        session.post("/api/v1/blogs/storm/entries", headers=writes, json={"title": "Public news", "body": "Out."})
        seen = read_events(desk, "Public news")
        drafted = next(e for e in seen if e.get("code") == draft["code"])
        assert drafted["status"] == "draft" and "Secret draft" in drafted["html"] and 'data-status="draft"' in drafted["html"]
        assert "Not for readers yet." in drafted["html"]
        public = read_events(reader, "Public news")
        assert all(e.get("code") != draft["code"] for e in public)
        assert "Secret draft" not in json.dumps(public)
    session.close()


def test_a_contributor_is_kept_off_the_desk_stream(live_server: LiveServer) -> None:
    from tests.conftest import stoppress

    stoppress("users", "add", "casey", "--role", "contributor", "--password-stdin", db=live_server.db, stdin=PASSWORD + "\n")
    httpx.post(f"{live_server.url}/api/v1/blogs", json={"title": "Storm", "slug": "storm"}, headers=live_server.auth, timeout=30)
    session, _ = desk_session(live_server, "casey")
    response = session.get("/desk/blogs/storm/events")
    assert response.status_code == 403 and "drafts" in response.json()["detail"]
    session.close()


def test_nothing_of_the_desk_is_reachable_signed_out(client: TestClient) -> None:
    csrf = signed_in(client, "ed", "editor")
    new_blog(client, csrf, title="Storm", slug="storm")
    made = entry(client, csrf, "storm", title="Draft", body="x", status="draft")
    stranger = another(client)
    for path in ("/desk", "/desk/new", "/desk/admin", "/desk/blogs/storm", "/desk/blogs/storm/settings",
                 f"/desk/blogs/storm/entries/{made['code']}/card", f"/desk/blogs/storm/entries/{made['code']}/history",
                 "/desk/blogs/storm/entries?page=1"):
        response = stranger.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/desk/sign-in"), path
    for path, data in (("/desk/new", {"title": "x"}), ("/desk/blogs/storm/status", {"status": "ended"}),
                       ("/desk/admin/users", {"name": "x", "role": "admin", "password": PASSWORD})):
        assert stranger.post(path, data=data, follow_redirects=False).headers["location"] == "/desk/sign-in"
    assert [u.name for u in call(client, client.app.state.newsroom.storage.list_users)] == ["ed"]  # type: ignore[attr-defined]
    assert client.get("/api/v1/blogs/storm").json()["status"] == "live"
