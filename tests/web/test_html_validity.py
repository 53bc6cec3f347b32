"""Every reader page is valid HTML, as the Nu HTML checker (the W3C's validator) reads it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from stoppress.cli import cli
from stoppress.settings import Settings
from tests.conftest import REFERENCE_JSONLD

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ENTRY_PAGE = "/live/{slug}/entries/{code}"
EMBED_PAGE = "/embed/{slug}"

Headers = dict[str, str]

# What a newsroom posts: paragraphs, a quote, a subheading, a list, an image with alt, caption and credit.
BODIES = {
    "en": (
        "<p>The river rose <strong>two metres</strong> overnight; <a href='https://example.org/warnings'>warnings</a>"
        " are in force.</p><h3>Evacuations</h3><blockquote><p>We have never seen it this high.</p>"
        "<cite>A resident</cite></blockquote><ul><li>Schools closed</li><li>Trains cancelled</li></ul>"
        "<figure><img src='/static/flood.jpg' alt='A flooded high street with a bus stuck in the water'>"
        "<figcaption>The high street at dawn. <span class='credit'>Image: Jane Doe/Agency</span></figcaption></figure>"
    ),
    "ar": (
        "<p>ارتفع منسوب النهر <strong>مترين</strong> خلال الليل، والتحذيرات سارية.</p><h3>عمليات الإجلاء</h3>"
        "<blockquote><p>لم نره بهذا الارتفاع من قبل.</p><cite>أحد السكان</cite></blockquote>"
        "<ul><li>إغلاق المدارس</li><li>إلغاء القطارات</li></ul>"
        "<figure><img src='/static/flood.jpg' alt='شارع رئيسي غمرته المياه وحافلة عالقة فيها'>"
        "<figcaption>الشارع الرئيسي عند الفجر. <span class='credit'>Image: جين دو/وكالة</span></figcaption></figure>"
    ),
}
TITLES = {
    "en": ("River floods the town centre", "Update {n}", "The storm has passed", "Storm live"),
    "ar": ("النهر يغمر وسط المدينة", "تحديث {n}", "انتهت العاصفة", "العاصفة مباشرة"),
}


def create_blogs(client: Any, editor: Headers, lang: str) -> dict[str, Any]:
    """A live blog with 25 entries (two pages), a pin and key points, and an ended one, in `lang`.

    `client` is a TestClient or an httpx.Client on a live server (the browser tests use this too).
    """
    main_title, update_title, ended_title, blog_title = TITLES[lang]
    slug = f"flood-{lang}"
    response = client.post(
        "/api/v1/blogs",
        json={
            "title": blog_title,
            "slug": slug,
            "language": lang,
            "description": main_title,
            "sections": ["UK", "Weather"],
        },
        headers=editor,
    )
    assert response.status_code == 201, response.text
    entries = []
    for number in range(25):
        body = BODIES[lang] if number % 5 == 0 else f"<p>{update_title.format(n=number)}.</p>"
        title = main_title if number == 24 else update_title.format(n=number)
        response = client.post(
            f"/api/v1/blogs/{slug}/entries",
            json={"title": title, "body": body, "key_event": number == 20},
            headers=editor,
        )
        assert response.status_code == 201, response.text
        entries.append(response.json())
    response = client.patch(
        f"/api/v1/blogs/{slug}/entries/{entries[-2]['code']}", json={"pinned": True}, headers=editor
    )
    assert response.status_code == 200, response.text
    response = client.put(f"/api/v1/blogs/{slug}/key-points", json={"items": [main_title, ended_title]}, headers=editor)
    assert response.status_code == 200, response.text

    ended = f"ended-{lang}"
    assert (
        client.post(
            "/api/v1/blogs", json={"title": ended_title, "slug": ended, "language": lang}, headers=editor
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/v1/blogs/{ended}/entries", json={"title": ended_title, "body": BODIES[lang]}, headers=editor
        ).status_code
        == 201
    )
    assert client.patch(f"/api/v1/blogs/{ended}", json={"status": "ended"}, headers=editor).status_code == 200
    return {"slug": slug, "ended": ended, "entry": entries[-1]["code"]}


def import_reference(db: str) -> str:
    result = CliRunner().invoke(cli, ["import", str(REFERENCE_JSONLD), "--db", db])
    assert result.exit_code == 0, result.output
    return result.output.split()[0]


def reader_pages(client: TestClient, editor: Headers, settings: Settings) -> dict[str, str]:
    """Name -> URL of every kind of page a reader can open, in English and in Arabic."""
    reference = import_reference(settings.db)
    pages = {"index": "/", "not found": "/live/no-such-blog", "reference blog": f"/live/{reference}"}
    for lang in ("en", "ar"):
        made = create_blogs(client, editor, lang)
        pages[f"reader page ({lang})"] = f"/live/{made['slug']}"
        pages[f"older updates, page 2 ({lang})"] = f"/live/{made['slug']}?page=2"
        pages[f"ended blog ({lang})"] = f"/live/{made['ended']}"
        pages[f"page that does not exist ({lang})"] = f"/live/{made['slug']}?page=9"
        pages[f"entry page ({lang})"] = ENTRY_PAGE.format(slug=made["slug"], code=made["entry"])
        pages[f"embed page ({lang})"] = EMBED_PAGE.format(slug=made["slug"])
    return pages


def readable(messages: list[dict[str, Any]], names: dict[str, str]) -> str:
    lines = []
    for m in messages:
        name = names.get(Path(m.get("url", "")).name, m.get("url", "?"))
        extract = " ".join(m.get("extract", "").split())[:160]
        lines.append(f"- {name}, line {m.get('lastLine', '?')}: {m.get('message')}\n    {extract}")
    return "\n".join(lines)


def test_every_reader_page_is_valid_html(
    client: TestClient, editor: Headers, settings: Settings, tmp_path: Path
) -> None:
    java = shutil.which("java")
    if java is None:
        pytest.skip("The Nu HTML checker needs Java 11 or newer: apt-get install -y default-jre-headless")
    assert VNU.exists(), f"{VNU} is missing: run `npm ci --no-audit --no-fund` in {ROOT}"

    pages = reader_pages(client, editor, settings)
    files: dict[str, str] = {}
    for number, (name, url) in enumerate(pages.items()):
        response = client.get(url)
        expected = 404 if name.startswith(("not found", "page that does not exist")) else 200
        assert response.status_code == expected, f"{name}: {url} answered {response.status_code}"
        assert response.headers["content-type"].startswith("text/html"), f"{name}: {url} is not HTML"
        path = tmp_path / f"page-{number:02d}.html"
        path.write_bytes(response.content)
        files[path.name] = f"{name} ({url})"

    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--errors-only", *sorted(str(tmp_path / f) for f in files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        messages = json.loads(result.stderr or result.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"The Nu HTML checker did not answer in JSON (exit {result.returncode}):\n{result.stderr[-2000:]}")
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    assert not errors, f"The Nu HTML checker found {len(errors)} error(s):\n" + readable(errors, files)
    assert result.returncode == 0, result.stderr[-2000:]
