"""Uploaded pictures: proved to be images by decoding them, re-encoded clean, resized for every screen.

A newsroom's sources can be betrayed by a photo's metadata (GPS position, camera serial, the editor's
name in XMP), so nothing of the uploaded file reaches readers but its pixels: the picture is decoded
fully, turned upright by its EXIF orientation, converted to sRGB, copied into a fresh image that has
no metadata at all, and encoded anew at each width as WebP (for modern browsers) and progressive JPEG
(for every other one). Never upscaled. No web framework here.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import dataclass

# Opening with `formats=` finds only the plugins already loaded: load the ones FORMATS names.
import PIL.GifImagePlugin
import PIL.JpegImagePlugin
import PIL.PngImagePlugin
import PIL.WebPImagePlugin  # noqa: F401
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from stoppress.core.errors import Invalid

WIDTHS = (320, 640, 1024, 1600)
MAX_PIXELS = 50_000_000  # a 50-megapixel camera; decoded, that is 150 MB of RGB at most
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")  # JPEG includes MPO, the variant many phones and cameras write
QUALITY = 80
_SWAPS_SIDES = (5, 6, 7, 8)  # EXIF orientations that turn the picture by a quarter
_NOT_A_PICTURE = "This file is not a picture we can read (JPEG, PNG, WebP or GIF). Export it as JPEG and try again."


@dataclass(frozen=True, slots=True)
class Rendition:
    """The picture at one width, encoded twice."""

    width: int
    height: int
    webp: bytes
    jpeg: bytes


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """A verified, cleaned picture: `width`/`height` are those of its largest rendition."""

    width: int
    height: int
    renditions: list[Rendition]  # narrowest first

    @property
    def widths(self) -> list[int]:
        return [r.width for r in self.renditions]


def process_image(data: bytes, *, max_bytes: int, max_pixels: int = MAX_PIXELS) -> ProcessedImage:
    """Decode `data` fully, strip it of every piece of metadata, and encode it at each width.

    Raises Invalid, with a message a reporter can act on, for anything that is not a whole picture in a
    format we read, is larger than `max_bytes`, or has more than `max_pixels` pixels.
    """
    if len(data) > max_bytes:
        size, limit = size_text(len(data), up=True), size_text(max_bytes)
        raise Invalid(f"The picture is {size}; the limit is {limit}.", field="file")
    if not data:
        raise Invalid(_NOT_A_PICTURE, field="file")
    picture = _clean(_decode(data, max_pixels))
    widths = sorted({w for w in WIDTHS if w < picture.width} | {min(picture.width, WIDTHS[-1])})
    renditions = [_rendition(picture, w) for w in widths]
    return ProcessedImage(renditions[-1].width, renditions[-1].height, renditions)


def size_text(size: int, up: bool = False) -> str:
    """A file size as people read it ("31 MB", "20.1 MB", "900 KB"), rounded `up` or down."""
    unit, name = (1_048_576, "MB") if size >= 1_048_576 else (1024, "KB")
    tenths = size * 10 / unit
    tenths = math.ceil(tenths) if up else math.floor(tenths)  # "20.1 MB" never reads as "20 MB"
    return f"{tenths / 10:.1f}".removesuffix(".0") + " " + name


def _too_many_pixels(max_pixels: int, size: tuple[int, int] | None = None) -> Invalid:
    limit = f"the limit is {max_pixels / 1_000_000:g} megapixels. Make it smaller and try again."
    if size is None:
        return Invalid(f"The picture has far too many pixels; {limit}", field="file")
    width, height = size
    return Invalid(f"The picture is {width} × {height} pixels ({width * height / 1_000_000:.0f} megapixels); {limit}",
                   field="file")


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only; a decompression bomb is refused before a byte of it is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise Invalid(_NOT_A_PICTURE, field="file") from None
    if image.width < 1 or image.height < 1:
        raise Invalid(_NOT_A_PICTURE, field="file")
    if image.width * image.height > max_pixels:
        raise _too_many_pixels(max_pixels, image.size)
    return image


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    """The first frame, decoded to the end: a truncated or corrupt file is refused here."""
    try:
        _open(data, max_pixels).verify()  # checksums and structure; leaves the image unusable
        image = _open(data, max_pixels)
        # A JPEG can be decoded straight at 1/2, 1/4 or 1/8 scale: no need for 50 megapixels in
        # memory to make a 1600-pixel picture (draft keeps the result at least as large as asked).
        turns = _orientation(image) in _SWAPS_SIDES
        upright_width = image.height if turns else image.width
        scale = min(upright_width, WIDTHS[-1]) / upright_width
        image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.load()
    except Invalid:
        raise
    except Exception:  # noqa: BLE001 - whatever a hostile file makes a decoder raise, it is not a picture
        raise Invalid(_NOT_A_PICTURE, field="file") from None
    return image


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - broken EXIF: treat as upright
        return 1


def _clean(image: Image.Image) -> Image.Image:
    """Upright, sRGB, RGB or RGBA, and a brand-new image: no EXIF, GPS, XMP, IPTC, ICC or comment."""
    with contextlib.suppress(Exception):  # broken orientation data: keep the picture as stored
        image = ImageOps.exif_transpose(image)
    alpha = image.has_transparency_data
    mode = "RGBA" if alpha else "RGB"
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit or float greyscale PNG
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    profile = image.info.get("icc_profile")
    converted = _to_srgb(image, profile, mode) if profile else None
    image = converted or image.convert(mode)
    if alpha and image.getchannel("A").getextrema() == (255, 255):
        image, mode = image.convert("RGB"), "RGB"
    # Copying the pixels leaves behind everything else the file carried (Pillow copies `info`, and
    # with it EXIF, XMP and comments, into every image derived by resize or convert).
    return Image.frombytes(mode, image.size, image.tobytes())


def _to_srgb(image: Image.Image, profile: bytes, mode: str) -> Image.Image | None:
    """The picture converted from its embedded colour profile to sRGB, or None if it cannot be."""
    if image.mode not in ("RGB", "RGBA", "CMYK", "L") or (image.mode == "RGBA") != (mode == "RGBA"):
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        return ImageCms.profileToProfile(image, source, srgb, outputMode=mode)
    except Exception:  # noqa: BLE001 - a broken or mismatched profile: plain conversion instead
        return None


def _rendition(picture: Image.Image, width: int) -> Rendition:
    height = max(1, round(picture.height * width / picture.width))
    sized = picture if width == picture.width else picture.resize((width, height), Image.Resampling.LANCZOS,
                                                                  reducing_gap=3.0)
    webp = io.BytesIO()
    sized.save(webp, "WEBP", quality=QUALITY, method=4)
    if sized.mode == "RGBA":  # JPEG has no transparency: flatten on the page's white
        flat = Image.new("RGB", sized.size, "white")
        flat.paste(sized, mask=sized.getchannel("A"))
        sized = flat
    jpeg = io.BytesIO()
    sized.save(jpeg, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return Rendition(width, height, webp.getvalue(), jpeg.getvalue())
