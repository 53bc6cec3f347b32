"""Uploading a picture: verify and clean it, store its renditions, record it, hand back an image block.

Any signed-in user may upload (a contributor's entry needs pictures too); what readers see is still
decided when an entry using the picture is published.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from stoppress.core.media import MAX_PIXELS, process_image
from stoppress.core.models import Media, User
from stoppress.core.pictures import fallback_width, media_url
from stoppress.core.services import Newsroom
from stoppress.storage.media_files import MediaStore


@dataclass(frozen=True, slots=True)
class Upload:
    """A stored picture, as the desk needs it to put it in an entry."""

    media: Media

    @property
    def widths(self) -> list[int]:
        return sorted(self.media.renditions["jpeg"])

    @property
    def src(self) -> str:
        return media_url(self.media.name, fallback_width(self.widths), "jpg")

    def block(self) -> dict[str, Any]:
        """A ready-to-use image block; the alt text is left for the person to write."""
        return {"type": "image", "src": self.src, "alt": "", "caption": "", "credit": "", "media": self.media.name,
                "width": self.media.width, "height": self.media.height, "widths": self.widths}

    def as_json(self) -> dict[str, Any]:
        return {"name": self.media.name, "src": self.src, "width": self.media.width, "height": self.media.height,
                "widths": self.widths, "block": self.block()}


async def upload_image(
    newsroom: Newsroom, store: MediaStore, actor: User, data: bytes, *, max_bytes: int, max_pixels: int = MAX_PIXELS
) -> Upload:
    """Store the picture in `data` (Invalid if it is not one); nothing is kept when anything fails."""
    # Decoding and encoding take a CPU for a moment: off the event loop, so readers keep streaming.
    picture = await asyncio.to_thread(process_image, data, max_bytes=max_bytes, max_pixels=max_pixels)
    name = secrets.token_urlsafe(16)  # unguessable: an unpublished entry's pictures stay private
    files: dict[str, bytes] = {}
    renditions: dict[str, dict[int, str]] = {"webp": {}, "jpeg": {}}
    for r in picture.renditions:
        for fmt, ext, encoded in (("webp", "webp", r.webp), ("jpeg", "jpg", r.jpeg)):
            files[f"{r.width}.{ext}"] = encoded
            renditions[fmt][r.width] = f"{name}/{r.width}.{ext}"
    await store.save(name, files)
    media = Media(id=None, name=name, width=picture.width, height=picture.height, renditions=renditions,
                  uploaded_by=actor.id, created_at=newsroom.clock())
    try:
        media = await newsroom.storage.add_media(media)
    except BaseException:
        await store.delete(name)
        raise
    return Upload(media)
