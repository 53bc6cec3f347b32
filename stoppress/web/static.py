"""The reader's CSS and JS, with caching a browser and a CDN can act on."""

from __future__ import annotations

import os

from starlette.datastructures import Headers, QueryParams
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

# Pages link the files as `/static/reader.css?v=<version>`: a new version is a new URL, so a
# versioned URL can be kept for a year; an unversioned one is checked again after five minutes.
VERSIONED = "public, max-age=31536000, immutable"
UNVERSIONED = "public, max-age=300"


class CachedStaticFiles(StaticFiles):
    """StaticFiles whose responses say how long they may be kept (and keep saying it in a 304)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = FileResponse(full_path, status_code=status_code, stat_result=stat_result)
        versioned = bool(QueryParams(scope.get("query_string", b"")).get("v"))
        response.headers["Cache-Control"] = VERSIONED if versioned else UNVERSIONED
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response
