"""Getting into the desk: the first-run setup link, signing in and out, throttling, cookies, CSRF, and
the admin page (accounts and API tokens), as a browser without JavaScript would use them."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from stoppress.app import create_app
from stoppress.settings import Settings
from tests.conftest import PASSWORD, stop_server, stoppress

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
STALE = "The form is out of date; reload the page and try again."


# Helpers, also used by test_pages


def form_token(client: TestClient, path: str) -> str:
    """The hidden CSRF field of the form on `path`."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    match = CSRF_FIELD.search(response.text)
    assert match, f"no csrf field on {path}"
    return match.group(1)


def another(client: TestClient, **options: Any) -> TestClient:
    """A second browser on the same app (its own cookies), running on the app's event loop."""
    other = TestClient(client.app, **options)
    other.portal = client.portal
    return other


def call(client: TestClient, fn: Any, *args: Any) -> Any:
    return client.portal.call(fn, *args)  # type: ignore[union-attr]


def add_user(client: TestClient, name: str, role: str) -> None:
    call(client, client.app.state.newsroom.add_user, name, role, PASSWORD)  # type: ignore[attr-defined]


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Signs `client` in through the form; returns the session's CSRF token."""
    token = form_token(client, "/desk/sign-in")
    response = client.post("/desk/sign-in", data={"csrf": token, "name": name, "password": password},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/desk")
    assert page.status_code == 200 and name in page.text
    match = CSRF_META.search(page.text)
    assert match
    return match.group(1)


def signed_in(client: TestClient, name: str, role: str) -> str:
    add_user(client, name, role)
    return sign_in(client, name)


def blogs(client: TestClient) -> list[str]:
    return [b.slug for b in call(client, client.app.state.newsroom.list_blogs)]  # type: ignore[attr-defined]


# The first run


@dataclass
class Served:
    """`stoppress serve` on a free port: its address, and the setup link it printed, if any."""

    url: str
    setup_link: str | None
    banner: list[str] = field(default_factory=list)


@contextlib.contextmanager
def serve(db: str, folder: Path, *, empty: bool) -> Iterator[Served]:
    """Runs `stoppress serve --port 0` as an operator would, reading its banner from standard output.

    On an `empty` site the banner goes on past "Open ..." with the setup link. Everything the server
    printed is in `banner` once the block has ended.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "stoppress", "serve", "--port", "0", "--db", db],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=folder,
        env={**os.environ, "STOPPRESS_HEARTBEAT": "1"},
    )
    assert process.stdout is not None
    served = Served("", None)
    deadline = time.monotonic() + 60
    drain = threading.Thread(target=lambda: served.banner.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    try:
        while time.monotonic() < deadline and not (served.url and (served.setup_link or not empty)):
            line = process.stdout.readline()
            if not line:
                break
            served.banner.append(line)
            if match := re.search(r"Open (http://\S+?)/ in your browser", line):
                served.url = match.group(1)
            if match := re.search(r"(http://\S+/desk/setup\?token=\S+)", line):
                served.setup_link = match.group(1)
        assert served.url, f"stoppress serve did not start: {''.join(served.banner)}"
        drain.start()  # keep reading, so the server never blocks on a full pipe
        yield served
    finally:
        stop_server(process, drain)


def setup_link(client: TestClient) -> str:
    token = call(client, client.app.state.newsroom.access.setup_token)  # type: ignore[attr-defined]
    assert token
    return f"/desk/setup?token={token}"


def claim(client: TestClient, link: str, name: str = "chief", password: str = PASSWORD, again: str | None = None) -> Any:
    csrf = form_token(client, link)
    token = link.split("token=")[1]
    return client.post("/desk/setup", follow_redirects=False, data={
        "csrf": csrf, "token": token, "name": name, "password": password, "password_again": again or password,
    })


def test_the_setup_link_creates_the_first_admin_once(client: TestClient) -> None:
    link = setup_link(client)
    response = claim(client, link)
    assert response.status_code == 303 and response.headers["location"] == "/desk?welcome=1"
    page = client.get("/desk?welcome=1")
    assert "Welcome, chief" in page.text and 'href="/desk/admin"' in page.text  # signed in, as an admin

    # The same link a second time, by someone else: refused, and no second account.
    stranger = another(client)
    page = stranger.get(link)
    assert page.status_code == 410 and "first account exists already" in page.text
    csrf = CSRF_FIELD.search(stranger.get("/desk/sign-in").text).group(1)  # type: ignore[union-attr]
    again = stranger.post("/desk/setup", follow_redirects=False, data={
        "csrf": csrf, "token": link.split("token=")[1], "name": "intruder", "password": PASSWORD, "password_again": PASSWORD,
    })
    assert again.status_code == 410 and "Sign in instead" in again.text
    users = call(client, client.app.state.newsroom.storage.list_users)  # type: ignore[attr-defined]
    assert [(u.name, str(u.role)) for u in users] == [("chief", "admin")]


def test_a_wrong_setup_token_or_a_bad_form_creates_nobody(client: TestClient) -> None:
    link = setup_link(client)
    wrong = claim(client, "/desk/setup?token=not-the-token")
    assert wrong.status_code == 403 and "not valid" in wrong.text
    differ = claim(client, link, again="something else entirely")
    assert differ.status_code == 422 and "The two passwords differ" in differ.text
    short = claim(client, link, password="short")
    assert short.status_code == 422 and "at least 10 characters" in short.text
    assert call(client, client.app.state.newsroom.storage.list_users) == []  # type: ignore[attr-defined]
    assert claim(client, link).status_code == 303  # the link still works after the mistakes


def test_serve_prints_a_setup_link_on_an_empty_site_and_only_there(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    with serve(db, tmp_path, empty=True) as server:
        assert server.setup_link and server.setup_link.startswith(server.url + "/desk/setup?token=")
        page = httpx.get(server.setup_link, timeout=30)
        assert page.status_code == 200 and "Create the first admin account" in page.text
    stoppress("users", "add", "ed", "--role", "editor", "--password-stdin", db=db, stdin=PASSWORD + "\n")
    with serve(db, tmp_path, empty=False) as server:
        assert httpx.get(server.url + "/healthz", timeout=30).status_code == 200  # the banner is all out
    assert "/desk/setup" not in "".join(server.banner)


# Signing in and out


def test_sign_in_and_sign_out(client: TestClient) -> None:
    add_user(client, "ed", "editor")
    first = client.get("/desk", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/desk/sign-in?next=/desk"
    csrf = sign_in(client, "ed")
    cookie = client.cookies.get("sp_session")
    assert cookie

    out = client.post("/desk/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/desk/sign-in?signed_out=1"
    assert "You are signed out." in client.get("/desk/sign-in?signed_out=1").text
    assert client.get("/desk", follow_redirects=False).status_code == 303
    # The old cookie is dead on the server too, not just forgotten by this browser.
    replay = another(client, cookies={"sp_session": cookie})
    assert replay.get("/desk", follow_redirects=False).status_code == 303


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(client: TestClient) -> None:
    add_user(client, "ed", "editor")
    token = form_token(client, "/desk/sign-in?next=/desk/new")
    response = client.post("/desk/sign-in", follow_redirects=False,
                           data={"csrf": token, "name": "ed", "password": PASSWORD, "next": "/desk/new"})
    assert response.headers["location"] == "/desk/new"
    other = another(client)
    token = form_token(other, "/desk/sign-in")
    response = other.post("/desk/sign-in", follow_redirects=False,
                          data={"csrf": token, "name": "ed", "password": PASSWORD, "next": "//evil.example/desk"})
    assert response.headers["location"] == "/desk"


def test_a_wrong_password_gets_a_clear_message_and_no_session(client: TestClient) -> None:
    add_user(client, "ed", "editor")
    token = form_token(client, "/desk/sign-in")
    response = client.post("/desk/sign-in", data={"csrf": token, "name": "ed", "password": "wrong password!"})
    assert response.status_code == 401
    assert "That user name and password do not match." in response.text
    assert 'value="ed"' in response.text  # the name stays typed in
    assert "sp_session" not in client.cookies
    assert client.get("/desk", follow_redirects=False).status_code == 303


def test_repeated_failed_sign_ins_are_slowed_down(client: TestClient) -> None:
    add_user(client, "ed", "editor")
    # A clock that stands still: every wait the throttle asks for is still ahead.
    client.app.state.newsroom.access.throttle.monotonic = lambda: 1000.0  # type: ignore[attr-defined]
    token = form_token(client, "/desk/sign-in")
    for _ in range(5):
        response = client.post("/desk/sign-in", data={"csrf": token, "name": "ed", "password": "guess guess guess"})
        assert response.status_code == 401
    blocked = client.post("/desk/sign-in", data={"csrf": token, "name": "ed", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed sign-ins. Wait" in blocked.text
    assert "sp_session" not in client.cookies  # even the right password waits


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(client: TestClient, tmp_path: Path) -> None:
    add_user(client, "ed", "editor")
    token = form_token(client, "/desk/sign-in")
    response = client.post("/desk/sign-in", data={"csrf": token, "name": "ed", "password": PASSWORD}, follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sp_session=")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags and "secure" not in flags

    settings = Settings.load({"db": f"sqlite:///{tmp_path / 'https.db'}", "base_url": "https://live.example.com"}, environ={})
    with TestClient(create_app(settings), base_url="https://live.example.com") as secure:
        add_user(secure, "ed", "editor")
        token = form_token(secure, "/desk/sign-in")
        response = secure.post("/desk/sign-in", data={"csrf": token, "name": "ed", "password": PASSWORD}, follow_redirects=False)
        flags = {part.strip().lower() for part in response.headers["set-cookie"].split(";")[1:]}
        assert {"httponly", "samesite=lax", "secure"} <= flags


# CSRF: a write without the token changes nothing


def test_a_form_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    signed_in(client, "ed", "editor")
    for data in ({"title": "Forged"}, {"title": "Forged", "csrf": "not-the-token"}):
        response = client.post("/desk/new", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert STALE in response.text
    assert blogs(client) == []
    # A sign-in form needs its token too (login CSRF).
    response = another(client).post("/desk/sign-in", data={"name": "ed", "password": PASSWORD})
    assert response.status_code == 403 and STALE in response.text


def test_an_api_write_with_the_cookie_but_without_the_csrf_header_is_refused(client: TestClient) -> None:
    csrf = signed_in(client, "ed", "editor")
    for headers in ({}, {"X-CSRF-Token": "not-the-token"}):
        response = client.post("/api/v1/blogs", json={"title": "Forged"}, headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"] == STALE
    assert blogs(client) == []
    assert client.get("/api/v1/blogs").status_code == 200  # reading needs no token
    made = client.post("/api/v1/blogs", json={"title": "Real"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201 and blogs(client) == ["real"]


def test_the_api_says_how_to_get_back_in_when_the_session_is_gone(client: TestClient) -> None:
    stale = another(client, cookies={"sp_session": "expired-or-made-up"})
    response = stale.get("/api/v1/blogs")
    assert response.status_code == 401 and "sign in again" in response.json()["detail"]


# The admin page


def test_contributors_and_editors_cannot_reach_the_admin_page(client: TestClient) -> None:
    for name, role in (("casey", "contributor"), ("ed", "editor")):
        other = another(client)
        add_user(client, name, role)
        csrf = sign_in(other, name)
        page = other.get("/desk/admin")
        assert page.status_code == 403 and "Only an admin" in page.text
        assert 'href="/desk/admin"' not in other.get("/desk").text
        response = other.post("/desk/admin/users", data={"csrf": csrf, "name": "mallory", "role": "admin", "password": PASSWORD})
        assert response.status_code == 403
    names = [u.name for u in call(client, client.app.state.newsroom.storage.list_users)]  # type: ignore[attr-defined]
    assert "mallory" not in names


def test_an_admin_adds_a_user_changes_the_role_resets_the_password_and_deletes_them(client: TestClient) -> None:
    csrf = signed_in(client, "chief", "admin")
    response = client.post("/desk/admin/users", data={"csrf": csrf, "name": "newbie", "role": "contributor", "password": PASSWORD})
    assert "Added the account newbie." in response.text
    newbie = another(client)
    sign_in(newbie, "newbie")
    assert newbie.get("/desk/new").status_code == 403  # a contributor creates no blogs

    response = client.post("/desk/admin/users/newbie/role", data={"csrf": csrf, "role": "editor"})
    assert "Changed the role of newbie." in response.text
    assert newbie.get("/desk/new").status_code == 200  # the same session, now an editor

    response = client.post("/desk/admin/users/newbie/password", data={"csrf": csrf, "password": "a brand new password"})
    assert "Set a new password for newbie" in response.text
    assert newbie.get("/desk", follow_redirects=False).status_code == 303  # signed out everywhere
    sign_in(another(client), "newbie", "a brand new password")

    short = client.post("/desk/admin/users/newbie/password", data={"csrf": csrf, "password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    taken = client.post("/desk/admin/users", data={"csrf": csrf, "name": "newbie", "role": "editor", "password": PASSWORD})
    assert taken.status_code == 409

    mine = client.post("/desk/admin/users/chief/delete", data={"csrf": csrf})
    assert mine.status_code == 422 and "cannot delete your own account" in mine.text
    response = client.post("/desk/admin/users/newbie/delete", data={"csrf": csrf})
    assert "Deleted the account newbie" in response.text
    assert 'id="user-newbie"' not in client.get("/desk/admin").text


def test_an_admin_creates_an_api_token_shown_once_and_revokes_it(client: TestClient) -> None:
    csrf = signed_in(client, "chief", "admin")
    add_user(client, "wire", "editor")
    response = client.post("/desk/admin/users/wire/tokens", data={"csrf": csrf, "label": "wire import"})
    token = re.search(r'id="new-token" value="(sp_[^"]+)"', response.text)
    assert token and "shown only this once" in response.text
    program = another(client)
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    assert program.get("/api/v1/blogs", headers=headers).status_code == 200

    page = client.get("/desk/admin").text
    assert "wire import" in page and token.group(1) not in page  # listed, never shown again
    token_id = re.search(r'/desk/admin/users/wire/tokens/(\d+)/revoke', page).group(1)  # type: ignore[union-attr]
    response = client.post(f"/desk/admin/users/wire/tokens/{token_id}/revoke", data={"csrf": csrf})
    assert "Revoked an API token of wire" in response.text
    assert program.get("/api/v1/blogs", headers=headers).status_code == 401
