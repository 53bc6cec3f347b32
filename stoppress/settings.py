"""Every setting of Stop Press, declared once: name, environment variable, default and help.

The CLI turns each into a flag; `docs/configuration.md` is generated from this table and a test fails
when the two disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any


def _setting(default: Any, help: str, *, cast: type = str) -> Any:
    return field(default=default, metadata={"help": help, "cast": cast})


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = _setting("127.0.0.1", "Address to listen on.")
    port: int = _setting(8000, "Port to listen on.", cast=int)
    db: str = _setting(
        "sqlite:///stoppress.db",
        "Database URL: sqlite:///PATH (relative to the working folder) or sqlite:////ABSOLUTE/PATH.",
    )
    broker: str = _setting("memory://", "Event broker URL: memory:// (one process).")
    base_url: str = _setting(
        "", "Public address of the site, e.g. https://live.example.com; http://HOST:PORT when empty."
    )
    short_link_base: str = _setting(
        "", "Public prefix of short links, e.g. https://p.dw.com/p/; BASE_URL/p/ when empty."
    )
    page_size: int = _setting(20, "Entries per reader page.", cast=int)
    heartbeat: float = _setting(15.0, "Seconds between keep-alive comments on idle live streams.", cast=float)
    max_request_bytes: int = _setting(1_048_576, "Largest request body accepted, in bytes.", cast=int)
    max_upload_bytes: int = _setting(20_971_520, "Largest picture upload accepted, in bytes (20 MiB).", cast=int)
    media_dir: str = _setting(
        "", "Folder for uploaded pictures; a `media` folder next to the SQLite database when empty."
    )
    stream_buffer_bytes: int = _setting(
        262_144, "A live reader whose unsent data exceeds this many bytes has stopped reading and is dropped.", cast=int
    )

    @staticmethod
    def env_name(name: str) -> str:
        return "STOPPRESS_" + name.upper()

    @classmethod
    def table(cls) -> list[tuple[str, str, Any, str]]:
        """(name, environment variable, default, help) for every setting."""
        return [(f.name, cls.env_name(f.name), f.default, f.metadata["help"]) for f in fields(cls)]

    @classmethod
    def load(cls, overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Settings:
        """Defaults, then environment variables, then explicit overrides (CLI flags), each cast."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = (overrides or {}).get(f.name)
            if raw is None:
                raw = environ.get(cls.env_name(f.name))
            if raw is None:
                continue
            try:
                values[f.name] = f.metadata["cast"](raw)
            except ValueError:
                raise ValueError(f"{cls.env_name(f.name)} / --{f.name.replace('_', '-')}: {raw!r} is not a valid {f.metadata['cast'].__name__}") from None
        return cls(**values)


def configuration_doc() -> str:
    """docs/configuration.md, generated from the table above."""
    lines = [
        "# Configuration",
        "",
        "Every setting can be given as a flag of `stoppress serve` (where it has one) or as an environment",
        "variable. This page is generated from `stoppress/settings.py`; a test fails when they disagree.",
        "",
        "| Setting | Environment variable | Default | What it does |",
        "|---|---|---|---|",
    ]
    for name, env, default, help in Settings.table():
        lines.append(f"| `{name}` | `{env}` | `{default}` | {help} |")
    return "\n".join(lines) + "\n"
