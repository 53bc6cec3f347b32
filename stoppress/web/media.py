"""Pictures over HTTP: `POST /api/v1/media` uploads one, `GET /media/{name}/{file}` serves its renditions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stoppress.core.media import size_text
from stoppress.core.uploads import upload_image
from stoppress.storage.media_files import MediaStore, open_media_store, valid_path
from stoppress.web.api import actor
from stoppress.web.errors import Problem

CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}
# A picture's files never change (a new upload gets a new name), so they can be kept for a year.
SERVED_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}
HOW_TO_SEND = ("Send the picture as multipart/form-data with a 'file' field, or as the raw bytes with "
               "'Content-Type: image/jpeg' (or image/png, image/webp, image/gif).")
FORM_OVERHEAD = 65_536
AT_ONCE = 2  # pictures decoded at the same time: each can take a few hundred MB while it is


@dataclass
class Pictures:
    """The app's media store, and the gate that keeps picture decoding from eating the memory."""

    store: MediaStore
    gate: asyncio.Semaphore


def _pictures(request: Request) -> Pictures:
    state = request.app.state
    if getattr(state, "media", None) is None:
        state.media = Pictures(open_media_store(state.settings), asyncio.Semaphore(AT_ONCE))
    return state.media  # type: ignore[no-any-return]


def _too_large(limit: int) -> Problem:
    return Problem(413, f"The picture is larger than the limit of {size_text(limit)}. "
                        "Export it smaller (e.g. as JPEG, 3000 pixels wide) and try again.", field="file")


async def _limited(request: Request, limit: int, slack: int = 0) -> AsyncGenerator[bytes, None]:
    """The request body, refused with 413 as soon as it grows past `limit` + `slack` (not after reading it all)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + slack:
        raise _too_large(limit)
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit + slack:
            raise _too_large(limit)
        yield chunk


async def _picture_bytes(request: Request, limit: int) -> bytes:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        # The form's boundaries and headers come on top of the picture: a little room for them.
        body = _limited(request, limit, slack=FORM_OVERHEAD)
        parser = MultiPartParser(request.headers, body, max_files=1, max_fields=20)
        try:
            form = await parser.parse()
        except MultiPartException as exc:
            raise Problem(400, f"The form could not be read ({exc.message}). {HOW_TO_SEND}") from None
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Problem(422, f"The form has no picture in a 'file' field. {HOW_TO_SEND}", field="file")
            data = await upload.read()
            if len(data) > limit:
                raise _too_large(limit)
            return data
        finally:
            await form.close()
    if kind.startswith("image/") or kind == "application/octet-stream":
        return b"".join([chunk async for chunk in _limited(request, limit)])
    raise Problem(415, HOW_TO_SEND)


async def upload(request: Request) -> Response:
    """POST /api/v1/media: 201 with the picture's name, widths and a ready-to-use image block."""
    user = await actor(request)  # before reading a byte of the body
    limit = request.app.state.settings.max_upload_bytes
    data = await _picture_bytes(request, limit)
    pictures = _pictures(request)
    async with pictures.gate:
        stored = await upload_image(request.app.state.newsroom, pictures.store, user, data, max_bytes=limit)
    return JSONResponse(stored.as_json(), status_code=201, headers={"Location": stored.src})


async def serve(request: Request) -> Response:
    """GET /media/{name}/{file}: one rendition of an uploaded picture; nothing else, ever."""
    path = f"{request.path_params['name']}/{request.path_params['file']}"
    data = await _pictures(request).store.open(path) if valid_path(path) else None
    if data is None:
        raise HTTPException(404)
    return Response(data, media_type=CONTENT_TYPES[path.rsplit(".", 1)[1]], headers=SERVED_HEADERS)
