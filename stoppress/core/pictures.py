"""Uploaded pictures in entry bodies: the image block's upload fields, and the <picture> they render as.

An image block may name an upload (see `core/media.py`) with `media`, the `widths` it was saved at, and
its largest rendition's `width` and `height`; it then renders with srcset (WebP where the browser takes
it, JPEG elsewhere) and lazy loading. Kept apart from `content.py` so that module stays readable.
"""

from __future__ import annotations

import re

from stoppress.core.errors import Invalid
from stoppress.core.models import Block

MEDIA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_WIDTHS = 8
IMAGE_SIZES = "(min-width: 48rem) 44rem, 100vw"  # the reader column: 44rem wide from 48rem up


def media_url(name: str, width: int, ext: str) -> str:
    """Where one rendition of an uploaded picture is served; `ext` is "webp" or "jpg"."""
    return f"/media/{name}/{width}.{ext}"


def fallback_width(widths: list[int]) -> int:
    """The rendition a browser without srcset gets: 1024 pixels wide, or the largest there is."""
    return 1024 if 1024 in widths else max(widths)


def _pixels(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000


def upload_fields(raw: Block, where: str, field: str) -> Block:
    """An image block's upload fields, checked; with `src` set to the upload's JPEG when `media` is."""
    out: Block = {}
    for key in ("width", "height"):
        if raw.get(key) is not None:
            if not _pixels(raw[key]):
                raise Invalid(f'{where}: "{key}" must be a whole number of pixels, e.g. 1024.', field=field)
            out[key] = raw[key]
    media, widths = raw.get("media"), raw.get("widths")
    if media in (None, "") and widths in (None, []):
        return out
    if not isinstance(media, str) or not MEDIA_NAME.match(media):
        raise Invalid(f'{where}: "media" must be the name of an uploaded picture, as POST /api/v1/media '
                      'answers it (letters, digits, "-" and "_").', field=field)
    if not isinstance(widths, list) or not 0 < len(widths) <= MAX_WIDTHS or not all(map(_pixels, widths)):
        raise Invalid(f'{where}: "widths" must list the widths of the uploaded picture (1 to {MAX_WIDTHS} whole '
                      'numbers of pixels), as POST /api/v1/media answers them.', field=field)
    out["widths"] = sorted(set(widths))
    return {**out, "media": media, "src": media_url(media, fallback_width(out["widths"]), "jpg")}


def picture_html(block: Block, alt: str) -> str:
    """An uploaded picture as <picture>, or "" if the block names none; `alt` comes escaped."""
    name, widths = block.get("media"), block.get("widths")
    if not isinstance(name, str) or not MEDIA_NAME.match(name) or not isinstance(widths, list):
        return ""
    widths = sorted({w for w in widths if _pixels(w)})
    if not widths:
        return ""
    webp, jpg = (", ".join(f"{media_url(name, w, ext)} {w}w" for w in widths) for ext in ("webp", "jpg"))
    size = "".join(f' {key}="{block[key]}"' for key in ("width", "height") if _pixels(block.get(key)))
    return (
        f'<picture><source type="image/webp" srcset="{webp}" sizes="{IMAGE_SIZES}">'
        f'<img src="{media_url(name, fallback_width(widths), "jpg")}" srcset="{jpg}" sizes="{IMAGE_SIZES}"{size} '
        f'alt="{alt}" loading="lazy" decoding="async"></picture>'
    )
