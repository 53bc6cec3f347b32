"""Distribution in Chromium. The embed, on a newsroom's article served from another origin: the one-line
snippet frames the blog, the frame grows as entries arrive, and only our own site can resize it. And the
reader page's "Key events" list, which follows the live timeline."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stoppress.web.embed import embed_snippet
from stoppress.web.render import Site
from tests.browser.conftest import WAIT_MS, post
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
LONG_BODY = "\n\n".join(["Counting continues across the region; results are expected before midnight."] * 5)



class Article:
    """A newsroom's article page, on its own origin, holding whatever HTML the test gives it."""

    def __init__(self) -> None:
        self.html = ""
        article = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = article.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/article"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def page_with(self, embed_html: str) -> str:
        self.html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Our article</title></head><body>'
            f"<h1>Election coverage</h1><p>Follow the count below.</p>{embed_html}<p>More from the newsroom.</p>"
            "</body></html>"
        )
        return self.url

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=15)


@pytest.fixture
def article() -> Iterator[Article]:
    page = Article()
    yield page
    page.close()


FRAME = 'iframe[data-stoppress-blog="election"]'
FRAME_HEIGHT = f"parseFloat(document.querySelector('{FRAME}').style.height || '0')"


def test_the_snippet_frames_the_blog_and_grows_with_it(live_server: LiveServer, browser: Any, article: Article) -> None:
    post(live_server, "/api/v1/blogs", {"title": "Election night", "slug": "election"})
    post(live_server, "/api/v1/blogs/election/entries", {"title": "Polls close", "body": "Counting starts.", "format": "text"})
    snippet = embed_snippet(Site(live_server.url, f"{live_server.url}/p/"), "election")
    page = browser.new_page(viewport={"width": 800, "height": 900})
    page.goto(article.page_with(snippet))

    frame_element = page.wait_for_selector(FRAME, timeout=WAIT_MS)
    assert frame_element.get_attribute("src") == f"{live_server.url}/embed/election"
    assert frame_element.get_attribute("loading") == "lazy"
    page.wait_for_function(f"{FRAME_HEIGHT} > 0", timeout=WAIT_MS)  # the blog reported its height
    page.wait_for_function(f"document.querySelector('{FRAME}').title === 'Election night'", timeout=WAIT_MS)
    frame = frame_element.content_frame()
    frame.wait_for_selector("#entries .entry", timeout=WAIT_MS)
    # The frame is as tall as the blog: no scroll bar inside the article.
    page.wait_for_function(
        f"Math.abs({FRAME_HEIGHT} - {frame_element.bounding_box()['height']}) < 2", timeout=WAIT_MS
    )
    content = frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
    assert abs(page.evaluate(FRAME_HEIGHT) - content) <= 2
    before = page.evaluate(FRAME_HEIGHT)

    for number in range(3):
        post(live_server, "/api/v1/blogs/election/entries",
             {"title": f"Result {number}", "body": LONG_BODY, "format": "text"})
    frame.wait_for_function("document.querySelectorAll('#entries .entry').length === 4", timeout=WAIT_MS)
    page.wait_for_function(f"{FRAME_HEIGHT} > {before} + 200", timeout=WAIT_MS)
    grown = page.evaluate(FRAME_HEIGHT)
    page.wait_for_function(
        f"Math.abs({FRAME_HEIGHT} - document.querySelector('{FRAME}').getBoundingClientRect().height) < 2",
        timeout=WAIT_MS,
    )

    # A message from any other origin (here: the article itself) cannot resize the frame.
    page.evaluate(
        """() => new Promise((resolve) => {
            window.addEventListener("message", (event) => { if (event.data === "done") resolve(); });
            window.postMessage({ type: "stoppress:height", slug: "election", height: 5 }, "*");
            window.postMessage("done", "*");  // delivered after the forged one
        })"""
    )
    assert page.evaluate(FRAME_HEIGHT) == grown
    page.close()


def test_an_oembed_frame_is_resized_too(live_server: LiveServer, browser: Any, article: Article) -> None:
    post(live_server, "/api/v1/blogs", {"title": "Election night", "slug": "election"})
    post(live_server, "/api/v1/blogs/election/entries", {"title": "Polls close", "body": LONG_BODY, "format": "text"})
    answer = httpx.get(f"{live_server.url}/oembed", params={"url": f"{live_server.url}/live/election"}, timeout=30)
    assert answer.status_code == 200, answer.text
    page = browser.new_page()
    page.goto(article.page_with(answer.json()["html"]))
    page.wait_for_function(f"{FRAME_HEIGHT} > 0", timeout=WAIT_MS)
    frame = page.wait_for_selector(FRAME, timeout=WAIT_MS).content_frame()
    content = frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
    page.wait_for_function(f"Math.abs({FRAME_HEIGHT} - {content}) <= 2", timeout=WAIT_MS)
    page.close()


def test_inside_the_frame_times_read_relative_and_page_links_stay_in_it(
    live_server: LiveServer, browser: Any, article: Article
) -> None:
    post(live_server, "/api/v1/blogs", {"title": "Election night", "slug": "election"})
    post(live_server, "/api/v1/blogs/election/entries", {"title": "Polls close", "body": "Counting starts.", "format": "text"})
    snippet = embed_snippet(Site(live_server.url, f"{live_server.url}/p/"), "election")
    page = browser.new_page()
    url = article.page_with(snippet)
    page.goto(url)
    frame = page.wait_for_selector(FRAME, timeout=WAIT_MS).content_frame()
    time = frame.wait_for_selector("#entries time[data-relative][title]", timeout=WAIT_MS)
    exact = time.get_attribute("title")
    assert exact and any(char.isdigit() for char in exact)  # the exact time, kept for whoever wants it
    assert time.inner_text() in ("now", "1 minute ago", "2 minutes ago")  # posted moments ago

    # "Skip next section" moves within the blog; it must not take over the article's window.
    frame.locator("a.skip-next").first.focus()
    page.keyboard.press("Enter")
    frame.wait_for_url("**#after-key-points", timeout=WAIT_MS)
    assert page.url == url
    page.close()


def test_the_key_events_list_follows_the_live_timeline(live_server: LiveServer, browser: Any) -> None:
    post(live_server, "/api/v1/blogs", {"title": "Election night", "slug": "election"})
    post(live_server, "/api/v1/blogs/election/entries", {"title": "Polls close", "body": "Counting starts.", "format": "text"})
    page = browser.new_page()
    page.goto(f"{live_server.url}/live/election")
    listing = page.locator("#key-events")
    assert listing.is_hidden()  # no key event yet

    entry = post(live_server, "/api/v1/blogs/election/entries",
                 {"title": "First seat declared", "body": "Sunderland.", "format": "text", "key_event": True})
    listing.wait_for(state="visible", timeout=WAIT_MS)
    link = listing.locator("a").first
    assert link.inner_text().endswith("First seat declared")
    assert link.get_attribute("href") == f"#e-{entry['code']}"

    post(live_server, f"/api/v1/blogs/election/entries/{entry['code']}", {"title": "First seat: Sunderland"}, "PATCH")
    page.wait_for_function(
        "document.querySelector('#key-events a')?.textContent.endsWith('First seat: Sunderland')", timeout=WAIT_MS
    )
    assert listing.locator("li").count() == 1  # renamed in place, not listed twice
    link.click()
    page.wait_for_url(f"**#e-{entry['code']}", timeout=WAIT_MS)

    httpx.delete(f"{live_server.url}/api/v1/blogs/election/entries/{entry['code']}", headers=live_server.auth, timeout=30)
    listing.wait_for(state="hidden", timeout=WAIT_MS)
    assert listing.locator("li").count() == 0
    page.close()
