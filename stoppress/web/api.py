"""The JSON API (/api/v1): thin handlers that parse, call the newsroom, and shape the answer."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stoppress.core import content, permissions
from stoppress.core.errors import Conflict
from stoppress.core.models import Blog, Entry, User
from stoppress.core.services import Newsroom
from stoppress.web.desk.auth import SESSION_COOKIE, session_actor
from stoppress.web.errors import Problem
from stoppress.web.render import Site

VERSION_RE = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def _newsroom(request: Request) -> Newsroom:
    return request.app.state.newsroom


def _site(request: Request) -> Site:
    return request.app.state.renderer.site


async def actor(request: Request) -> User:
    header = request.headers.get("authorization", "")
    if not header and request.cookies.get(SESSION_COOKIE):
        # The desk's own scripts: the session cookie, and for writes its CSRF token as X-CSRF-Token.
        return await session_actor(request)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "Send an API token as 'Authorization: Bearer TOKEN'; create one with `stoppress tokens create NAME`.")
    return await _newsroom(request).user_for_token(token.strip())


async def json_body(request: Request) -> dict[str, Any]:
    limit = request.app.state.settings.max_request_bytes
    if not request.headers.get("content-type", "").split(";")[0].strip().endswith("json"):
        raise Problem(415, "Send the request body as JSON with 'Content-Type: application/json'.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"The request body is larger than {limit:,} bytes.")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise Problem(413, f"The request body is larger than {limit:,} bytes.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise Problem(422, "The request body must be a JSON object, e.g. {\"title\": \"...\"}.")
    return data


def blog_json(blog: Blog, site: Site) -> dict[str, Any]:
    return {**blog.snapshot(), "url": site.blog_url(blog.slug), "short_url": site.short_url(blog.code),
            "last_event_id": blog.last_event_id}


def entry_json(blog: Blog, entry: Entry, site: Site) -> dict[str, Any]:
    return {
        **entry.snapshot(),
        "url": site.entry_url(blog.slug, entry.code),
        "short_url": site.short_url(entry.code),
        "html": content.render_html(entry.blocks),
        "text": content.render_text(entry.blocks),
    }


def _entry_response(blog: Blog, entry: Entry, site: Site, status: int = 200) -> JSONResponse:
    headers = {"ETag": f'"{entry.version}"', "Cache-Control": "no-store"}
    if status == 201:
        headers["Location"] = f"/api/v1/blogs/{blog.slug}/entries/{entry.code}"
    return JSONResponse(entry_json(blog, entry, site), status_code=status, headers=headers)


async def list_blogs(request: Request) -> Response:
    await actor(request)
    blogs = await _newsroom(request).list_blogs()
    return JSONResponse({"blogs": [blog_json(b, _site(request)) for b in blogs]})


async def create_blog(request: Request) -> Response:
    user = await actor(request)
    blog = await _newsroom(request).create_blog(user, await json_body(request))
    return JSONResponse(blog_json(blog, _site(request)), status_code=201,
                        headers={"Location": f"/api/v1/blogs/{blog.slug}"})


async def get_blog(request: Request) -> Response:
    await actor(request)
    blog = await _newsroom(request).get_blog(request.path_params["slug"])
    return JSONResponse(blog_json(blog, _site(request)))


async def update_blog(request: Request) -> Response:
    user = await actor(request)
    blog = await _newsroom(request).update_blog(user, request.path_params["slug"], await json_body(request))
    return JSONResponse(blog_json(blog, _site(request)))


async def put_key_points(request: Request) -> Response:
    user = await actor(request)
    data = await json_body(request)
    if "items" not in data:
        raise Problem(422, 'Send the key points as {"items": ["...", "..."]}.', field="items")
    blog = await _newsroom(request).set_key_points(user, request.path_params["slug"], data["items"])
    return JSONResponse(blog_json(blog, _site(request))["key_points"])


async def list_entries(request: Request) -> Response:
    user = await actor(request)
    newsroom = _newsroom(request)
    blog = await newsroom.get_blog(request.path_params["slug"])
    page_raw = request.query_params.get("page", "1")
    per_page_raw = request.query_params.get("per_page", "20")
    if not page_raw.isdigit() or not per_page_raw.isdigit() or not 1 <= int(per_page_raw) <= 100 or int(page_raw) < 1:
        raise Problem(422, "page must be 1 or more and per_page between 1 and 100.")
    include_unpublished = request.query_params.get("status") == "all"
    if include_unpublished:
        permissions.require_editor(user, "list drafts and submissions")
    listing = await newsroom.list_entries(
        blog, page=int(page_raw), per_page=int(per_page_raw), include_unpublished=include_unpublished
    )
    site = _site(request)
    return JSONResponse({"entries": [entry_json(blog, e, site) for e in listing.entries], "total": listing.total,
                         "page": int(page_raw), "per_page": int(per_page_raw)})


async def create_entry(request: Request) -> Response:
    user = await actor(request)
    newsroom = _newsroom(request)
    slug = request.path_params["slug"]
    entry = await newsroom.create_entry(user, slug, await json_body(request))
    return _entry_response(await newsroom.get_blog(slug), entry, _site(request), status=201)


async def get_entry(request: Request) -> Response:
    user = await actor(request)
    newsroom = _newsroom(request)
    blog = await newsroom.get_blog(request.path_params["slug"])
    entry = await newsroom.get_entry(blog, request.path_params["code"], user)
    return _entry_response(blog, entry, _site(request))


async def update_entry(request: Request) -> Response:
    user = await actor(request)
    newsroom = _newsroom(request)
    slug, code = request.path_params["slug"], request.path_params["code"]
    expected = None
    if_match = request.headers.get("if-match")
    if if_match is not None and if_match.strip() != "*":
        match = VERSION_RE.match(if_match)
        if not match:
            raise Problem(400, 'If-Match must be the entry\'s version as an ETag, e.g. If-Match: "3".')
        expected = int(match.group(1))
    data = await json_body(request)
    try:
        entry = await newsroom.update_entry(user, slug, code, data, expected)
    except Conflict as exc:
        if expected is None:
            raise
        version = getattr(exc.current, "version", None)
        raise Problem(
            412,
            f"This entry was changed by someone else: it is now version {version}, you sent If-Match "
            f"{expected}. Fetch it again and reapply your change.",
            current_version=version,
        ) from None
    return _entry_response(await newsroom.get_blog(slug), entry, _site(request))


async def delete_entry(request: Request) -> Response:
    user = await actor(request)
    await _newsroom(request).delete_entry(user, request.path_params["slug"], request.path_params["code"])
    return Response(status_code=204)


async def revisions(request: Request) -> Response:
    user = await actor(request)
    newsroom = _newsroom(request)
    blog = await newsroom.get_blog(request.path_params["slug"])
    entry = await newsroom.get_entry(blog, request.path_params["code"], user)
    found = await newsroom.revisions(entry)
    return JSONResponse({"revisions": [
        {"version": r.version, "author": r.author_name, "created_at": r.created_at.isoformat(), "entry": r.snapshot}
        for r in found
    ]})


async def export_blog(request: Request) -> Response:
    from stoppress.core.interchange import export_blog as export

    await actor(request)
    newsroom = _newsroom(request)
    return JSONResponse(await export(newsroom, request.path_params["slug"]))


async def openapi(request: Request) -> Response:
    from stoppress.web.openapi import SPEC

    return JSONResponse(SPEC)
