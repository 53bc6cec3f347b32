"""One headless Chromium for every browser test, started the way this machine's Chromium needs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer

CHROMIUM = os.environ.get("STOPPRESS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WAIT_MS = 20_000  # generous: CI machines are shared; this bounds a wait, it asserts no speed


# Module scope, not session: while Playwright's sync API is open it holds an event loop on this
# thread, and every asyncio test after it would fail with "another loop is running".
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium is needed for the browser tests: apt-get install -y chromium (looked for {CHROMIUM})")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def post(server: LiveServer, path: str, body: dict[str, Any], method: str = "POST") -> dict[str, Any]:
    """Call the API of a live server as its editor; the call must succeed."""
    response = httpx.request(method, server.url + path, json=body, headers=server.auth, timeout=30)
    assert response.status_code in (200, 201), response.text
    return response.json()
