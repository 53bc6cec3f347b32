"""Checking what comes in: each function returns a clean value or raises Invalid saying what to fix."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stoppress.core import content
from stoppress.core.errors import Invalid
from stoppress.core.models import EntryStatus, Image

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{3,32}$")


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


MAX_TITLE = 300


MAX_KEY_POINTS = 20


MAX_KEY_POINT = 500


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].strip("-")


def clean_text(value: Any, field: str, *, required: bool = False, limit: int = MAX_TITLE) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{field.capitalize()} must be text.", field=field)
    value = " ".join(value.split())
    if required and not value:
        raise Invalid(f"{field.capitalize()} is required.", field=field)
    if len(value) > limit:
        raise Invalid(f"{field.capitalize()} is {len(value)} characters; keep it to {limit}.", field=field)
    return value


def clean_image(value: Any, field: str) -> Image | None:
    if value in (None, {}):
        return None
    if not isinstance(value, dict):
        raise Invalid(f"{field} must be an object with src, alt, caption and credit.", field=field)
    block = content.normalize_blocks([{"type": "image", **value}])[0]
    return Image(alt=block["alt"], caption=block["caption"], credit=block["credit"], src=block["src"])


def parse_time(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(f"{field} must be an ISO 8601 time such as 2024-01-23T12:08:00Z.", field=field) from None
    else:
        raise Invalid(f"{field} must be an ISO 8601 time such as 2024-01-23T12:08:00Z.", field=field)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{field} must be true or false.", field=field)
    return value


def blocks(data: dict[str, Any]) -> list[dict[str, Any]]:
    if data.get("blocks") is not None:
        return content.normalize_blocks(data["blocks"])
    fmt = data.get("format", "html")
    if fmt not in content.FORMATS:
        raise Invalid(f"format must be one of {', '.join(content.FORMATS)}.", field="format")
    if data.get("body") is None:
        raise Invalid("body is required: the text of the update.", field="body")
    return content.parse_body(data["body"], fmt)


def status(value: Any) -> EntryStatus:
    try:
        return EntryStatus(value)
    except ValueError:
        raise Invalid("status must be 'published', 'draft', 'submitted' or 'scheduled'.", field="status") from None


BLOG_FIELDS = frozenset(
    {"title", "slug", "description", "language", "sections", "lead_image", "publisher", "timezone", "status", "key_points"}
)


def timezone(value: Any) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise Invalid("timezone must be an IANA time zone name such as 'Europe/Kyiv' or 'UTC'.", field="timezone") from None
    return str(value)


def language(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$", value):
        raise Invalid("language must be a language tag such as 'en', 'de' or 'pt-BR'.", field="language")
    return value


def sections(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise Invalid('sections must be a list of names, e.g. ["Conflicts", "Ukraine"].', field="sections")
    return [clean_text(s, "sections", limit=100) for s in value if s.strip()][:10]


def key_points(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise Invalid('Key points must be a list of sentences, e.g. {"items": ["...", "..."]}.', field="items")
    if len(value) > MAX_KEY_POINTS:
        raise Invalid(f"Keep the key points to {MAX_KEY_POINTS} items or fewer.", field="items")
    return [clean_text(s, "key point", limit=MAX_KEY_POINT) for s in value if s.strip()]


def no_unknown(data: dict[str, Any], known: set[str]) -> None:
    unknown = set(data) - known
    if unknown:
        raise Invalid(
            f"Unknown field(s): {', '.join(sorted(unknown))}. Known fields: {', '.join(sorted(known))}.",
            field=sorted(unknown)[0],
        )
