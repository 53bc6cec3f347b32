"""The core knows the newsroom and nothing of HTTP, templates or database drivers."""

from __future__ import annotations

import ast
from pathlib import Path

import stoppress.core

FORBIDDEN = ("starlette", "uvicorn", "httptools", "jinja2", "markupsafe", "sqlite3", "asyncpg", "psycopg", "redis",
             "babel", "stoppress.web", "stoppress.app", "stoppress.i18n", "stoppress.storage.sqlite")


def test_the_core_imports_no_web_framework_template_engine_or_driver() -> None:
    offences = []
    for path in Path(stoppress.core.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offences += [f"{path.name}: {name}" for name in names if name.startswith(FORBIDDEN)]
    assert not offences, offences
