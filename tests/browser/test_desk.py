"""The desk in Chromium, doing what editors do: set up the site with the link `stoppress serve` prints,
run a blog (rich text, pictures, edits, pins, key points) and watch each step arrive on the reader
page; several editors at once; a conflicting edit; a contributor's draft approved; the keyboard alone;
and axe-core on every desk page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import WAIT_MS
from tests.conftest import PASSWORD, stoppress
from tests.desk.test_auth import Served, serve

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}}
RUN_AXE = """async (options) => {
  const result = await axe.run(document, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
  }));
}"""


@pytest.fixture
def empty_site(tmp_path: Path) -> Iterator[Served]:
    """`stoppress serve` on an empty database, as an operator starts it the first time."""
    with serve(f"sqlite:///{tmp_path / 'desk.db'}", tmp_path, empty=True) as server:
        yield server


@pytest.fixture
def newsroom(tmp_path: Path) -> Iterator[Served]:
    """`stoppress serve` with an admin, two editors and a contributor (password PASSWORD)."""
    db = f"sqlite:///{tmp_path / 'newsroom.db'}"
    for name, role in (("chief", "admin"), ("anna", "editor"), ("ben", "editor"), ("casey", "contributor")):
        stoppress("users", "add", name, "--role", role, "--password-stdin", db=db, stdin=PASSWORD + "\n")
    with serve(db, tmp_path, empty=False) as server:
        yield server


def jpeg(path: Path, colour: tuple[int, int, int] = (200, 60, 40)) -> Path:
    picture = Image.new("RGB", (1200, 800), colour)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


def sign_in(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/desk/sign-in")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/desk")


def create_blog(page: Any, url: str, title: str, slug: str | None = None, time_zone: str = "Europe/London") -> str:
    page.goto(f"{url}/desk")
    page.get_by_role("link", name="New blog").click()
    page.get_by_label("Title").fill(title)
    if slug:
        page.get_by_label("Address (slug)").fill(slug)
    slug = page.get_by_label("Address (slug)").input_value()
    page.get_by_label("Time zone").select_option(time_zone)
    page.get_by_role("button", name="Create blog").click()
    page.wait_for_url(f"{url}/desk/blogs/{slug}")
    live(page)
    return slug


def live(page: Any) -> None:
    """Waits until the desk follows its live stream."""
    page.locator('#live-status[data-state="live"]').wait_for(timeout=WAIT_MS)


def until(page: Any, condition: str) -> None:
    """Waits for a condition in the page (the desk's CSP forbids the eval behind wait_for_function)."""
    for _ in range(WAIT_MS // 50):
        if page.evaluate(condition):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {WAIT_MS} ms: {condition}")


def composer(page: Any) -> Any:
    return page.locator(".composer-area form")


def write(page: Any, headline: str, text: str) -> None:
    form = composer(page)
    form.get_by_label("Headline").fill(headline)
    form.locator(".editor").click()
    page.keyboard.type(text)


def card(page: Any, title: str) -> Any:
    return page.locator("#timeline .card", has=page.locator(".card-title", has_text=title))


def test_an_editor_sets_up_the_site_and_runs_a_blog_that_readers_see(empty_site: Served, browser: Any, tmp_path: Path) -> None:
    url = empty_site.url
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    desk = context.new_page()
    errors: list[str] = []
    desk.on("pageerror", lambda error: errors.append(str(error)))

    # The first admin, from the link `stoppress serve` printed.
    assert empty_site.setup_link
    desk.goto(empty_site.setup_link)
    desk.get_by_label("User name").fill("chief")
    desk.get_by_label("Password", exact=True).fill(PASSWORD)
    desk.get_by_label("Password again").fill(PASSWORD)
    desk.get_by_role("button", name="Create the admin account").click()
    desk.wait_for_url(f"{url}/desk?welcome=1")
    assert "Welcome, chief" in desk.locator("main").inner_text()

    # A blog: the address follows the title.
    desk.get_by_role("link", name="New blog").click()
    desk.get_by_label("Title").fill("Storm Eunice: live")
    assert desk.get_by_label("Address (slug)").input_value() == "storm-eunice-live"
    slug = create_blog(desk, url, "Storm Eunice: live")
    assert slug == "storm-eunice-live"
    reader = context.new_page()
    reader.goto(f"{url}/live/{slug}")
    reader.evaluate("window.__notReloaded = true")

    # An entry with bold text from the toolbar and an uploaded picture with alt text, caption and credit.
    form = composer(desk)
    form.get_by_label("Headline").fill("Winds reach 100 mph")
    form.locator(".editor").click()
    desk.keyboard.type("The Needles recorded ")
    form.get_by_role("button", name="Bold").click()
    desk.keyboard.type("122 mph")
    form.get_by_role("button", name="Bold").click()
    desk.keyboard.type(", a record for England.")
    form.get_by_label("Image", exact=True).set_input_files(str(jpeg(tmp_path / "waves.jpg")))
    picture = form.locator(".media-item")
    picture.wait_for(timeout=WAIT_MS)
    form.locator('.media-item[data-state="done"]').wait_for(timeout=WAIT_MS)
    form.get_by_label("Caption").fill("Porthcawl this morning")
    form.get_by_label("Credit").fill("Ben Birchall/PA")

    # Without alt text the form refuses to publish, and says why.
    form.get_by_role("button", name="Publish", exact=True).click()
    alert = form.locator('[data-role="errors"]')
    alert.wait_for(state="visible", timeout=WAIT_MS)
    assert "needs alt text" in alert.inner_text()
    assert desk.locator("#timeline .card").count() == 0
    form.get_by_label("Alt text (required)").fill("Waves crash over the sea wall at Porthcawl")
    form.get_by_role("button", name="Publish", exact=True).click()

    entry = card(desk, "Winds reach 100 mph")
    entry.wait_for(timeout=WAIT_MS)
    assert entry.locator("strong").inner_text() == "122 mph"
    assert form.get_by_label("Headline").input_value() == ""  # ready for the next one
    code = entry.get_attribute("data-code")
    on_reader = reader.locator(f"#e-{code}")
    on_reader.wait_for(timeout=WAIT_MS)
    assert on_reader.locator("strong").inner_text() == "122 mph"
    image = on_reader.locator("figure.sp-image img")
    assert image.get_attribute("alt") == "Waves crash over the sea wall at Porthcawl"
    assert re.match(r"^/media/", image.get_attribute("src") or "")
    caption = on_reader.locator("figure.sp-image figcaption").inner_text()
    assert "Porthcawl this morning" in caption and "Ben Birchall/PA" in caption
    reader.wait_for_function(  # the picture itself loads: the upload is served
        f"document.querySelector('#e-{code} figure.sp-image img').naturalWidth > 0", timeout=WAIT_MS)

    # Edited in place: the reader sees the new headline and the correction note.
    entry.get_by_role("button", name="Edit").click()
    editing = entry.locator("form.composer")
    editing.get_by_label("Headline").fill("Winds reach 122 mph at the Needles")
    editing.get_by_label("Correction note").fill("An earlier version gave the wrong speed.")
    assert editing.get_by_label("Alt text (required)").input_value() == "Waves crash over the sea wall at Porthcawl"
    editing.get_by_role("button", name="Save", exact=True).click()
    entry = card(desk, "Winds reach 122 mph at the Needles")
    entry.wait_for(timeout=WAIT_MS)
    reader.wait_for_function(
        f"document.querySelector('#e-{code} .entry-title').textContent === 'Winds reach 122 mph at the Needles'",
        timeout=WAIT_MS)
    assert "An earlier version gave the wrong speed." in reader.locator(f"#e-{code} .correction").inner_text()
    assert reader.locator(f"#e-{code} .entry-body strong").inner_text() == "122 mph"  # the text and picture kept
    assert reader.locator(f"#e-{code} figure.sp-image img").count() == 1

    # Pinned: the reader gets it at the top.
    entry.get_by_role("button", name="Pin", exact=True).click()
    reader.locator(f"#pinned-{code}").wait_for(timeout=WAIT_MS)
    card(desk, "Winds reach 122 mph").get_by_role("button", name="Unpin").wait_for(timeout=WAIT_MS)
    assert card(desk, "Winds reach 122 mph").locator(".badge--pinned").count() == 1

    # The key points: written, reordered with the buttons, saved.
    points = desk.locator(".kp-form")
    points.get_by_label("Key point 1").fill("Ferries are cancelled.")
    points.get_by_role("button", name="Add key point").click()
    points.get_by_label("Key point 2").fill("A red warning covers the south coast.")
    points.locator(".kp-item").nth(1).get_by_role("button", name="Move up").click()
    assert points.get_by_label("Key point 1").input_value() == "A red warning covers the south coast."
    points.get_by_role("button", name="Save key points").click()
    reader.wait_for_function(
        "[...document.querySelectorAll('#key-points li')].map(li => li.textContent.trim()).join('|') === "
        "'A red warning covers the south coast.|Ferries are cancelled.'", timeout=WAIT_MS)
    assert reader.evaluate("window.__notReloaded") is True  # every step arrived live

    # A half-written entry survives a reload; Ctrl+Enter publishes it.
    write(desk, "Trains stopped", "Network Rail has closed the line to Penzance.")
    until(desk, f"(localStorage.getItem('stoppress:desk:{slug}:composer') || '').includes('Penzance.')")
    desk.reload()
    form = composer(desk)
    assert form.get_by_label("Headline").input_value() == "Trains stopped"
    assert "closed the line to Penzance" in form.locator(".editor").inner_text()
    assert form.get_by_text("Restored the entry you had not sent.").is_visible()
    form.locator(".editor").click()
    desk.keyboard.press("Control+Enter")
    card(desk, "Trains stopped").wait_for(timeout=WAIT_MS)
    reader.locator("#entries .entry-title", has_text="Trains stopped").wait_for(timeout=WAIT_MS)
    desk.reload()
    assert composer(desk).get_by_label("Headline").input_value() == ""  # cleared on publish

    # A draft stays on the desk only; the history says who changed what.
    write(desk, "Unconfirmed: pier damaged", "Waiting for the coastguard.")
    composer(desk).get_by_role("button", name="Save draft").click()
    draft = card(desk, "Unconfirmed: pier damaged")
    draft.wait_for(timeout=WAIT_MS)
    assert draft.locator(".badge--draft").inner_text() == "Draft"
    assert reader.locator("text=Unconfirmed: pier damaged").count() == 0
    card(desk, "Winds reach 122 mph").get_by_role("button", name="History").click()
    history = desk.locator("#history-dialog")
    history.locator(".history").wait_for(timeout=WAIT_MS)
    assert "Changed headline, correction" in history.inner_text()
    assert history.locator("del").first.inner_text().endswith("100")  # word by word: 100 became 122
    assert [t.split()[-1] for t in history.locator("ins").all_inner_texts()][:2] == ["122", "Needles"]
    desk.keyboard.press("Escape")

    # Deleting asks first.
    draft.get_by_role("button", name="Delete").click()
    desk.get_by_role("dialog", name="Delete this entry?").get_by_role("button", name="Delete").click()
    draft.wait_for(state="detached", timeout=WAIT_MS)

    # The desk as a reporter sees it, half-way through the next entry.
    desk.goto(f"{url}/desk/blogs/{slug}")
    live(desk)
    write(desk, "Bridge closed", "The Severn Bridge is shut to all traffic ")
    until(desk, f"(localStorage.getItem('stoppress:desk:{slug}:composer') || '').includes('all traffic')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SCREENSHOTS / "desk-laptop.png"))
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, storage_state=context.storage_state())
    small = phone.new_page()
    small.goto(f"{url}/desk/blogs/{slug}")
    live(small)
    small.screenshot(path=str(SCREENSHOTS / "desk-phone.png"))
    assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing sideways
    phone.close()
    assert errors == []
    context.close()


def test_two_editors_see_each_others_entries_live(newsroom: Served, browser: Any) -> None:
    url = newsroom.url
    anna_context, ben_context = browser.new_context(), browser.new_context()
    anna, ben = anna_context.new_page(), ben_context.new_page()
    sign_in(anna, url, "anna")
    slug = create_blog(anna, url, "Election night", "election")
    sign_in(ben, url, "ben")
    ben.goto(f"{url}/desk/blogs/{slug}")
    live(ben)

    write(anna, "Polls close", "Counting starts in 650 constituencies.")
    composer(anna).get_by_role("button", name="Publish", exact=True).click()
    card(ben, "Polls close").wait_for(timeout=WAIT_MS)
    write(ben, "Exit poll due at ten", "The broadcasters publish it together.")
    composer(ben).get_by_role("button", name="Save draft").click()
    arrived = card(anna, "Exit poll due at ten")
    arrived.wait_for(timeout=WAIT_MS)
    assert arrived.locator(".badge--draft").count() == 1  # colleagues see drafts, marked
    assert arrived.get_attribute("data-author") == "ben"
    card(ben, "Polls close").get_by_role("button", name="Mark key event").click()
    card(anna, "Polls close").locator(".badge--key").wait_for(timeout=WAIT_MS)
    card(anna, "Polls close").get_by_role("button", name="Delete").click()
    anna.get_by_role("dialog").get_by_role("button", name="Delete").click()
    card(ben, "Polls close").wait_for(state="detached", timeout=WAIT_MS)
    anna_context.close()
    ben_context.close()


def test_a_conflicting_edit_shows_both_versions_and_loses_nothing(newsroom: Served, browser: Any) -> None:
    url = newsroom.url
    anna_context, ben_context = browser.new_context(), browser.new_context()
    anna, ben = anna_context.new_page(), ben_context.new_page()
    sign_in(anna, url, "anna")
    slug = create_blog(anna, url, "Flood", "flood")
    write(anna, "River level rising", "The Severn is at 5.2 metres.")
    composer(anna).get_by_role("button", name="Publish", exact=True).click()
    card(anna, "River level rising").wait_for(timeout=WAIT_MS)
    sign_in(ben, url, "ben")
    ben.goto(f"{url}/desk/blogs/{slug}")
    live(ben)

    # Both open the entry; Anna saves first.
    for page in (anna, ben):
        card(page, "River level rising").get_by_role("button", name="Edit").click()
        card(page, "River level rising").locator("form.composer .editor").wait_for(timeout=WAIT_MS)
    anna_form = card(anna, "River level rising").locator("form.composer")
    anna_form.locator(".editor").click()
    anna.keyboard.press("Control+End")
    anna.keyboard.type(" Anna: it peaked at 5.4 metres.")
    anna_form.get_by_role("button", name="Save", exact=True).click()
    card(anna, "River level rising").locator(".card-view").wait_for(timeout=WAIT_MS)

    ben_card = card(ben, "River level rising")
    ben_form = ben_card.locator("form.composer")
    ben_form.get_by_label("Headline").fill("River level: flood defences hold")
    ben_form.locator(".editor").click()
    ben.keyboard.press("Control+End")
    ben.keyboard.type(" Ben: the barriers in Bewdley held.")
    ben_form.get_by_role("button", name="Save", exact=True).click()

    conflict = ben_form.locator('[data-role="conflict"]')
    conflict.wait_for(state="visible", timeout=WAIT_MS)
    assert "anna saved this entry while you were editing it" in conflict.inner_text()
    assert "Anna: it peaked at 5.4 metres." in conflict.locator(".conflict-theirs").inner_text()
    assert "nothing is lost" in conflict.inner_text()
    assert ben_form.get_by_label("Headline").input_value() == "River level: flood defences hold"  # Ben keeps his
    assert "Ben: the barriers in Bewdley held." in ben_form.locator(".editor").inner_text()

    conflict.get_by_role("button", name="Save mine over theirs").click()
    saved = card(ben, "River level: flood defences hold")
    saved.locator(".card-view").wait_for(timeout=WAIT_MS)
    assert "Ben: the barriers in Bewdley held." in saved.inner_text()
    card(anna, "River level: flood defences hold").wait_for(timeout=WAIT_MS)  # Anna sees Ben's, live
    # Anna's version is not lost either: it is in the history.
    saved.get_by_role("button", name="History").click()
    history = ben.locator("#history-dialog .history")
    history.wait_for(timeout=WAIT_MS)
    text = history.inner_text()
    assert "Version 3 · ben" in text and "Version 2 · anna" in text and "Anna: it peaked at 5.4 metres." in text
    anna_context.close()
    ben_context.close()


def test_a_contributors_draft_is_approved_or_sent_back_by_an_editor(newsroom: Served, browser: Any) -> None:
    url = newsroom.url
    editor_context, contributor_context = browser.new_context(), browser.new_context()
    editor, contributor = editor_context.new_page(), contributor_context.new_page()
    sign_in(editor, url, "anna")
    slug = create_blog(editor, url, "Storm", "storm")
    reader = editor_context.new_page()
    reader.goto(f"{url}/live/{slug}")

    sign_in(contributor, url, "casey")
    contributor.goto(f"{url}/desk/blogs/{slug}")
    live(contributor)
    assert composer(contributor).get_by_role("button", name="Publish", exact=True).count() == 0
    write(contributor, "Tree down on the A38", "Both lanes are blocked near Bodmin.")
    composer(contributor).get_by_role("button", name="Submit for review").click()
    mine = card(contributor, "Tree down on the A38")
    mine.wait_for(timeout=WAIT_MS)
    assert mine.locator(".badge--submitted").inner_text() == "Submitted"
    write(contributor, "Power cut in Truro", "About 2,000 homes.")
    composer(contributor).get_by_role("button", name="Submit for review").click()
    card(contributor, "Power cut in Truro").wait_for(timeout=WAIT_MS)

    queue = editor.locator("#queue-list")
    queue.get_by_role("link", name="Tree down on the A38").wait_for(timeout=WAIT_MS)
    queue.get_by_role("link", name="Power cut in Truro").wait_for(timeout=WAIT_MS)
    assert editor.locator("#queue-count").inner_text() == "2"
    assert reader.locator("text=Tree down on the A38").count() == 0

    card(editor, "Tree down on the A38").get_by_role("button", name="Approve and publish").click()
    reader.locator("#entries .entry-title", has_text="Tree down on the A38").wait_for(timeout=WAIT_MS)
    card(contributor, "Tree down on the A38").locator(".badge--published").wait_for(timeout=WAIT_MS)

    card(editor, "Power cut in Truro").get_by_role("button", name="Send back").click()
    dialog = editor.get_by_role("dialog", name="Send back to the contributor")
    dialog.get_by_label("Note to the contributor").fill("Which company? Add the source.")
    dialog.get_by_role("button", name="Send back").click()
    card(editor, "Power cut in Truro").locator(".badge--draft").wait_for(timeout=WAIT_MS)
    editor.locator("#queue-count", has_text="0").wait_for(timeout=WAIT_MS)
    contributor.reload()
    note = card(contributor, "Power cut in Truro").locator(".review-note")
    assert "Which company? Add the source." in note.inner_text()
    assert reader.locator("text=Power cut in Truro").count() == 0
    editor_context.close()
    contributor_context.close()


def test_an_entry_is_written_and_published_with_the_keyboard_alone(newsroom: Served, browser: Any) -> None:
    url = newsroom.url
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, url, "anna")
    slug = create_blog(page, url, "Keyboard", "keyboard")
    page.goto(f"{url}/desk/blogs/{slug}")
    live(page)
    page.keyboard.press("Tab")  # the skip link first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.get_by_label("Headline").focus()
    page.keyboard.type("Typed, not clicked")
    page.keyboard.press("Tab")  # into the toolbar: one tab stop
    assert page.evaluate("document.activeElement.textContent") == "Bold"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.textContent") == "Italic"
    page.keyboard.press("Tab")  # into the text
    page.keyboard.type("Plain and ")
    page.keyboard.press("Control+b")
    page.keyboard.type("bold")
    page.keyboard.press("Control+b")
    page.keyboard.type(", see the report")
    for _ in "the report":
        page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Control+k")
    link = page.get_by_role("dialog", name="Link")
    link.get_by_label("Link address").wait_for(timeout=WAIT_MS)
    page.keyboard.type("https://example.com/report")
    page.keyboard.press("Enter")
    composer(page).locator(".editor a", has_text="the report").wait_for(timeout=WAIT_MS)
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+Shift+8")
    page.keyboard.type("first point")
    page.keyboard.press("Control+Enter")
    entry = card(page, "Typed, not clicked")
    entry.wait_for(timeout=WAIT_MS)
    assert entry.locator(".card-body strong").inner_text() == "bold"
    assert entry.locator(".card-body a").get_attribute("href") == "https://example.com/report"
    assert entry.locator(".card-body a").inner_text() == "the report"
    assert entry.locator(".card-body li").inner_text() == "first point"
    entry.get_by_role("button", name="Pin", exact=True).focus()
    page.keyboard.press("Enter")
    entry.get_by_role("button", name="Unpin").wait_for(timeout=WAIT_MS)
    assert page.evaluate("document.activeElement.textContent") == "Unpin"  # the keyboard stays in place

    # Key points: typed, added, moved and saved from the keyboard.
    page.get_by_label("Key point 1").focus()
    page.keyboard.type("Second in the end")
    page.get_by_role("button", name="Add key point").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("First in the end")  # the new item has the focus
    page.locator(".kp-item").nth(1).get_by_role("button", name="Move up").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.textContent") == "Move down"  # at the top: focus stays near
    page.keyboard.press("Control+Enter")
    page.get_by_text("Saved: readers see them now.").wait_for(timeout=WAIT_MS)
    points = page.evaluate(f"fetch('/api/v1/blogs/{slug}').then(r => r.json()).then(b => b.key_points.items)")
    assert points == ["First in the end", "Second in the end"]

    # Deleting, with the confirmation answered from the keyboard (Cancel has the focus first).
    entry.get_by_role("button", name="Delete").focus()
    page.keyboard.press("Enter")
    page.get_by_role("dialog", name="Delete this entry?").wait_for(timeout=WAIT_MS)
    assert page.evaluate("document.activeElement.textContent") == "Cancel"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    entry.wait_for(state="detached", timeout=WAIT_MS)
    context.close()


WORD_HTML = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal {margin:0}</style></head>
<body lang=EN-GB><!--StartFragment-->
<p class=MsoNormal><b><span style='font-size:12.0pt;color:#C00000'>Evacuations</span></b><span
style='font-family:"Calibri"'> ordered in <a href="https://example.com/towns" onclick="steal()">three towns</a></span><o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span
style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span></span><![endif]>Bewdley<o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span
style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span></span><![endif]>Worcester<o:p></o:p></p>
<script>window.pasted = true</script><img src="file:///C:/Users/me/flood.png" onerror="window.pasted = true">
<!--EndFragment--></body></html>"""
DOCS_HTML = ('<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-5a1"><h1 dir="ltr">'
             '<span style="font-size:20pt">What we know</span></h1><p dir="ltr"><span style="font-weight:700">Rain</span>'
             '<span style="font-weight:400"> keeps falling, </span><span style="font-style:italic">says the Met Office</span></p></b>')
PASTE = """([html, text]) => {
  const data = new DataTransfer();
  data.setData('text/html', html);
  data.setData('text/plain', text);
  const editor = document.querySelector('.composer-area .editor');
  editor.focus();
  const selection = getSelection();
  selection.selectAllChildren(editor);
  selection.collapseToEnd();
  editor.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
  return editor.innerHTML;
}"""

PICTURE_IN = """async ([how, name]) => {
  const canvas = document.createElement('canvas');
  canvas.width = 320; canvas.height = 200;
  const paint = canvas.getContext('2d');
  paint.fillStyle = '#246'; paint.fillRect(0, 0, 320, 200);
  const blob = await new Promise((done) => canvas.toBlob(done, 'image/png'));
  const data = new DataTransfer();
  data.items.add(new File([blob], name, {type: 'image/png'}));
  const editor = document.querySelector('.composer-area .editor');
  editor.focus();
  const event = how === 'paste'
    ? new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})
    : new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true});
  editor.dispatchEvent(event);
}"""


def test_pasting_from_word_and_google_docs_keeps_structure_and_drops_the_rest(newsroom: Served, browser: Any) -> None:
    url = newsroom.url
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, url, "anna")
    slug = create_blog(page, url, "Floods", "floods")
    reader = context.new_page()
    reader.goto(f"{url}/live/{slug}")

    composer(page).get_by_label("Headline").fill("Pasted from Word")
    html = page.evaluate(PASTE, [WORD_HTML, "Evacuations ordered in three towns"])
    # What the reporter sees is what will be published: structure kept, Word's styles, scripts, pictures gone.
    assert "<strong>Evacuations</strong> ordered in" in html
    assert '<a href="https://example.com/towns">three towns</a>' in html
    assert re.search(r"<ul><li>Bewdley</li><li>Worcester</li></ul>", html)
    for leftover in ("style=", "class=", "onclick", "<script", "<img", "o:p", "·", "mso"):
        assert leftover not in html
    assert page.evaluate("window.pasted === undefined")
    html = page.evaluate(PASTE, [DOCS_HTML, "What we know"])
    assert "<h3>What we know</h3>" in html
    assert "<strong>Rain</strong> keeps falling, <em>says the Met Office</em>" in html

    # A picture pasted, and one dropped on the text: each uploads and asks for its alt text.
    page.evaluate(PICTURE_IN, ["paste", "pasted.png"])
    page.evaluate(PICTURE_IN, ["drop", "dropped.png"])
    pictures = composer(page).locator(".media-item[data-kind=image]")
    composer(page).locator('.media-item[data-state="done"]').nth(1).wait_for(timeout=WAIT_MS)
    assert pictures.count() == 2
    for n, alt in enumerate(("A pasted chart", "A dropped map")):
        pictures.nth(n).get_by_label("Alt text (required)").fill(alt)

    # A video or social post by its link: a card with a title and the link, no request to the other site.
    composer(page).get_by_label("Video or social post").fill("https://www.youtube.com/watch?v=abc123")
    composer(page).get_by_role("button", name="Add video or social post").click()
    video = composer(page).locator(".media-item[data-kind=video]")
    assert video.get_by_label("Video or post title").input_value() == "Post on youtube.com"
    video.get_by_label("Video or post title").fill("Drone footage of the Severn")
    composer(page).get_by_role("button", name="Publish", exact=True).click()
    card(page, "Pasted from Word").wait_for(timeout=WAIT_MS)

    entry = reader.locator("#entries .entry", has_text="Pasted from Word")
    entry.wait_for(timeout=WAIT_MS)
    assert entry.locator("ul li").all_inner_texts() == ["Bewdley", "Worcester"]
    assert entry.locator("h3").inner_text() == "What we know"
    link = entry.locator("figure.sp-video a")
    assert link.get_attribute("href") == "https://www.youtube.com/watch?v=abc123"
    assert "Drone footage of the Severn" in link.inner_text()
    assert [img.get_attribute("alt") for img in entry.locator("figure.sp-image img").all()] == [
        "A pasted chart", "A dropped map"]
    context.close()


def test_an_entry_is_scheduled_in_the_blogs_time_zone(newsroom: Served, browser: Any) -> None:
    url = newsroom.url
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, url, "anna")
    slug = create_blog(page, url, "Tokyo marathon", "tokyo", time_zone="Asia/Tokyo")
    write(page, "Start line", "The elite field sets off.")
    form = composer(page)
    form.get_by_text("Schedule for later").click()
    form.get_by_label("Publish at (Asia/Tokyo time)").fill("2030-03-03T09:10")
    form.get_by_role("button", name="Schedule", exact=True).click()
    entry = card(page, "Start line")
    entry.wait_for(timeout=WAIT_MS)
    assert "Scheduled for 3 Mar 2030 09:10" in entry.locator(".badge--scheduled").inner_text()
    code = entry.get_attribute("data-code")
    saved = page.evaluate(f"fetch('/api/v1/blogs/{slug}/entries/{code}').then(r => r.json())")
    assert saved["status"] == "scheduled" and saved["publish_at"].startswith("2030-03-03T00:10:00")  # 09:10 in Tokyo
    reader = context.new_page()
    reader.goto(f"{url}/live/{slug}")
    assert reader.locator("text=Start line").count() == 0
    context.close()


def test_every_desk_page_passes_axe(newsroom: Served, browser: Any, tmp_path: Path) -> None:
    assert AXE.exists(), f"{AXE} is missing: run `npm ci --no-audit --no-fund` in {ROOT}"
    url = newsroom.url
    # The desk's Content-Security-Policy allows only its own scripts; axe is injected by the test.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()

    def check(name: str) -> None:
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(RUN_AXE, AXE_OPTIONS)
        assert violations == [], f"{name} ({page.url}): " + "\n".join(
            f"[{v['impact']}] {v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:5]]}" for v in violations)

    page.goto(f"{url}/desk/sign-in")
    check("sign in")
    page.get_by_label("User name").fill("chief")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("do not match").wait_for(timeout=WAIT_MS)
    check("sign in, with an error")
    sign_in(page, url, "chief")
    check("blogs list, empty")
    page.goto(f"{url}/desk/new")
    check("new blog")
    slug = create_blog(page, url, "Accessible storm", "accessible")
    write(page, "A published entry", "With text.")
    composer(page).get_by_label("Image", exact=True).set_input_files(str(jpeg(tmp_path / "a.jpg")))
    composer(page).locator('.media-item[data-state="done"]').wait_for(timeout=WAIT_MS)
    composer(page).get_by_label("Alt text (required)").fill("A grey sky")
    check("blog desk, composing with a picture")
    composer(page).get_by_role("button", name="Publish", exact=True).click()
    card(page, "A published entry").wait_for(timeout=WAIT_MS)
    write(page, "A draft entry", "Not yet.")
    composer(page).get_by_role("button", name="Save draft").click()
    card(page, "A draft entry").wait_for(timeout=WAIT_MS)
    page.goto(f"{url}/desk/blogs/{slug}")
    live(page)
    check("blog desk")
    card(page, "A published entry").get_by_role("button", name="Edit").click()
    card(page, "A published entry").locator("form.composer").wait_for(timeout=WAIT_MS)
    check("blog desk, editing an entry")
    page.goto(f"{url}/desk/blogs/{slug}/settings")
    check("blog settings")
    page.goto(f"{url}/desk")
    check("blogs list")
    page.goto(f"{url}/desk/admin")
    check("admin")
    page.locator(".user-card", has_text="anna").get_by_role("button", name="Create API token").click()
    page.get_by_text("shown only this once").wait_for(timeout=WAIT_MS)
    check("admin, a new token")

    setup = browser.new_context(bypass_csp=True).new_page()
    setup.goto(f"{url}/desk/setup?token=anything")  # the site has accounts: the page says so
    setup.add_script_tag(path=str(AXE))
    assert setup.evaluate(RUN_AXE, AXE_OPTIONS) == []
    setup.context.close()
    context.close()


def test_the_setup_page_passes_axe(empty_site: Served, browser: Any) -> None:
    assert AXE.exists(), f"{AXE} is missing: run `npm ci --no-audit --no-fund` in {ROOT}"
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    assert empty_site.setup_link
    page.goto(empty_site.setup_link)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE, AXE_OPTIONS)
    assert violations == [], violations
    context.close()
