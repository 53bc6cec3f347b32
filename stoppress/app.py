"""create_app(settings): storage + broker + newsroom + live hub + routes, started by the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response

from stoppress import __version__
from stoppress.broker.base import Broker
from stoppress.core.services import Newsroom
from stoppress.settings import Settings
from stoppress.storage.base import Storage
from stoppress.web.cache import PageCache
from stoppress.web.desk.stream import desk_hub
from stoppress.web.errors import HANDLERS, html_error
from stoppress.web.render import Renderer, Site
from stoppress.web.routes import routes
from stoppress.web.stream import AsgiStream, Hub

log = logging.getLogger("stoppress")


def open_storage(url: str) -> Storage:
    """The storage backend for a database URL."""
    if url.startswith("sqlite:") or "://" not in url:
        from stoppress.storage.sqlite import SQLiteStorage

        return SQLiteStorage(url)
    raise ValueError(f"Unsupported database URL {url!r}: use sqlite:///PATH.")


def open_broker(url: str) -> Broker:
    """The broker for a broker URL."""
    if url in ("", "memory", "memory://"):
        from stoppress.broker.memory import MemoryBroker

        return MemoryBroker()
    raise ValueError(f"Unsupported broker URL {url!r}: use memory://.")


async def publish_scheduled(newsroom: Newsroom, every: float = 5.0) -> None:
    """Publish scheduled entries when their time comes, for as long as the app runs."""
    while True:
        try:
            await newsroom.publish_due()
        except Exception:  # noqa: BLE001 - a failed round is retried at the next one
            log.exception("could not publish scheduled entries")
        await asyncio.sleep(every)


def asset_version() -> str:
    """A short hash of the static files, so their long-cached URLs change whenever they do."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=6)
    folder = resources.files("stoppress") / "static"
    for path in sorted(_files(folder), key=str):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _files(folder: Any) -> list[Any]:
    found = []
    for item in folder.iterdir():
        found.extend(_files(item) if item.is_dir() else [item])
    return found


def create_app(settings: Settings) -> Starlette:
    storage = open_storage(settings.db)
    broker = open_broker(settings.broker)
    newsroom = Newsroom(storage, broker)
    renderer = Renderer(Site.from_settings(settings))
    renderer.env.globals["asset_version"] = asset_version()  # every page links static files by it
    cache = PageCache()
    hub = Hub(
        newsroom,
        renderer.event_payload,
        heartbeat=settings.heartbeat,
        max_buffer=settings.stream_buffer_bytes,
        on_change=cache.invalidate,
    )
    desk = desk_hub(newsroom, renderer, settings)  # the desk's live stream: every change, drafts included

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await storage.startup()
        await broker.startup()
        await hub.startup()
        await desk.startup()
        scheduler = asyncio.create_task(publish_scheduled(newsroom))
        try:
            yield
        finally:
            scheduler.cancel()
            await hub.shutdown()
            await desk.shutdown()
            await broker.shutdown()
            await storage.shutdown()

    async def not_found(message: str) -> Response:
        return html_error(Request({"type": "http", "app": app, "headers": [], "method": "GET", "path": "/"}), 404, message)

    app = Starlette(
        routes=routes(AsgiStream(hub, not_found)),
        middleware=[Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)],
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.newsroom = newsroom
    app.state.renderer = renderer
    app.state.cache = cache
    app.state.hub = hub
    app.state.desk_hub = desk
    return app
