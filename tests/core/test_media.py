"""Uploaded pictures: only real pictures get in, and nothing but their pixels comes out.

A photo's EXIF can carry the GPS position where it was taken and the camera's serial; a reporter's
source can be found from it. So every rendition is opened again here and must carry no metadata at all.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms

from stoppress.core.errors import Invalid
from stoppress.core.media import WIDTHS, ProcessedImage, process_image, size_text

MB = 1_048_576
LIMIT = 20 * MB
CAMERA = "Canon EOS R5 serial 0123456789"
NOT_A_PICTURE = "This file is not a picture we can read (JPEG, PNG, WebP or GIF). Export it as JPEG and try again."


# Pictures made for the tests


def photo_with_location(width: int = 1200, height: int = 800, orientation: int = 1, profile: bool = True) -> bytes:
    """A JPEG as a phone writes it: GPS position, camera model, XMP, a comment, a colour profile."""
    image = Image.new("RGB", (width, height))
    # Left half red, right half blue: a rotation is visible in the pixels.
    image.paste((220, 20, 20), (0, 0, width // 2, height))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = CAMERA
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (50.0, 27.0, 1.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (30.0, 31.0, 2.0)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description photoshop:City="Kyiv"/></rdf:RDF></x:xmpmeta>'
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() if profile else None
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=xmp, comment=b"Source: Kyiv safe house", icc_profile=srgb, quality=95)
    return out.getvalue()


def png(width: int, height: int, mode: str = "RGB", color: object = (0, 128, 255)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), color).save(out, "PNG")  # type: ignore[arg-type]
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size (and nothing else): what a decompression bomb looks like at first."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))


def every_rendition(result: ProcessedImage) -> list[tuple[str, bytes]]:
    return [(kind, data) for r in result.renditions for kind, data in (("webp", r.webp), ("jpeg", r.jpeg))]


def assert_no_metadata(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert len(image.getexif()) == 0, dict(image.getexif())
    assert not set(image.info) & {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop"}, image.info
    for secret in (b"Canon", b"Kyiv", b"safe house", b"GPS"):
        assert secret not in data
    return image


# What comes out


@pytest.mark.parametrize("profile", [True, False], ids=["colour-profile", "no-profile"])
def test_location_and_camera_are_gone_from_every_rendition(profile: bool) -> None:
    source = photo_with_location(profile=profile)
    before = Image.open(io.BytesIO(source))
    assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo does carry a location
    assert before.getexif()[ExifTags.Base.Model] == CAMERA and "xmp" in before.info and "comment" in before.info

    result = process_image(source, max_bytes=LIMIT)

    assert result.widths == [320, 640, 1024, 1200]
    assert len(every_rendition(result)) == 8
    for kind, data in every_rendition(result):
        image = assert_no_metadata(data)
        assert image.format == ("WEBP" if kind == "webp" else "JPEG")


def test_renditions_have_the_right_sizes_and_the_jpegs_are_progressive() -> None:
    result = process_image(photo_with_location(1200, 800), max_bytes=LIMIT)
    for r in result.renditions:
        assert r.height == round(800 * r.width / 1200)
        for data in (r.webp, r.jpeg):
            assert Image.open(io.BytesIO(data)).size == (r.width, r.height)
        assert Image.open(io.BytesIO(r.jpeg)).info.get("progressive") == 1
    assert (result.width, result.height) == (1200, 800)


def test_exif_orientation_is_applied() -> None:
    # Orientation 6: the camera was turned; the picture must be turned 90° clockwise to stand upright,
    # which puts the red left half at the top.
    result = process_image(photo_with_location(1200, 800, orientation=6), max_bytes=LIMIT)
    assert (result.width, result.height) == (800, 1200)
    for _, data in every_rendition(result):
        image = assert_no_metadata(data).convert("RGB")
        w, h = image.size
        top, bottom = image.getpixel((w // 2, h // 8)), image.getpixel((w // 2, h * 7 // 8))
        assert top[0] > 150 and top[2] < 100, top  # red
        assert bottom[2] > 150 and bottom[0] < 100, bottom  # blue


@pytest.mark.parametrize(
    ("width", "widths"),
    [(200, [200]), (320, [320]), (500, [320, 500]), (1024, [320, 640, 1024]), (4000, [320, 640, 1024, 1600])],
)
def test_renditions_never_upscale(width: int, widths: list[int]) -> None:
    result = process_image(png(width, 50), max_bytes=LIMIT)
    assert result.widths == widths
    assert max(result.widths) <= width
    assert result.width == widths[-1] and widths[-1] <= WIDTHS[-1]


def test_transparency_is_kept_in_webp_and_flattened_on_white_in_jpeg() -> None:
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (0, 0, 200, 300))  # left half opaque red, right half transparent
    out = io.BytesIO()
    image.save(out, "PNG")
    result = process_image(out.getvalue(), max_bytes=LIMIT)
    for r in result.renditions:
        webp = Image.open(io.BytesIO(r.webp))
        assert webp.mode == "RGBA"
        assert webp.getpixel((r.width - 5, r.height // 2))[3] == 0  # still see-through
        assert webp.getpixel((5, r.height // 2))[3] == 255
        jpeg = Image.open(io.BytesIO(r.jpeg)).convert("RGB")
        assert all(c > 240 for c in jpeg.getpixel((r.width - 5, r.height // 2)))  # white, not black
        assert jpeg.getpixel((5, r.height // 2))[0] > 150


def test_palette_gif_and_webp_sources_are_read() -> None:
    for fmt in ("GIF", "WEBP"):
        out = io.BytesIO()
        Image.new("RGB", (700, 100), (10, 200, 10)).save(out, fmt)
        assert process_image(out.getvalue(), max_bytes=LIMIT).widths == [320, 640, 700]


# What is refused


def truncated_jpeg() -> bytes:
    data = photo_with_location()
    return data[: len(data) * 2 // 3]


@pytest.mark.parametrize(
    "data",
    [
        b"Minutes of the meeting, not a photo.\n",
        b"<!doctype html><html><body><script>alert(1)</script></body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"",
        b"\xff\xd8\xff\xe0 only the start of a JPEG",
        pytest.param(None, id="truncated-jpeg"),
        pytest.param(b"truncated-png", id="truncated-png"),
    ],
)
def test_what_is_not_a_whole_picture_is_refused(data: bytes | None) -> None:
    if data is None:
        data = truncated_jpeg()
    elif data == b"truncated-png":
        whole = png(300, 300, color=(1, 2, 3))
        data = whole[: len(whole) - 30]
    with pytest.raises(Invalid) as refused:
        process_image(data, max_bytes=LIMIT)
    assert refused.value.message == NOT_A_PICTURE


def test_a_picture_too_large_is_refused_with_its_size() -> None:
    with pytest.raises(Invalid) as refused:
        process_image(b"\0" * (31 * MB), max_bytes=LIMIT)
    assert refused.value.message == "The picture is 31 MB; the limit is 20 MB."


def test_sizes_never_round_to_the_limit() -> None:
    assert size_text(20 * MB + 10_000, up=True) == "20.1 MB"
    assert size_text(900 * 1024) == "900 KB"


@pytest.mark.parametrize("size", [(100_000, 100_000), (10_000, 10_000)])
def test_decompression_bombs_are_refused_before_decoding(size: tuple[int, int]) -> None:
    # 10 gigapixels trips Pillow's own guard; 100 megapixels only its warning, which must not slip by.
    with pytest.raises(Invalid) as refused:
        process_image(png_header_only(*size), max_bytes=LIMIT)
    assert "megapixels" in refused.value.message


def test_too_many_pixels_for_the_limit_says_how_many() -> None:
    with pytest.raises(Invalid) as refused:
        process_image(png(3000, 2000), max_bytes=LIMIT, max_pixels=5_000_000)
    assert refused.value.message.startswith("The picture is 3000 × 2000 pixels (6 megapixels); the limit is 5 megapixels")
