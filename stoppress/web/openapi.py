"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from stoppress import __version__


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PROBLEM = {"description": "The problem, in words a person can act on.",
           "content": {"application/problem+json": {"schema": _ref("Problem")}}}
ERRORS = {str(code): PROBLEM for code in (400, 401, 403, 404, 413, 415, 422)}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}, "description": "The blog's slug."}
CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}, "description": "The entry's short code."}
TEXT = {"type": "string"}
TIME = {"type": ["string", "null"], "format": "date-time"}

IMAGE = {
    "type": "object",
    "required": ["alt"],
    "properties": {"src": TEXT, "alt": {**TEXT, "description": "What the picture shows, for people who cannot see it."},
                   "caption": TEXT, "credit": TEXT},
}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "properties": {"type": TEXT, "title": TEXT, "status": {"type": "integer"}, "detail": TEXT, "field": TEXT,
                       "current_version": {"type": "integer"}},
    },
    "Image": IMAGE,
    "Block": {
        "type": "object",
        "required": ["type"],
        "description": "One piece of an entry's body, in order.",
        "properties": {
            "type": {"enum": ["paragraph", "subheading", "quote", "list", "image", "video"]},
            "html": {**TEXT, "description": "Sanitised inline HTML (paragraph, quote)."},
            "text": {**TEXT, "description": "Plain text (subheading)."},
            "cite": TEXT, "ordered": {"type": "boolean"}, "items": {"type": "array", "items": TEXT},
            "src": TEXT, "alt": TEXT, "caption": TEXT, "credit": TEXT, "url": TEXT, "title": TEXT,
            "media": {**TEXT, "description": "An uploaded picture's name (image); POST /api/v1/media gives it."},
            "width": {"type": "integer"}, "height": {"type": "integer"},
            "widths": {"type": "array", "items": {"type": "integer"}, "maxItems": 8},
        },
    },
    "BlogInput": {
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": TEXT,
            "slug": {**TEXT, "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "description": "Derived from the title when absent."},
            "description": TEXT,
            "language": {**TEXT, "default": "en"},
            "sections": {"type": "array", "items": TEXT},
            "lead_image": IMAGE,
            "publisher": TEXT,
            "status": {"enum": ["live", "ended"]},
        },
    },
    "Blog": {
        "type": "object",
        "properties": {
            "slug": TEXT, "code": TEXT, "title": TEXT, "description": TEXT, "language": TEXT,
            "sections": {"type": "array", "items": TEXT}, "lead_image": {"oneOf": [IMAGE, {"type": "null"}]},
            "status": {"enum": ["live", "ended"]}, "publisher": TEXT, "published_at": TIME, "updated_at": TIME,
            "ended_at": TIME, "key_points": _ref("KeyPoints"), "url": TEXT, "short_url": TEXT,
            "last_event_id": {"type": "integer"},
        },
    },
    "KeyPoints": {"type": "object", "properties": {"items": {"type": "array", "items": TEXT}, "updated_at": TIME}},
    "EntryInput": {
        "type": "object",
        "properties": {
            "title": TEXT,
            "body": {**TEXT, "maxLength": 100_000},
            "format": {"enum": ["html", "markdown", "text"], "default": "html"},
            "blocks": {"type": "array", "items": _ref("Block"), "description": "Instead of body: the blocks themselves."},
            "key_event": {"type": "boolean"},
            "pinned": {"type": "boolean"},
            "status": {"enum": ["published", "draft", "submitted"],
                       "description": "A contributor's entry is stored as 'submitted' until an editor publishes it."},
        },
    },
    "Entry": {
        "type": "object",
        "properties": {
            "code": TEXT, "title": TEXT, "blocks": {"type": "array", "items": _ref("Block")},
            "status": {"enum": ["published", "draft", "submitted"]}, "key_event": {"type": "boolean"},
            "pinned": {"type": "boolean"}, "author": TEXT, "version": {"type": "integer"},
            "created_at": TIME, "published_at": TIME, "updated_at": TIME,
            "url": TEXT, "short_url": TEXT, "html": TEXT, "text": TEXT,
        },
    },
}


def _op(summary: str, responses: dict[str, Any], *, params: list[Any] | None = None,
        body: str | None = None, headers: list[Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": [*(params or []), *(headers or [])],
                          "responses": {**responses, **ERRORS}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return op


IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": TEXT,
            "description": 'The version you edited, as an ETag ("3"); answered with 412 if someone changed it since.'}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Stop Press API", "version": __version__,
             "description": "Run live blogs from programs. Authenticate with `Authorization: Bearer TOKEN` "
                            "(create one with `stoppress tokens create NAME`). The desk calls the same API with its session "
                            "cookie; then every write also needs the page's `X-CSRF-Token` header. "
                            "Errors are RFC 9457 problem+json."},
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "components": {"schemas": SCHEMAS,
                   "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "paths": {
        "/api/v1/openapi.json": {"get": {"summary": "This description", "security": [],
                                         "responses": {"200": {"description": "OpenAPI document"}}}},
        "/api/v1/media": {"post": {
            **_op("Upload a picture: checked, stripped of its metadata (location too), stored at several widths",
                  {"201": _json({"type": "object", "properties": {
                      "name": TEXT, "src": TEXT, "width": {"type": "integer"}, "height": {"type": "integer"},
                      "widths": {"type": "array", "items": {"type": "integer"}}, "block": _ref("Block")}},
                      "Stored; put `block` in an entry after writing its alt text")}),
            "requestBody": {"required": True, "content": {
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"}}}},
                "image/*": {"schema": {"type": "string", "format": "binary"}}}},
        }},
        "/api/v1/blogs": {
            "get": _op("List blogs", {"200": _json({"type": "object", "properties": {"blogs": {"type": "array", "items": _ref("Blog")}}}, "Every blog")}),
            "post": _op("Create a blog", {"201": _json(_ref("Blog"), "Created"), "409": PROBLEM}, body="BlogInput"),
        },
        "/api/v1/blogs/{slug}": {
            "get": _op("Read a blog", {"200": _json(_ref("Blog"), "The blog")}, params=[SLUG]),
            "patch": _op("Change a blog (title, status, ...)", {"200": _json(_ref("Blog"), "Changed")}, params=[SLUG], body="BlogInput"),
        },
        "/api/v1/blogs/{slug}/export": {
            "get": _op("Export a blog with every entry, for `stoppress import`", {"200": {"description": "The export"}}, params=[SLUG]),
        },
        "/api/v1/blogs/{slug}/key-points": {
            "put": _op("Replace the key points ('What you need to know')",
                       {"200": _json(_ref("KeyPoints"), "The new key points")}, params=[SLUG], body="KeyPoints"),
        },
        "/api/v1/blogs/{slug}/entries": {
            "get": _op("List entries, newest first", {"200": _json({"type": "object", "properties": {
                "entries": {"type": "array", "items": _ref("Entry")}, "total": {"type": "integer"},
                "page": {"type": "integer"}, "per_page": {"type": "integer"}}}, "A page of entries")},
                params=[SLUG,
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                        {"name": "status", "in": "query", "schema": {"enum": ["all"]}, "description": "Include drafts and submissions."}]),
            "post": _op("Post an entry", {"201": _json(_ref("Entry"), "Created; readers see it now")}, params=[SLUG], body="EntryInput"),
        },
        "/api/v1/blogs/{slug}/entries/{code}": {
            "get": _op("Read an entry", {"200": _json(_ref("Entry"), "The entry; its ETag is its version")}, params=[SLUG, CODE]),
            "patch": _op("Change an entry", {"200": _json(_ref("Entry"), "Changed"), "409": PROBLEM, "412": PROBLEM},
                         params=[SLUG, CODE], body="EntryInput", headers=[IF_MATCH]),
            "delete": _op("Delete an entry", {"204": {"description": "Deleted; readers' pages drop it"}}, params=[SLUG, CODE]),
        },
        "/api/v1/blogs/{slug}/entries/{code}/revisions": {
            "get": _op("An entry's history", {"200": {"description": "Every version, oldest first, with its author"}}, params=[SLUG, CODE]),
        },
    },
}
