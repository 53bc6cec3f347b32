"""The reader's languages: message catalogues (gettext, compiled by Babel), text direction, dates.

Every string a reader sees comes from `stoppress/locales/<lang>/LC_MESSAGES/stoppress.po`; a blog's
language picks the catalogue, `dir` and date formats. English is the source language.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "stoppress"
LANGUAGES = ("en", "de", "uk", "ru", "ar", "es", "fr")


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
        for n in range(0, 200):
            category = self.locale.plural_form(n)
            if category not in forms:
                forms[category] = self.ngettext(singular, plural, n).replace(str(n), "{n}")
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
    base = locale.language if locale.language in LANGUAGES else "en"
    translations = Translations.load(str(LOCALES), [str(locale), base], DOMAIN)
    return Language(code or "en", locale, translations)
