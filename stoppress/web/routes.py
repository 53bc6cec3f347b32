"""The whole URL map of Stop Press, top to bottom."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from stoppress.web import api, reader


def routes(events_endpoint: Any) -> list[BaseRoute]:
    """`events_endpoint` is the live stream's ASGI app, built around the app's hub."""
    return [
        # Readers
        Route("/", reader.index, name="index"),
        Route("/live/{slug}", reader.blog_page, name="blog"),
        Route("/live/{slug}/events", events_endpoint, name="events"),  # also served by live_protocol
        Route("/live/{slug}/text", reader.text_view, name="text"),
        Route("/p/{code}", reader.short_link, name="short_link"),
        Route("/healthz", reader.healthz, name="healthz"),
        Mount("/static", StaticFiles(packages=[("stoppress", "static")]), name="static"),
        # Programs
        Route("/api/v1/openapi.json", api.openapi),
        Route("/api/v1/blogs", api.list_blogs, methods=["GET"]),
        Route("/api/v1/blogs", api.create_blog, methods=["POST"]),
        Route("/api/v1/blogs/{slug}", api.get_blog, methods=["GET"]),
        Route("/api/v1/blogs/{slug}", api.update_blog, methods=["PATCH"]),
        Route("/api/v1/blogs/{slug}/export", api.export_blog, methods=["GET"]),
        Route("/api/v1/blogs/{slug}/key-points", api.put_key_points, methods=["PUT"]),
        Route("/api/v1/blogs/{slug}/entries", api.list_entries, methods=["GET"]),
        Route("/api/v1/blogs/{slug}/entries", api.create_entry, methods=["POST"]),
        Route("/api/v1/blogs/{slug}/entries/{code}", api.get_entry, methods=["GET"]),
        Route("/api/v1/blogs/{slug}/entries/{code}", api.update_entry, methods=["PATCH"]),
        Route("/api/v1/blogs/{slug}/entries/{code}", api.delete_entry, methods=["DELETE"]),
        Route("/api/v1/blogs/{slug}/entries/{code}/revisions", api.revisions, methods=["GET"]),
    ]
