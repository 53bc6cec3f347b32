"""Rendered pages kept in memory until the blog's next event: a busy page is rendered once per change."""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

# Short enough that a CDN hardly ever serves a stale page; the live stream covers the rest.
CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"
GZIP_FROM = 1024  # bytes; smaller bodies gain nothing from compression


@dataclass(slots=True)
class Cached:
    """A rendered response body, with its compressed form made once, on first demand."""

    body: bytes
    etag: str
    _gzipped: bytes | None = field(default=None, repr=False)

    @classmethod
    def of(cls, body: bytes) -> Cached:
        return cls(body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


def cached_response(request: Request, hit: Cached, media_type: str) -> Response:
    """Answer with a cached body: 304 when the client has it, gzipped once for every reader who accepts it."""
    gzip_ok = len(hit.body) >= GZIP_FROM and "gzip" in request.headers.get("accept-encoding", "")
    etag = hit.etag[:-1] + '-gz"' if gzip_ok else hit.etag  # each representation has its own tag
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
        return Response(hit.gzipped(), media_type=media_type, headers=headers)
    return Response(hit.body, media_type=media_type, headers=headers)


class PageCache:
    def __init__(self, max_items: int = 512) -> None:
        self.max_items = max_items
        self._items: OrderedDict[tuple[str, str], Cached] = OrderedDict()
        self._keys_of_blog: dict[int, set[tuple[str, str]]] = {}
        self._latest_event: dict[int, int] = {}

    def get(self, slug: str, variant: str) -> Cached | None:
        item = self._items.get((slug, variant))
        if item is not None:
            self._items.move_to_end((slug, variant))
        return item

    def put(self, slug: str, blog_id: int, variant: str, body: bytes, event_id: int) -> Cached:
        """Keep a rendering made from the blog as of `event_id` (unless a newer event has been seen)."""
        item = Cached.of(body)
        if event_id < self._latest_event.get(blog_id, 0):
            return item  # rendered from data older than an event we already saw: serve it, don't keep it
        self._items[(slug, variant)] = item
        self._keys_of_blog.setdefault(blog_id, set()).add((slug, variant))
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)
        return item

    def invalidate(self, blog_id: int, event_id: int) -> None:
        self._latest_event[blog_id] = max(event_id, self._latest_event.get(blog_id, 0))
        for key in self._keys_of_blog.pop(blog_id, ()):
            self._items.pop(key, None)
