"""Every reader page passes axe-core's WCAG 2.2 AA rules, in English and Arabic, and works from the keyboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import WAIT_MS
from tests.conftest import REFERENCE_JSONLD, LiveServer, stoppress
from tests.web.test_html_validity import EMBED_PAGE, ENTRY_PAGE, create_blogs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
RUN_AXE = """async (options) => {
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("axe-core did not finish in 60 s")), 60000));
  const result = await Promise.race([axe.run(document, options), timeout]);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
  }));
}"""



def api(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=server.auth, timeout=30)


def readable(page_name: str, url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{page_name} ({url}):"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['url']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {node['target']}: {' '.join(node['html'].split())[:200]}")
            lines.append("      " + " ".join(node["summary"].split())[:400])
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def axe_violations(browser: Any, url: str, expected_status: int) -> list[dict[str, Any]]:
    page = browser.new_page()
    try:
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == expected_status, (
            f"{url} answered {response and response.status}"
        )
        assert AXE.exists(), f"{AXE} is missing: run `npm ci --no-audit --no-fund` in {ROOT}"
        page.add_script_tag(path=str(AXE))
        return page.evaluate(RUN_AXE, AXE_OPTIONS)
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_reader_pages_have_no_accessibility_violations(live_server: LiveServer, browser: Any, lang: str) -> None:
    with api(live_server) as client:
        made = create_blogs(client, {}, lang)
    pages = {
        f"reader page with entries, images, key points and a pinned entry ({lang})": (f"/live/{made['slug']}", 200),
        f"older updates, page 2 ({lang})": (f"/live/{made['slug']}?page=2", 200),
        f"ended blog ({lang})": (f"/live/{made['ended']}", 200),
        f"error page for a page that does not exist ({lang})": (f"/live/{made['slug']}?page=9", 404),
        f"entry page ({lang})": (ENTRY_PAGE.format(slug=made["slug"], code=made["entry"]), 200),
        f"embed page ({lang})": (EMBED_PAGE.format(slug=made["slug"]), 200),
    }
    if lang == "en":
        reference = stoppress("import", str(REFERENCE_JSONLD), db=live_server.db).split()[0]
        pages["index"] = ("/", 200)
        pages["the reference blog, imported (DW, 23 January 2024)"] = (f"/live/{reference}", 200)
        pages["error page for an unknown blog"] = ("/live/no-such-blog", 404)

    failures = []
    for name, (path, status) in pages.items():
        violations = axe_violations(browser, live_server.url + path, status)
        if violations:
            failures.append(readable(name, path, violations))
    assert not failures, "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(failures)


def long_blog(server: LiveServer, slug: str, entries: int = 12) -> list[dict[str, Any]]:
    body = "\n\n".join(["The wind is picking up along the coast and ferries are cancelled until further notice."] * 6)
    made = []
    with api(server) as client:
        assert client.post("/api/v1/blogs", json={"title": "Storm", "slug": slug}).status_code == 201
        for number in range(entries):
            response = client.post(
                f"/api/v1/blogs/{slug}/entries", json={"title": f"Update {number}", "body": body, "format": "text"}
            )
            assert response.status_code == 201, response.text
            made.append(response.json())
    return made


def test_new_updates_leave_focus_alone_and_their_button_is_reachable_by_keyboard(
    live_server: LiveServer, browser: Any
) -> None:
    long_blog(live_server, "storm")
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(f"{live_server.url}/live/storm")

    # A keyboard reader is on an older entry: Tab has brought them to its short link.
    reading = page.locator("#entries .entry").nth(6).locator("a.shortlink")
    reading.focus()
    page.evaluate("window.__reading = document.activeElement")
    before = reading.bounding_box()

    with api(live_server) as client:
        response = client.post(
            "/api/v1/blogs/storm/entries", json={"title": "Bridge closed", "body": "The bridge is shut."}
        )
        assert response.status_code == 201
        code = response.json()["code"]
    button = page.locator("#new-updates-button")
    button.wait_for(state="visible", timeout=WAIT_MS)
    assert page.evaluate("document.activeElement === window.__reading && window.__reading.isConnected"), (
        "the update moved the reader's focus"
    )
    assert reading.bounding_box() == before, "the update moved the text the reader is on"
    assert page.locator(f"#e-{code}").count() == 0

    # The button is in the tab order where it sits, after the key points, and Enter shows the update.
    page.evaluate("document.getElementById('after-key-points').focus({preventScroll: true})")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "new-updates-button", (
        "Tab after the key points does not reach the new-updates button"
    )
    assert button.evaluate("b => b.matches(':focus-visible') && getComputedStyle(b).outlineStyle !== 'none'"), (
        "the focused button shows no focus indicator"
    )
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#e-{code}", timeout=WAIT_MS)
    assert page.locator("#entries .entry-title").first.inner_text() == "Bridge closed"
    assert page.evaluate(f"document.getElementById('e-{code}').contains(document.activeElement)"), (
        "after Enter, focus is not on the update the reader asked to see"
    )
    page.close()


def test_focus_stays_put_when_an_update_arrives_at_the_top(live_server: LiveServer, browser: Any) -> None:
    first = long_blog(live_server, "quiet", entries=1)[0]
    page = browser.new_page()
    page.goto(f"{live_server.url}/live/quiet")
    page.locator(f"#e-{first['code']} a.shortlink").focus()
    page.evaluate("window.__reading = document.activeElement")
    with api(live_server) as client:
        code = client.post("/api/v1/blogs/quiet/entries", json={"title": "Bridge closed", "body": "Shut."}).json()[
            "code"
        ]
    page.wait_for_selector(f"#e-{code}", timeout=WAIT_MS)  # at the top, it is shown at once, above
    assert page.evaluate("document.activeElement === window.__reading && window.__reading.isConnected"), (
        "the update moved the reader's focus"
    )
    page.close()


def test_reduced_motion_stops_the_live_badge_pulsing(live_server: LiveServer, browser: Any) -> None:
    with api(live_server) as client:
        assert client.post("/api/v1/blogs", json={"title": "Match", "slug": "match"}).status_code == 201
    animation = "getComputedStyle(document.querySelector('.live-badge span')).animationName"
    page = browser.new_page()
    page.goto(f"{live_server.url}/live/match")
    assert page.evaluate(animation) != "none"  # it does pulse for those who have not asked otherwise
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(animation) == "none"
    page.close()
