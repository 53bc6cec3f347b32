"""The reader in every language we ship: complete catalogues, the blog's language, direction and dates."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from gettext import c2py
from pathlib import Path
from types import ModuleType
from typing import Any

import lxml.html
import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from lxml.html import HtmlElement
from starlette.testclient import TestClient

from stoppress.i18n import LANGUAGES, language

Headers = dict[str, str]
ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in LANGUAGES if code != "en"]  # English is the source language
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# How many plural forms each language's grammar has, as gettext counts them.
NPLURALS = {"de": 2, "es": 2, "fr": 2, "uk": 3, "ru": 3, "ar": 6}
# 2024-01-22 23:30 UTC is already 23 January in Berlin, Kyiv and Riyadh: the blog's time zone decides the date.
MOMENT = datetime(2024, 1, 22, 23, 30, tzinfo=UTC)
PHOTO = (
    '<figure><img src="https://example.com/kyiv.jpg" alt="Smoke over a street">'
    "<figcaption>Smoke over Kyiv <small>Image: Efrem Lukatsky/AP</small></figcaption></figure>"
    "<p>Air raid sirens sounded across the city.</p>"
    '<figure class="sp-video"><a href="https://example.com/clip">Clip</a>'
    "<figcaption>Video: Sirens in Kyiv</figcaption></figure>"
)


# The catalogues


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("update_catalogues", ROOT / "scripts" / "update_catalogues.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    """Every message the reader's templates and code ask for, found the way translators' tools find them."""
    return _script().extract()


def catalogue(lang: str) -> Catalog:
    with (ROOT / "stoppress" / "locales" / lang / "LC_MESSAGES" / "stoppress.po").open("rb") as source:
        return read_po(source, locale=lang)


def messages(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_extraction_finds_the_reader_strings(extracted: Catalog) -> None:
    found = {_key(m) for m in messages(extracted)}
    # One from each place strings live: a page, a partial, the base layout, Python code, a plural message.
    for message in ("What you need to know", "Key event", "Skip next section", "This live blog has ended.",
                    "Skip to content", "Video: %(title)s", "%(num)s new update"):
        assert message in found, message
    plural = extracted.get("%(num)s new update")
    assert plural is not None and plural.pluralizable
    desk = [loc for m in messages(extracted) for loc, _ in m.locations if "/desk" in loc]
    assert desk == [], "the desk is English-only: babel.cfg keeps it out of the catalogues"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(extracted: Catalog, lang: str) -> None:
    shipped = catalogue(lang)
    missing, untranslated = [], []
    for message in messages(extracted):
        translation = shipped.get(message.id if isinstance(message.id, str) else message.id[0])
        if translation is None or translation.pluralizable != message.pluralizable:
            missing.append(_key(message))
        elif translation.fuzzy or not all(_strings(translation)):
            untranslated.append(_key(message))
    advice = "run: python scripts/update_catalogues.py, then translate (docs/translating.md)"
    assert missing == [], f"{lang}: not in the catalogue; {advice}"
    assert untranslated == [], f"{lang}: empty or fuzzy translations; {advice}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_plural_forms_follow_the_language(lang: str) -> None:
    shipped = catalogue(lang)
    assert shipped.num_plurals == NPLURALS[lang], shipped.plural_forms
    for message in messages(shipped):
        if message.pluralizable:
            assert len(_strings(message)) == NPLURALS[lang], _key(message)
    # The page's script picks a form by CLDR category (Intl.PluralRules); the server, by the header's
    # formula. Both must split whole numbers the same way, or a reader sees "3 новых обновлений".
    formula, locale = c2py(shipped.plural_expr), Locale.parse(lang)
    pairs = {(locale.plural_form(n), formula(n)) for n in range(1001)}
    categories = [c for c, _ in pairs]
    indices = [i for _, i in pairs]
    assert len(set(categories)) == len(categories) == len(set(indices)) == NPLURALS[lang], sorted(pairs)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_their_placeholders(lang: str) -> None:
    shipped = catalogue(lang)
    for message in messages(shipped):
        ids = (message.id,) if isinstance(message.id, str) else message.id
        wanted = set().union(*map(_placeholders, ids))
        for index, text in enumerate(_strings(message)):
            have = _placeholders(text)
            assert have <= wanted, f"{lang}: {text!r} has placeholders that {ids[0]!r} does not fill"
            optional = {"num"} if message.pluralizable and _one_number(shipped, index) else set()
            assert wanted - optional <= have, f"{lang}: {text!r} lost a placeholder of {ids[0]!r}"
            text % dict.fromkeys(wanted, "x")  # formats without error


def _one_number(catalog: Catalog, index: int) -> bool:
    """Whether a plural form is only ever used for one number (Arabic "two"), which it may spell out."""
    formula = c2py(catalog.plural_expr)
    return sum(1 for n in range(1001) if formula(n) == index) == 1


# The reader's page and text


@pytest.fixture
def fixed_clock(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client.app.state.newsroom, "clock", lambda: MOMENT)  # type: ignore[attr-defined]


def make_blog(client: TestClient, headers: Headers, lang: str, timezone: str = "UTC") -> str:
    """A blog in `lang` with key points and one key-event entry with a photo and a video."""
    slug = f"blog-{lang.lower()}"
    body = {"title": "Ukraine updates", "slug": slug, "language": lang, "timezone": timezone,
            "sections": ["Conflicts", "Ukraine"]}
    response = client.post("/api/v1/blogs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    response = client.put(f"/api/v1/blogs/{slug}/key-points", json={"items": ["Sirens in Kyiv."]}, headers=headers)
    assert response.status_code == 200, response.text
    response = client.post(f"/api/v1/blogs/{slug}/entries", headers=headers,
                           json={"title": "Sirens in Kyiv", "body": PHOTO, "key_event": True})
    assert response.status_code == 201, response.text
    return slug


def page(client: TestClient, slug: str) -> HtmlElement:
    response = client.get(f"/live/{slug}")
    assert response.status_code == 200, response.text
    return lxml.html.fromstring(response.text)


def text_of(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def entry_time(doc: HtmlElement) -> str:
    return text_of(doc.xpath('//div[@id="entries"]//article//time')[0])


def test_an_arabic_blog_reads_right_to_left_in_arabic(client: TestClient, editor: Headers, fixed_clock: None) -> None:
    slug = make_blog(client, editor, "ar", "Asia/Riyadh")
    doc = page(client, slug)
    assert (doc.get("lang"), doc.get("dir")) == ("ar", "rtl")
    text = text_of(doc)
    for arabic in ("ما تحتاج إلى معرفته", "تخطي القسم التالي", "حدث رئيسي", "انتقل إلى المحتوى", "آخر تحديث"):
        assert arabic in text, arabic
    assert "What you need to know" not in text and "Key event" not in text
    assert doc.xpath('//nav[@aria-label="مسار التنقل"]')
    # Labels the core renders inside an entry's body speak the blog's language too.
    assert "الصورة: Efrem Lukatsky/AP" in text and "فيديو: Sirens in Kyiv" in text
    assert "Image:" not in text and "Video:" not in text
    # 02:30 on 23 January in Riyadh, with the Arabic month name and the Arabic PM/AM marker.
    assert entry_time(doc).startswith("23 يناير 2024، 2:30 ص"), entry_time(doc)


def test_the_arabic_new_updates_button_has_every_plural_form(client: TestClient, editor: Headers) -> None:
    doc = page(client, make_blog(client, editor, "ar"))
    forms = json.loads(doc.get_element_by_id("liveblog").get("data-new-updates"))
    assert forms == {
        "zero": "لا تحديثات جديدة", "one": "تحديث جديد واحد", "two": "تحديثان جديدان",
        "few": "{n} تحديثات جديدة", "many": "{n} تحديثًا جديدًا", "other": "{n} تحديث جديد",
    }


def test_a_german_blog_has_german_dates_in_its_time_zone(client: TestClient, editor: Headers, fixed_clock: None) -> None:
    doc = page(client, make_blog(client, editor, "de", "Europe/Berlin"))
    assert (doc.get("lang"), doc.get("dir")) == ("de", "ltr")
    assert entry_time(doc) == "23. Januar 2024, 00:30 CET"
    text = text_of(doc)
    assert "Was Sie wissen müssen" in text and "Wichtiges Ereignis" in text and "Bild: Efrem Lukatsky/AP" in text


def test_a_regional_tag_uses_its_language(client: TestClient, editor: Headers, fixed_clock: None) -> None:
    doc = page(client, make_blog(client, editor, "de-CH", "Europe/Zurich"))
    assert doc.get("lang") == "de-CH"
    assert "Was Sie wissen müssen" in text_of(doc)
    assert entry_time(doc).startswith("23. Januar 2024")


@pytest.mark.parametrize(("lang", "heading"), [
    ("uk", "Що потрібно знати"), ("ru", "Что нужно знать"), ("es", "Lo que hay que saber"),
    ("fr", "Ce qu’il faut savoir"),
])
def test_each_language_reads_in_its_own_words(client: TestClient, editor: Headers, lang: str, heading: str) -> None:
    doc = page(client, make_blog(client, editor, lang))
    assert doc.get("dir") == "ltr"
    assert text_of(doc.get_element_by_id("key-points-title")) == heading


def test_an_unknown_language_falls_back_to_english(client: TestClient, editor: Headers, fixed_clock: None) -> None:
    doc = page(client, make_blog(client, editor, "xx"))
    assert doc.get("dir") == "ltr"
    text = text_of(doc)
    assert "What you need to know" in text and "Key event" in text and "Image: Efrem Lukatsky/AP" in text
    assert entry_time(doc) == "January 22, 2024, 11:30 PM UTC"


def test_the_text_view_is_translated(client: TestClient, editor: Headers, fixed_clock: None) -> None:
    slug = make_blog(client, editor, "ar", "Asia/Riyadh")
    assert client.patch(f"/api/v1/blogs/{slug}", json={"status": "ended"}, headers=editor).status_code == 200
    text = client.get(f"/live/{slug}/text").text
    for arabic in ("نُشر 23 يناير 2024", "آخر تحديث 23 يناير 2024", "انتهت هذه التغطية المباشرة.",
                   "ما تحتاج إلى معرفته", "الصورة: Efrem Lukatsky/AP"):
        assert arabic in text, arabic
    for english in ("Published", "last updated", "What you need to know", "Image:"):
        assert english not in text, english


def test_the_live_event_html_is_in_the_blog_language(client: TestClient, editor: Headers) -> None:
    """What the stream sends is rendered like the page: a French entry arrives in French."""
    slug = make_blog(client, editor, "fr")
    renderer = client.app.state.renderer  # type: ignore[attr-defined]
    newsroom = client.app.state.newsroom  # type: ignore[attr-defined]

    async def first_entry() -> Any:
        blog = await newsroom.get_blog(slug)
        listing = await newsroom.list_entries(blog, page=1, per_page=5)
        return blog, listing.entries[0]

    blog, entry = client.portal.call(first_entry)  # type: ignore[union-attr]
    html = renderer.entry_html(blog, entry)
    assert "Temps fort" in html and "Passer la section suivante" in html
    assert "Photo\u00a0: Efrem Lukatsky/AP" in html and "Vidéo\u00a0: Sirens in Kyiv" in html
    assert language("fr").ngettext("%(num)s new update", "%(num)s new updates", 2) == "2 nouvelles mises à jour"
