"""`stoppress import FILE` and `stoppress export SLUG`, run through the real command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from stoppress.cli import cli

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
if not FIXTURES.exists():
    FIXTURES = Path(os.environ.get("STOPPRESS_FIXTURES", "../shared/fixtures")).resolve()
REFERENCE = FIXTURES / "dw-ukraine-updates-2024-01-23.jsonld"
SLUG = "ukraine-updates-several-killed-in-russian-missile-strikes"


def db(tmp_path: Path, name: str) -> str:
    return f"sqlite:///{tmp_path / name}"


def test_import_prints_slug_and_url(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", str(REFERENCE), "--db", db(tmp_path, "x.db")])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{SLUG}\thttp://127.0.0.1:8000/live/{SLUG}\n"

    other = CliRunner().invoke(
        cli, ["import", str(REFERENCE), "--db", db(tmp_path, "y.db"), "--slug", "ukraine",
              "--base-url", "https://live.example.com/"],
    )
    assert other.exit_code == 0, other.output
    assert other.stdout == "ukraine\thttps://live.example.com/live/ukraine\n"


def test_export_is_json_that_import_accepts(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(REFERENCE), "--db", db(tmp_path, "x.db")]).exit_code == 0
    exported = runner.invoke(cli, ["export", SLUG, "--db", db(tmp_path, "x.db")])
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.stdout)
    assert document["stoppress_export"] == 1 and document["blog"]["code"] == "4bZYA"
    assert len(document["entries"]) == 8

    (tmp_path / "export.json").write_text(exported.stdout, encoding="utf-8")
    imported = runner.invoke(cli, ["import", str(tmp_path / "export.json"), "--db", db(tmp_path, "copy.db")])
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.startswith(f"{SLUG}\t")
    again = runner.invoke(cli, ["export", SLUG, "--db", db(tmp_path, "copy.db")])
    assert json.loads(again.stdout) == document


def test_import_reads_standard_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["import", "-", "--db", db(tmp_path, "x.db")], input=REFERENCE.read_text(encoding="utf-8")
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{SLUG}\t")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "nope.jsonld"), "--db", db(tmp_path, "x.db")])
    assert result.exit_code != 0
    assert "nope.jsonld" in result.output and "does not exist" in result.output
    assert "Traceback" not in result.output


def test_non_json_file_is_a_clear_error(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text((FIXTURES / "dw-ukraine-updates-2024-01-23.txt").read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(page), "--db", db(tmp_path, "x.db")])
    assert result.exit_code != 0
    assert f"Error: {page} is not valid JSON" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_json_that_is_not_a_blog_is_a_clear_error(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"@type": "NewsArticle", "headline": "Not live"}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(other), "--db", db(tmp_path, "x.db")])
    assert result.exit_code == 1
    assert "Error: This is neither a schema.org LiveBlogPosting" in result.output


def test_importing_twice_names_the_short_code(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(REFERENCE), "--db", db(tmp_path, "x.db")]).exit_code == 0
    result = runner.invoke(cli, ["import", str(REFERENCE), "--db", db(tmp_path, "x.db")])
    assert result.exit_code == 1
    assert "short code '4bZYA' is already used" in result.output


def test_exporting_an_unknown_blog_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "nope", "--db", db(tmp_path, "x.db")])
    assert result.exit_code == 1
    assert "There is no blog 'nope'" in result.output
