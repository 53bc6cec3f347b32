"""The reference page (DW, 23 January 2024) imported and read back as text, in the page's order."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner
from starlette.testclient import TestClient

from stoppress.app import create_app
from stoppress.cli import cli
from stoppress.settings import Settings
from tests.conftest import REFERENCE_JSONLD, REFERENCE_TEXT


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def expected_sequence() -> list[str]:
    """What a reader of the reference page meets, top to bottom, taken from the JSON-LD."""
    doc = json.loads(REFERENCE_JSONLD.read_text(encoding="utf-8"))
    wanted = [doc["headline"], doc["description"], doc["url"], doc["image"]["caption"], doc["image"]["creditText"]]
    wanted += doc["abstract"]
    for update in doc["liveBlogUpdate"]:
        wanted.append(update["headline"])
        for item in update["x-items"]:
            if item["type"] in ("paragraph", "subheading"):
                wanted.append(item["text"])
            elif item["type"] == "image":
                wanted += [item["caption"], item["credit"]]
            elif item["type"] == "video":
                wanted.append(item["title"])
        wanted.append(update["url"])
    return [normalise(w) for w in wanted]


def assert_in_order(haystack: str, needles: list[str]) -> None:
    position = 0
    for needle in needles:
        found = haystack.find(needle, position)
        assert found >= 0, f"missing or out of order: {needle[:80]!r}"
        position = found + len(needle)


def test_the_sequence_matches_the_reference_page_itself() -> None:
    # Guards this test: what we expect is what the real page shows, in its order.
    assert_in_order(normalise(REFERENCE_TEXT.read_text(encoding="utf-8")), expected_sequence())


def test_imported_reference_reads_back_as_text_in_the_page_order(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'ref.db'}"
    result = CliRunner().invoke(cli, ["import", str(REFERENCE_JSONLD), "--db", db])
    assert result.exit_code == 0, result.output
    slug = result.output.split()[0]
    settings = Settings.load({"db": db, "base_url": "http://testserver", "short_link_base": "https://p.dw.com/p/"}, environ={})
    with TestClient(create_app(settings)) as client:
        text = client.get(f"/live/{slug}/text")
        assert text.status_code == 200
        assert text.headers["content-type"].startswith("text/plain")
        assert_in_order(normalise(text.text), expected_sequence())
        assert "Conflicts > Ukraine" in text.text

        page = client.get(f"/live/{slug}").text
        for code in ("4bZYA", "4baxK", "4bajW", "4bZYB"):
            assert f"https://p.dw.com/p/{code}" in page
        assert page.count("Skip next section") == 1 + 8  # the key points and each of the 8 entries
        assert 'aria-label="Breadcrumb"' in page and "<li>Conflicts</li><li>Ukraine</li>" in page
        assert "Image: Efrem Lukatsky/AP Photo/picture alliance" in page
        assert "What you need to know" in page
        # The old short links land on their entries.
        response = client.get("/p/4bZYB", follow_redirects=False)
        assert response.status_code == 302 and response.headers["location"] == f"/live/{slug}#e-4bZYB"
