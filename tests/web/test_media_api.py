"""Uploading pictures over the API, serving them, and seeing them on the reader page."""

from __future__ import annotations

import io
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from PIL import ExifTags, Image
from starlette.testclient import TestClient

from stoppress.app import create_app
from stoppress.settings import Settings
from tests.conftest import make_user
from tests.core.test_media import CAMERA, NOT_A_PICTURE, assert_no_metadata, photo_with_location, png, truncated_jpeg

Headers = dict[str, str]
SERVED = {"cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff"}


def upload(client: TestClient, headers: Headers, data: bytes, filename: str = "photo.jpg") -> Any:
    return client.post("/api/v1/media", files={"file": (filename, data, "image/jpeg")}, headers=headers)


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def media_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM media").fetchone()[0])


def assert_problem(response: Any, status: int, detail: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if detail is not None:
        assert detail in response.json()["detail"]


# Uploading


def test_a_contributor_uploads_a_photo_and_gets_a_block_to_use(
    client: TestClient, contributor: Headers, tmp_path: Path
) -> None:
    response = upload(client, contributor, photo_with_location(2400, 1600))
    assert response.status_code == 201, response.text
    answer = response.json()
    name = answer["name"]
    assert len(name) >= 20  # unguessable
    assert answer["widths"] == [320, 640, 1024, 1600]
    assert (answer["width"], answer["height"]) == (1600, 1067)
    assert answer["src"] == f"/media/{name}/1024.jpg"
    assert answer["block"] == {"type": "image", "src": answer["src"], "alt": "", "caption": "", "credit": "",
                               "media": name, "width": 1600, "height": 1067, "widths": [320, 640, 1024, 1600]}
    # By default the files live in a "media" folder next to the database.
    assert [p.relative_to(tmp_path).as_posix() for p in stored_files(tmp_path / "media")] == sorted(
        f"media/{name}/{w}.{ext}" for w in answer["widths"] for ext in ("jpg", "webp")
    )
    assert media_rows(tmp_path / "stoppress.db") == 1


def test_every_served_rendition_is_clean_and_cacheable(client: TestClient, editor: Headers) -> None:
    source = photo_with_location(1200, 800, orientation=6)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    answer = upload(client, editor, source).json()
    assert (answer["width"], answer["height"]) == (800, 1200)  # turned upright
    for width in answer["widths"]:
        for ext, content_type in (("webp", "image/webp"), ("jpg", "image/jpeg")):
            response = client.get(f"/media/{answer['name']}/{width}.{ext}")
            assert response.status_code == 200
            assert response.headers["content-type"] == content_type
            assert {k: response.headers[k] for k in SERVED} == SERVED
            image = assert_no_metadata(response.content)
            assert image.width == width and image.height > image.width
            assert CAMERA.encode() not in response.content


def test_raw_bytes_upload_and_transparent_png(client: TestClient, editor: Headers) -> None:
    image = Image.new("RGBA", (500, 200), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    response = client.post("/api/v1/media", content=out.getvalue(), headers={**editor, "Content-Type": "image/png"})
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["widths"] == [320, 500]  # never wider than the original
    webp = Image.open(io.BytesIO(client.get(f"/media/{answer['name']}/500.webp").content))
    assert webp.mode == "RGBA" and webp.getpixel((10, 10))[3] == 0


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"Notes from the meeting with the source.\n", "photo.jpg"),
        (b"<!doctype html><title>x</title><script>alert(1)</script>", "photo.jpg"),
        (None, "photo.jpg"),  # a truncated JPEG
        (b"", "photo.jpg"),
    ],
    ids=["text", "html", "truncated-jpeg", "empty"],
)
def test_what_is_not_a_picture_is_refused_and_nothing_is_kept(
    client: TestClient, editor: Headers, tmp_path: Path, data: bytes | None, filename: str
) -> None:
    response = upload(client, editor, truncated_jpeg() if data is None else data, filename)
    assert_problem(response, 422, NOT_A_PICTURE)
    assert response.json()["field"] == "file"
    assert stored_files(tmp_path / "media") == []
    assert media_rows(tmp_path / "stoppress.db") == 0


def test_a_decompression_bomb_is_refused(client: TestClient, editor: Headers, tmp_path: Path) -> None:
    from tests.core.test_media import png_header_only

    response = upload(client, editor, png_header_only(100_000, 100_000), "bomb.png")
    assert_problem(response, 422, "megapixels")
    assert stored_files(tmp_path / "media") == [] and media_rows(tmp_path / "stoppress.db") == 0


def test_uploading_needs_a_token_and_a_picture(client: TestClient, editor: Headers, tmp_path: Path) -> None:
    assert_problem(upload(client, {}, png(10, 10)), 401)
    assert_problem(client.post("/api/v1/media", json={"file": "x"}, headers=editor), 415, "multipart/form-data")
    no_file = client.post("/api/v1/media", files={"picture": ("a.png", png(10, 10), "image/png")}, headers=editor)
    assert_problem(no_file, 422, "'file' field")
    broken = client.post("/api/v1/media", content=b"--x\r\n",
                         headers={**editor, "Content-Type": "multipart/form-data"})  # no boundary
    assert_problem(broken, 400, "'file' field")
    assert stored_files(tmp_path / "media") == []


# Size limit


@pytest.fixture
def small_limit(tmp_path: Path) -> Iterator[tuple[TestClient, Headers, Path]]:
    folder = tmp_path / "pictures"
    settings = Settings.load({"db": f"sqlite:///{tmp_path / 'small.db'}", "max_upload_bytes": 100_000,
                              "media_dir": str(folder)}, environ={})
    with TestClient(create_app(settings)) as client:
        yield client, make_user(client, "ed", "editor"), folder


def noise(size: int) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (size, size), random.Random(size).randbytes(size * size * 3)).save(out, "PNG")
    return out.getvalue()


def test_an_oversized_upload_gets_413_however_it_is_sent(small_limit: tuple[TestClient, Headers, Path]) -> None:
    client, editor, folder = small_limit
    big = noise(400)
    assert len(big) > 100_000
    assert_problem(upload(client, editor, big, "big.png"), 413, "the limit of 97.6 KB")
    raw = {**editor, "Content-Type": "image/png"}
    assert_problem(client.post("/api/v1/media", content=big, headers=raw), 413)

    def trickle() -> Iterator[bytes]:  # no Content-Length: the limit holds while the body streams in
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    assert_problem(client.post("/api/v1/media", content=trickle(), headers=raw), 413)
    assert stored_files(folder) == []
    # A picture under the limit goes to the configured folder.
    ok = upload(client, editor, png(100, 100), "small.png")
    assert ok.status_code == 201, ok.text
    assert (folder / ok.json()["name"] / "100.webp").is_file()


# Serving


@pytest.mark.parametrize(
    "path",
    [
        "/media/../stoppress.db",
        "/media/x/..%2f..%2fstoppress.db",
        "/media/%2e%2e/stoppress.db",
        "/media/..%2fstoppress.db/320.jpg",
        "/media/media/secret.txt",
        "/media/NAME/320.png",
        "/media/NAME/320.jpg.txt",
        "/media/NAME/../../stoppress.db",
        "/media/NAME/999.jpg",
        "/media/nothere/320.jpg",
    ],
)
def test_only_renditions_are_served(client: TestClient, editor: Headers, tmp_path: Path, path: str) -> None:
    name = upload(client, editor, png(400, 100)).json()["name"]
    (tmp_path / "media" / "media").mkdir()
    (tmp_path / "media" / "media" / "secret.txt").write_text("a source's phone number")
    (tmp_path / "media" / name / "320.png").write_bytes(b"not served")
    response = client.get(path.replace("NAME", name))
    assert response.status_code == 404
    assert b"SQLite format" not in response.content and b"phone number" not in response.content


# Reading


def test_an_uploaded_picture_shows_on_the_reader_page(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    block = upload(client, editor, photo_with_location(2000, 1000)).json()["block"]
    block.update(alt="Firefighters on the roof of a school", caption="Kharkiv, this morning", credit="Jane Doe/AP")
    response = client.post("/api/v1/blogs/storm/entries", headers=editor, json={
        "title": "School hit", "blocks": [{"type": "paragraph", "html": "A school was hit."}, block]})
    assert response.status_code == 201, response.text
    assert response.json()["blocks"][1] == block

    page = lxml_html.fromstring(client.get("/live/storm").text)
    [picture] = page.xpath("//figure[contains(@class, 'sp-image')]/picture")
    [source] = picture.xpath("source")
    [img] = picture.xpath(".//img")  # lxml's HTML 4 parser nests it in the (void) <source>
    assert source.get("type") == "image/webp"
    assert [c.split()[1] for c in source.get("srcset").split(", ")] == ["320w", "640w", "1024w", "1600w"]
    assert img.get("loading") == "lazy" and img.get("alt") == "Firefighters on the roof of a school"
    assert (img.get("width"), img.get("height")) == ("1600", "800")
    for url in [img.get("src"), *(c.split()[0] for c in source.get("srcset").split(", ") + img.get("srcset").split(", "))]:
        assert client.get(url).status_code == 200, url
    assert "Image: Jane Doe/AP" in picture.getparent().text_content()


def test_an_upload_block_without_alt_text_is_refused(client: TestClient, editor: Headers, blog: dict[str, Any]) -> None:
    block = upload(client, editor, png(300, 200)).json()["block"]
    response = client.post("/api/v1/blogs/storm/entries", headers=editor, json={"title": "Photo", "blocks": [block]})
    assert_problem(response, 422, "needs alt text")
