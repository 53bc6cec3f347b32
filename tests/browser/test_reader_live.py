"""The reader page in Chromium: updates arrive without a reload, in place, and wait when the reader scrolled."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import WAIT_MS, post
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser





def test_an_entry_posted_through_the_api_appears_without_a_reload(live_server: LiveServer, browser) -> None:
    post(live_server, "/api/v1/blogs", {"title": "Election night", "slug": "election"})
    first = post(live_server, "/api/v1/blogs/election/entries", {"title": "Polls close", "body": "Counting starts."})
    page = browser.new_page()
    page.goto(f"{live_server.url}/live/election")
    page.wait_for_selector(f"#e-{first['code']}")
    page.evaluate("window.__notReloaded = true")

    entry = post(live_server, "/api/v1/blogs/election/entries",
                 {"title": "First result declared", "body": "<p>Turnout was <strong>64%</strong>.</p>"})
    article = page.wait_for_selector(f"#e-{entry['code']}", timeout=WAIT_MS)
    assert "First result declared" in article.inner_text()
    assert page.evaluate("window.__notReloaded") is True
    titles = page.locator("#entries .entry-title").all_inner_texts()
    assert titles == ["First result declared", "Polls close"]
    page.wait_for_function(
        "document.getElementById('announcer').textContent.includes('First result declared')", timeout=WAIT_MS
    )

    # An edit applies in place, a deletion removes the entry, new key points replace the box.
    post(live_server, f"/api/v1/blogs/election/entries/{entry['code']}", {"title": "First result: Sunderland"}, "PATCH")
    page.wait_for_function(
        f"document.querySelector('#e-{entry['code']} .entry-title').textContent === 'First result: Sunderland'",
        timeout=WAIT_MS,
    )
    httpx.delete(f"{live_server.url}/api/v1/blogs/election/entries/{first['code']}", headers=live_server.auth, timeout=30)
    page.wait_for_selector(f"#e-{first['code']}", state="detached", timeout=WAIT_MS)
    post(live_server, "/api/v1/blogs/election/key-points", {"items": ["Turnout is high."]}, "PUT")
    page.wait_for_function(
        "document.getElementById('key-points').textContent.includes('Turnout is high.')", timeout=WAIT_MS
    )
    assert page.evaluate("window.__notReloaded") is True
    page.close()


def test_new_entries_wait_behind_a_button_when_the_reader_has_scrolled(live_server: LiveServer, browser) -> None:
    post(live_server, "/api/v1/blogs", {"title": "Storm", "slug": "storm"})
    long_body = "\n\n".join(["The wind is picking up along the coast and ferries are cancelled."] * 6)
    for number in range(12):
        post(live_server, "/api/v1/blogs/storm/entries", {"title": f"Update {number}", "body": long_body, "format": "text"})
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(f"{live_server.url}/live/storm")
    page.locator("#entries .entry").nth(6).scroll_into_view_if_needed()
    anchor = page.locator("#entries .entry").nth(6)
    before = anchor.bounding_box()

    entry = post(live_server, "/api/v1/blogs/storm/entries", {"title": "Bridge closed", "body": "The bridge is shut."})
    button = page.locator("#new-updates-button")
    button.wait_for(state="visible", timeout=WAIT_MS)
    assert button.inner_text() == "1 new update"
    assert page.locator(f"#e-{entry['code']}").count() == 0  # the text under the reader did not move
    assert anchor.bounding_box() == before

    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#e-{entry['code']}", timeout=WAIT_MS)
    assert page.locator("#new-updates").is_hidden()
    assert page.locator("#entries .entry-title").first.inner_text() == "Bridge closed"
    page.close()


def test_the_page_is_complete_without_javascript(live_server: LiveServer, browser) -> None:
    post(live_server, "/api/v1/blogs", {"title": "Quiet", "slug": "quiet"})
    for number in range(25):
        post(live_server, "/api/v1/blogs/quiet/entries", {"title": f"Note {number}", "body": "Text.", "format": "text"})
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/live/quiet")
    assert page.locator("#entries .entry").count() == 20
    page.get_by_role("link", name="Older updates").click()
    page.wait_for_url("**/live/quiet?page=2")
    assert page.locator("#entries .entry-title").all_inner_texts() == [f"Note {n}" for n in range(4, -1, -1)]
    context.close()
