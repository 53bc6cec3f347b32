"""An Arabic blog in Chromium: the layout mirrors, the text runs right to left, live strings are Arabic."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import WAIT_MS, post
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1024, "height": 900}  # wide enough for the timeline rail (min-width: 48rem)
PHONE = {"width": 390, "height": 800}
PARAGRAPH = "دوّت صفارات الإنذار في أنحاء العاصمة كييف صباح اليوم."
LONG_BODY = "\n\n".join(["أعلنت السلطات المحلية إغلاق الطرق المؤدية إلى وسط المدينة حتى إشعار آخر."] * 6)

# The edges of an element and of the text inside it, in CSS pixels.
BOXES = """(selector) => {
  const element = document.querySelector(selector);
  const range = document.createRange();
  range.selectNodeContents(element);
  const box = element.getBoundingClientRect(), text = range.getBoundingClientRect();
  return {left: box.left, right: box.right, textLeft: text.left, textRight: text.right};
}"""




def make_blog(server: LiveServer, slug: str, lang: str) -> None:
    post(server, "/api/v1/blogs", {"title": "أوكرانيا: آخر التطورات", "slug": slug, "language": lang,
                                   "sections": ["صراعات", "أوكرانيا"]})
    post(server, f"/api/v1/blogs/{slug}/key-points", {"items": ["صفارات الإنذار في كييف."]}, "PUT")


def rail_and_text(page: Any) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """The first entry's box, its paragraph's box and text, and which side draws the timeline rail."""
    article = page.evaluate(BOXES, "#entries .entry")
    paragraph = page.evaluate(BOXES, "#entries .entry .entry-body p")
    rail = page.evaluate("""() => {
      const style = getComputedStyle(document.querySelector('#entries .entry'));
      return {left: style.borderLeftWidth, right: style.borderRightWidth};
    }""")
    return article, paragraph, rail


def separator_points(page: Any) -> str:
    """Which way the breadcrumb's separator chevron points, read from its pixels: "left" or "right"."""
    page.add_style_tag(content=".breadcrumb li + li::before { color: rgb(255, 0, 0) !important; font-size: 40px; }")
    image = Image.open(io.BytesIO(page.locator(".breadcrumb").screenshot())).convert("RGB")
    pixels = ((x, y, image.getpixel((x, y))) for y in range(image.height) for x in range(image.width))
    red = [(x, y) for x, y, (r, g, b) in pixels if r > 200 and g < 80 and b < 80]
    assert red, "no separator drawn"
    top, bottom = min(y for _, y in red), max(y for _, y in red)
    middle = [x for x, y in red if abs(y - (top + bottom) // 2) <= 1]
    ends = [x for x, y in red if y - top <= 2]
    # A chevron's tip is at mid-height: further left than its ends when it points left.
    return "left" if sum(middle) / len(middle) < sum(ends) / len(ends) else "right"


def test_the_breadcrumb_points_from_section_to_subsection(live_server: LiveServer, browser: Any) -> None:
    make_blog(live_server, "crumb-ar", "ar")
    make_blog(live_server, "crumb-en", "en")
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{live_server.url}/live/crumb-en")
    assert separator_points(page) == "right"
    page.goto(f"{live_server.url}/live/crumb-ar")
    assert separator_points(page) == "left", "in Arabic, sections read right to left: صراعات ‹ أوكرانيا"
    first, second = (page.locator(".breadcrumb li").nth(n).bounding_box() for n in (0, 1))
    assert first["x"] > second["x"]
    page.close()


def test_an_arabic_blog_mirrors_the_timeline_and_aligns_text_right(live_server: LiveServer, browser: Any) -> None:
    make_blog(live_server, "kyiv-ar", "ar")
    post(live_server, "/api/v1/blogs/kyiv-ar/entries", {"title": "صفارات الإنذار", "body": PARAGRAPH, "format": "text"})
    make_blog(live_server, "kyiv-en", "en")
    post(live_server, "/api/v1/blogs/kyiv-en/entries", {"title": "Sirens", "body": "Sirens in Kyiv.", "format": "text"})
    page = browser.new_page(viewport=DESKTOP)

    page.goto(f"{live_server.url}/live/kyiv-en")
    article, paragraph, rail = rail_and_text(page)
    # The reference: in English the rail is on the left and the text starts beside it.
    assert rail == {"left": "2px", "right": "0px"}
    assert paragraph["left"] - article["left"] > 10 and abs(article["right"] - paragraph["right"]) < 1

    page.goto(f"{live_server.url}/live/kyiv-ar")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    article, paragraph, rail = rail_and_text(page)
    assert rail == {"left": "0px", "right": "2px"}, "the timeline rail belongs on the right in Arabic"
    assert article["right"] - paragraph["right"] > 10, "the text keeps clear of the rail, on the right"
    assert abs(paragraph["left"] - article["left"]) < 1
    # A line shorter than the column hugs the right edge and leaves the left free.
    assert abs(paragraph["textRight"] - paragraph["right"]) < 1
    assert paragraph["textLeft"] - paragraph["left"] > 100
    # The key points' bullets and the first skip link sit on the right too.
    points = page.evaluate(BOXES, "#key-points ul")
    item = page.evaluate(BOXES, "#key-points li")
    assert points["right"] - item["right"] > 5 and abs(item["left"] - points["left"]) < 1
    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.getBoundingClientRect().toJSON()")
    assert page.evaluate("document.activeElement.textContent") == "انتقل إلى المحتوى"
    assert DESKTOP["width"] - skip["right"] < skip["left"], "the skip link appears at the right-hand edge"
    page.close()


def test_new_updates_wait_behind_an_arabic_button_with_the_right_plural(live_server: LiveServer, browser: Any) -> None:
    make_blog(live_server, "storm-ar", "ar")
    for number in range(12):
        post(live_server, "/api/v1/blogs/storm-ar/entries", {"title": f"تحديث {number}", "body": LONG_BODY, "format": "text"})
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/live/storm-ar")
    page.locator("#entries .entry").nth(6).scroll_into_view_if_needed()
    button = page.locator("#new-updates-button")

    post(live_server, "/api/v1/blogs/storm-ar/entries", {"title": "إغلاق الجسر", "body": "أُغلق الجسر.", "format": "text"})
    button.wait_for(state="visible", timeout=WAIT_MS)
    assert button.inner_text() == "تحديث جديد واحد"  # Arabic says "one new update" without the digit
    for title in ("انقطاع الكهرباء", "استئناف الرحلات"):
        post(live_server, "/api/v1/blogs/storm-ar/entries", {"title": title, "body": "نص.", "format": "text"})
    # Three to ten take the plural with the number: "3 تحديثات جديدة", not the English "3 new updates".
    page.wait_for_function(
        "document.getElementById('new-updates-button').textContent === '3 تحديثات جديدة'", timeout=WAIT_MS
    )
    bar = page.evaluate(BOXES, "#new-updates-button")
    assert abs((bar["left"] + bar["right"]) / 2 - PHONE["width"] / 2) < 2  # centred in either direction
    page.close()
