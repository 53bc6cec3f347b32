"""Shared fixtures: an app on a fresh SQLite database, users with tokens, and a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from stoppress.app import create_app
from stoppress.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
if not FIXTURES.exists():  # CI lays shared/ beside the clone; a checkout elsewhere can point to it
    FIXTURES = Path(os.environ.get("STOPPRESS_FIXTURES", "../shared/fixtures")).resolve()
REFERENCE_JSONLD = FIXTURES / "dw-ukraine-updates-2024-01-23.jsonld"
REFERENCE_TEXT = FIXTURES / "dw-ukraine-updates-2024-01-23.txt"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load(
        {"db": f"sqlite:///{tmp_path / 'stoppress.db'}", "base_url": "http://testserver", "heartbeat": 1.0},
        environ={},
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def make_user(client: TestClient, name: str, role: str) -> dict[str, str]:
    """A user with an API token; returns the Authorization header to use."""
    newsroom = client.app.state.newsroom  # type: ignore[attr-defined]

    async def create() -> str:
        user = await newsroom.add_user(name, role, PASSWORD)
        return await newsroom.create_token(user, "tests")

    token = client.portal.call(create)  # type: ignore[union-attr]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return make_user(client, "admin", "admin")


@pytest.fixture
def editor(client: TestClient) -> dict[str, str]:
    return make_user(client, "editor", "editor")


@pytest.fixture
def contributor(client: TestClient) -> dict[str, str]:
    return make_user(client, "contributor", "contributor")


@pytest.fixture
def blog(client: TestClient, editor: dict[str, str]) -> dict[str, object]:
    response = client.post(
        "/api/v1/blogs",
        json={"title": "Storm live", "slug": "storm", "description": "The storm as it happens.", "sections": ["Weather"]},
        headers=editor,
    )
    assert response.status_code == 201, response.text
    return response.json()


@dataclass
class LiveServer:
    """`stoppress serve` in a subprocess on a free port, with an editor's token."""

    url: str
    db: str
    token: str
    process: subprocess.Popen[str]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def stoppress(*args: str, db: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "stoppress", *args, "--db", db],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    db = f"sqlite:///{tmp_path / 'live.db'}"
    stoppress("users", "add", "ed", "--role", "editor", "--password-stdin", db=db, stdin=PASSWORD + "\n")
    token = stoppress("tokens", "create", "ed", db=db).strip()
    env = {**os.environ, "STOPPRESS_HEARTBEAT": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "stoppress", "serve", "--port", "0", "--db", db],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )
    url = None
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if match := re.search(r"Open (http://\S+?)/ in your browser", line):
            url = match.group(1)
    if url is None:
        process.kill()
        pytest.fail(f"stoppress serve did not start: {process.stdout.read()}")
    # Keep reading its output so a chatty server never blocks on a full pipe.
    drain = threading.Thread(target=process.stdout.read, daemon=True)
    drain.start()
    try:
        yield LiveServer(url, db, token, process)
    finally:
        stop_server(process, drain)


def stop_server(process: subprocess.Popen[str], drain: threading.Thread) -> None:
    """Stop a server started by a test, and close what reads its output."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)
    if drain.ident:
        drain.join(timeout=15)
    assert process.stdout is not None
    process.stdout.close()
