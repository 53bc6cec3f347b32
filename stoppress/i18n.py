"""The reader's languages: message catalogues (gettext, compiled by Babel), text direction, dates.

Every string a reader sees comes from `stoppress/locales/<lang>/LC_MESSAGES/stoppress.po`; a blog's
language picks the catalogue, `dir` and date formats. English is the source language.
The .po sources are compiled in memory on first use, so there is no build step and no .mo file
(docs/translating.md says how to add a string or a language).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "stoppress"
LANGUAGES = ("en", "de", "uk", "ru", "ar", "es", "fr")


def ngettext_noop(singular: str, plural: str) -> tuple[str, str]:
    """Marks a counted message for extraction where it is only used through `Language.plural_forms`."""
    return singular, plural


# The page hands the reader script this message in every plural form; the extractor cannot see
# through `language.plural_forms(...)` in a template, so it is declared here as well.
NEW_UPDATES = ngettext_noop("%(num)s new update", "%(num)s new updates")


@dataclass(frozen=True, slots=True)
class Language:
    """One reader language: translate with `_`/`ngettext`, format times in a time zone."""

    code: str
    locale: Locale
    translations: NullTranslations

    @property
    def direction(self) -> str:
        return "rtl" if self.locale.text_direction == "rtl" else "ltr"

    def gettext(self, message: str, **values: Any) -> str:
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def plural_forms(self, singular: str, plural: str) -> dict[str, str]:
        """A message in each CLDR plural category of this language, with "{n}" for the number.

        For the page's script, which picks one with `Intl.PluralRules`.
        """
        forms: dict[str, str] = {}
        # Gettext's Plural-Forms and CLDR's categories agree for whole numbers, so one sample
        # number per category picks the catalogue's form for it; 1..199 and 0 meet every category
        # whole numbers fall in. 0 comes last: where 0 and 1 share a category (fr, pt), the sample
        # 1 also suits a language that falls back to English messages.
        for n in (*range(1, 200), 0):
            category = self.locale.plural_form(n)
            if category not in forms:
                forms[category] = self.translations.ngettext(singular, plural, n) % {"num": "{n}"}
        return forms

    def datetime(self, moment: datetime | None, timezone: str = "UTC") -> str:
        """A moment as the blog's readers expect it: their language, the blog's time zone."""
        if moment is None:
            return ""
        local = moment.astimezone(_zone(timezone))
        pattern = str(self.locale.datetime_formats["long"])
        when = pattern.replace("{1}", format_date(local, "long", locale=self.locale))
        return when.replace("{0}", format_time(local, "short", locale=self.locale)) + f" {local.tzname()}"

    def date(self, moment: datetime | None, timezone: str = "UTC") -> str:
        if moment is None:
            return ""
        return format_date(moment.astimezone(_zone(timezone)), "long", locale=self.locale)

    def time(self, moment: datetime | None, timezone: str = "UTC") -> str:
        if moment is None:
            return ""
        return format_time(moment.astimezone(_zone(timezone)), "short", locale=self.locale)

    def context(self) -> dict[str, Any]:
        """What templates need to speak this language."""
        return {"_": self.gettext, "gettext": self.gettext, "ngettext": self.ngettext, "lang": self.code,
                "dir": self.direction, "language": self}


@functools.cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@functools.cache
def language(code: str | None) -> Language:
    """The language for a blog's language tag; unknown tags fall back to their base language, then English."""
    tag = (code or "en").replace("-", "_")
    try:
        locale = Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    return Language(code or "en", locale, _catalogue(str(locale), locale.language))


@functools.cache
def _catalogue(tag: str, base: str) -> NullTranslations:
    """The messages for a locale: its own catalogue if there is one, then its language's, then English."""
    found = [path for path in dict.fromkeys((tag, base)) if _po(path).is_file()]
    if not found:
        return NullTranslations()
    translations = _compile(_po(found[0]))
    if len(found) > 1:
        translations.add_fallback(_compile(_po(found[1])))
    return translations


def _po(tag: str) -> Path:
    return LOCALES / tag / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compile(path: Path) -> Translations:
    # Fuzzy entries are left out, as msgfmt does: a guess is not shown to readers.
    with path.open("rb") as source:
        catalog = read_po(source, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
