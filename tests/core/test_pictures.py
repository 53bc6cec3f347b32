"""Uploaded pictures in entries: image blocks that name an upload render responsive and lazy."""

from __future__ import annotations

from typing import Any

import pytest

from stoppress.core.content import normalize_blocks, render_html
from stoppress.core.errors import Invalid

NAME = "Xq3_k-9aZ0bCdEfGhIjKlM"


def upload_block(**changes: Any) -> dict[str, Any]:
    block = {"type": "image", "src": f"/media/{NAME}/1024.jpg", "alt": "Firefighters on a roof", "caption": "Kharkiv",
             "credit": "Jane Doe/AP", "media": NAME, "width": 1600, "height": 1067, "widths": [320, 640, 1024, 1600]}
    return {**block, **changes}


def test_upload_fields_are_kept_and_normalizing_twice_changes_nothing() -> None:
    once = normalize_blocks([upload_block(widths=[1600, 320, 1024, 640, 640], credit="Image: Jane Doe/AP")])
    assert once == [upload_block()]
    assert normalize_blocks(once) == once


def test_the_src_is_the_uploads_own_jpeg() -> None:
    # A client that only names the upload, or names it with some other address, gets the upload's file.
    for src in ("", "https://elsewhere.example/x.jpg"):
        [block] = normalize_blocks([upload_block(src=src, widths=[320, 500])])
        assert block["src"] == f"/media/{NAME}/500.jpg"


def test_image_blocks_without_an_upload_are_unchanged() -> None:
    plain = {"type": "image", "src": "https://cdn.example.com/a.jpg", "alt": "Crowd", "caption": "", "credit": ""}
    assert normalize_blocks([plain]) == [plain]
    html = render_html([plain])
    assert "<picture" not in html and "srcset" not in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"media": "../../stoppress.db"}, '"media" must be the name of an uploaded picture'),
        ({"media": 'x" onerror="alert(1)'}, '"media" must be the name of an uploaded picture'),
        ({"media": None}, '"media" must be the name of an uploaded picture'),
        ({"widths": []}, '"widths" must list the widths'),
        ({"widths": [320, "640"]}, '"widths" must list the widths'),
        ({"widths": [320, True]}, '"widths" must list the widths'),
        ({"widths": [-320]}, '"widths" must list the widths'),
        ({"widths": list(range(100, 1000, 100))}, '"widths" must list the widths'),
        ({"widths": "320,640"}, '"widths" must list the widths'),
        ({"width": "1600"}, '"width" must be a whole number of pixels'),
        ({"height": 0}, '"height" must be a whole number of pixels'),
        ({"alt": ""}, "needs alt text describing the picture"),
    ],
)
def test_bad_upload_fields_are_refused_with_what_to_do(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(Invalid) as refused:
        normalize_blocks([{"type": "paragraph", "html": "Hi"}, upload_block(**changes)])
    assert refused.value.message.startswith("Block 2 (image)")
    assert message in refused.value.message


def test_an_upload_renders_as_a_responsive_lazy_picture_in_its_figure() -> None:
    html = render_html(normalize_blocks([upload_block(alt='Roof "on fire" & smoke')]))
    sizes = 'sizes="(min-width: 48rem) 44rem, 100vw"'
    webp = ", ".join(f"/media/{NAME}/{w}.webp {w}w" for w in (320, 640, 1024, 1600))
    jpg = ", ".join(f"/media/{NAME}/{w}.jpg {w}w" for w in (320, 640, 1024, 1600))
    assert html == (
        '<figure class="sp-image"><picture>'
        f'<source type="image/webp" srcset="{webp}" {sizes}>'
        f'<img src="/media/{NAME}/1024.jpg" srcset="{jpg}" {sizes} width="1600" height="1067" '
        'alt="Roof &quot;on fire&quot; &amp; smoke" loading="lazy" decoding="async"></picture>'
        '<figcaption><span class="sp-caption">Kharkiv</span> <span class="sp-credit">Image: Jane Doe/AP</span>'
        "</figcaption></figure>"
    )


def test_a_small_upload_falls_back_to_its_largest_jpeg() -> None:
    html = render_html(normalize_blocks([upload_block(widths=[320, 480], width=480, height=320)]))
    assert f'<img src="/media/{NAME}/480.jpg"' in html and "1024" not in html


def test_a_stored_block_with_a_hostile_name_is_not_rendered_as_an_upload() -> None:
    # Blocks are normalised on the way in; rendering checks again, as it does for every field.
    html = render_html([upload_block(media='x"><script>alert(1)</script>', src="")])
    assert "<script" not in html and "<picture" not in html
