"""The documentation says what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from stoppress.cli import cli
from stoppress.settings import Settings, configuration_doc

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_doc_lists_every_setting() -> None:
    assert (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8") == configuration_doc(), (
        "docs/configuration.md is out of date: regenerate it with "
        "python -c \"from stoppress.settings import configuration_doc; print(configuration_doc(), end='')\""
    )


def test_every_serve_flag_is_a_setting() -> None:
    help_text = CliRunner().invoke(cli, ["serve", "--help"]).output
    names = {name for name, *_ in Settings.table()}
    for flag in re.findall(r"--([a-z-]+)", help_text):
        if flag != "help":
            assert flag.replace("-", "_") in names, f"--{flag} is not in the settings table"


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.strip().splitlines()[-1]
    assert command in readme


def test_cli_lists_every_public_command() -> None:
    output = CliRunner().invoke(cli, ["--help"]).output
    for command in ("serve", "users", "tokens", "import", "export"):
        assert re.search(rf"^\s+{command}\s", output, re.M), command
