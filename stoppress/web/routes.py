"""The whole URL map of Stop Press, top to bottom."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount, Route

from stoppress.web import api, embed, entry_page, feeds, media, reader
from stoppress.web.desk import admin as desk_admin
from stoppress.web.desk import auth as desk_auth
from stoppress.web.desk import history as desk_history
from stoppress.web.desk import pages as desk_pages
from stoppress.web.desk import stream as desk_stream
from stoppress.web.static import CachedStaticFiles


def routes(events_endpoint: Any) -> list[BaseRoute]:
    """`events_endpoint` is the live stream's ASGI app, built around the app's hub."""
    return [
        # Readers
        Route("/", reader.index, name="index"),
        Route("/live/{slug}", reader.blog_page, name="blog"),
        Route("/live/{slug}/events", events_endpoint, name="events"),  # also served by live_protocol
        Route("/live/{slug}/text", reader.text_view, name="text"),
        Route("/live/{slug}/entries/{code}", entry_page.entry_page, name="entry"),
        Route("/live/{slug}/feed.atom", feeds.atom_feed, name="feed_atom"),
        Route("/live/{slug}/feed.rss", feeds.rss_feed, name="feed_rss"),
        Route("/live/{slug}/feed.json", feeds.json_feed_handler, name="feed_json"),
        Route("/embed/{slug}", embed.embed_page, name="embed"),
        Route("/oembed", embed.oembed, name="oembed"),
        Route("/p/{code}", reader.short_link, name="short_link"),
        Route("/healthz", reader.healthz, name="healthz"),
        Route("/media/{name}/{file}", media.serve, methods=["GET"], name="media"),
        Mount("/static", CachedStaticFiles(packages=[("stoppress", "static")]), name="static"),
        # Desk (the newsroom's web UI; its scripts write through the API below)
        Route("/desk", desk_pages.blogs, methods=["GET"], name="desk"),
        Route("/desk/sign-in", desk_auth.sign_in_page, methods=["GET"], name="desk_sign_in"),
        Route("/desk/sign-in", desk_auth.sign_in, methods=["POST"]),
        Route("/desk/sign-out", desk_auth.sign_out, methods=["POST"]),
        Route("/desk/setup", desk_auth.setup_page, methods=["GET"], name="desk_setup"),
        Route("/desk/setup", desk_auth.setup, methods=["POST"]),
        Route("/desk/new", desk_pages.new_blog_page, methods=["GET"], name="desk_new_blog"),
        Route("/desk/new", desk_pages.create_blog, methods=["POST"]),
        Route("/desk/admin", desk_admin.page, methods=["GET"], name="desk_admin"),
        Route("/desk/admin/users", desk_admin.add_user, methods=["POST"]),
        Route("/desk/admin/users/{name}/role", desk_admin.set_role, methods=["POST"]),
        Route("/desk/admin/users/{name}/password", desk_admin.set_password, methods=["POST"]),
        Route("/desk/admin/users/{name}/delete", desk_admin.delete_user, methods=["POST"]),
        Route("/desk/admin/users/{name}/tokens", desk_admin.create_token, methods=["POST"]),
        Route("/desk/admin/users/{name}/tokens/{token_id:int}/revoke", desk_admin.revoke_token, methods=["POST"]),
        Route("/desk/blogs/{slug}", desk_pages.blog_desk, methods=["GET"], name="desk_blog"),
        Route("/desk/blogs/{slug}/settings", desk_pages.settings_page, methods=["GET"]),
        Route("/desk/blogs/{slug}/settings", desk_pages.update_settings, methods=["POST"]),
        Route("/desk/blogs/{slug}/status", desk_pages.set_status, methods=["POST"]),
        Route("/desk/blogs/{slug}/events", desk_stream.events, name="desk_events"),
        Route("/desk/blogs/{slug}/entries", desk_pages.entry_cards, methods=["GET"]),
        Route("/desk/blogs/{slug}/entries/{code}/card", desk_pages.entry_card, methods=["GET"]),
        Route("/desk/blogs/{slug}/entries/{code}/history", desk_history.history, methods=["GET"]),
        # Programs
        Route("/api/v1/openapi.json", api.openapi),
        Route("/api/v1/media", media.upload, methods=["POST"]),
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
