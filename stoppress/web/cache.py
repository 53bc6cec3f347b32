"""Rendered pages kept in memory until the blog's next event: a busy page is rendered once per change."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cached:
    body: bytes
    etag: str


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
        item = Cached(body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')
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
