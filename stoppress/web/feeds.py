"""A blog's newest entries as Atom, RSS 2.0 and JSON Feed 1.1, for feed readers and aggregators.

Each feed carries the newest entries in full, with their pictures and links to where they are in the
blog. An entry's id is its short link: it never changes, so an edited entry is the same item with a new
`updated` time. Feeds come from the page cache, which the blog's next public change clears.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator
from starlette.requests import Request
from starlette.responses import Response

from stoppress.core import content
from stoppress.core.models import Blog, Entry
from stoppress.i18n import language
from stoppress.web.cache import cached_response
from stoppress.web.render import Site
from stoppress.web.structured import SITE_NAME, absolute, page_url, publisher_name

NEWEST = 50
ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
# Site-relative addresses in an entry's HTML made absolute: a feed is read far from the site.
_RELATIVE = re.compile(r'(\s(?:src|href)=")/(?!/)')
_SRCSET = re.compile(r'(\ssrcset=")([^"]*)"')


def _absolute_srcset(site: Site, srcset: str) -> str:
    candidates = (c.strip() for c in srcset.split(","))
    return ", ".join(site.base_url + c if c.startswith("/") and not c.startswith("//") else c for c in candidates)


class Feed:
    """One blog's newest entries, with the addresses a feed needs for them."""

    def __init__(self, blog: Blog, entries: list[Entry], site: Site, page_size: int) -> None:
        self.blog = blog
        self.entries = entries
        self.site = site
        self.page_size = page_size
        self.gettext = language(blog.language).gettext  # labels in the blog's language ("Image: ...")

    def feed_url(self, kind: str) -> str:
        return f"{self.site.blog_url(self.blog.slug)}/feed.{kind}"

    def entry_url(self, position: int, entry: Entry) -> str:
        """Where the entry is in the blog: the entries are newest first, so its page follows from its place."""
        return f"{page_url(self.site, self.blog.slug, position // self.page_size + 1)}#e-{entry.code}"

    def html(self, entry: Entry) -> str:
        html = _RELATIVE.sub(rf"\1{self.site.base_url}/", content.render_html(entry.blocks, self.gettext))
        # Feed readers show content away from our site: every picture candidate needs a full address.
        return _SRCSET.sub(lambda m: f'{m.group(1)}{_absolute_srcset(self.site, m.group(2))}"', html)

    def image(self, entry: Entry) -> str:
        for block in content.images(entry.blocks):
            if src := absolute(self.site, str(block.get("src", ""))):
                return src
        return ""

    @property
    def updated(self) -> datetime:
        moments = [self.blog.updated_at, self.blog.published_at] + [_modified(e) for e in self.entries]
        return max((m for m in moments if m), default=datetime(1970, 1, 1, tzinfo=UTC))


def _modified(entry: Entry) -> datetime | None:
    return entry.updated_at or entry.published_at


def _generator(feed: Feed, kind: str) -> FeedGenerator:
    blog, site = feed.blog, feed.site
    gen = FeedGenerator()
    gen.load_extension("media")
    gen.id(site.short_url(blog.code))
    gen.title(blog.title)
    gen.subtitle(blog.description or blog.title)  # RSS needs a description
    gen.language(blog.language)
    gen.author({"name": publisher_name(blog)})
    gen.updated(feed.updated)
    gen.generator(SITE_NAME)
    # RSS has one <link>, the last one given: the blog, not the feed.
    media = ATOM if kind == "atom" else RSS
    gen.link(href=feed.feed_url(kind), rel="self", type=media.split(";")[0])
    gen.link(href=site.blog_url(blog.slug), rel="alternate", type="text/html")
    if blog.lead_image and (src := absolute(site, blog.lead_image.src)):
        gen.logo(src)
    for position, entry in enumerate(feed.entries):
        item = gen.add_entry(order="append")
        item.id(site.short_url(entry.code))
        item.title(entry.title)
        item.link(href=feed.entry_url(position, entry), rel="alternate", type="text/html")
        item.summary(content.summary(entry.blocks) or entry.title)
        item.content(feed.html(entry), type="html")
        item.published(entry.published_at)
        item.updated(_modified(entry))
        for block in content.images(entry.blocks):
            if src := absolute(site, str(block.get("src", ""))):
                item.media.content({"url": src, "medium": "image"}, group=None)
    return gen


def atom(feed: Feed) -> bytes:
    return bytes(_generator(feed, "atom").atom_str(pretty=False))


def rss(feed: Feed) -> bytes:
    return bytes(_generator(feed, "rss").rss_str(pretty=False))


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def json_feed(feed: Feed) -> bytes:
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    blog, site = feed.blog, feed.site
    items = []
    for position, entry in enumerate(feed.entries):
        item: dict[str, Any] = {
            "id": site.short_url(entry.code),
            "url": feed.entry_url(position, entry),
            "title": entry.title,
            "content_html": feed.html(entry),
            "content_text": content.render_text(entry.blocks, feed.gettext),
            "summary": content.summary(entry.blocks),
            "date_published": _time(entry.published_at),
            "date_modified": _time(_modified(entry)),
        }
        if image := feed.image(entry):
            item["image"] = image
        items.append({k: v for k, v in item.items() if v is not None})
    document: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": blog.title,
        "home_page_url": site.blog_url(blog.slug),
        "feed_url": feed.feed_url("json"),
        "description": blog.description,
        "language": blog.language,
        "authors": [{"name": publisher_name(blog)}],
        "items": items,
    }
    if blog.lead_image and (src := absolute(site, blog.lead_image.src)):
        document["icon"] = src
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _handler(kind: str, write: Callable[[Feed], bytes], media_type: str) -> Any:
    async def handler(request: Request) -> Response:
        state = request.app.state
        slug = request.path_params["slug"]
        variant = f"feed.{kind}"
        hit = state.cache.get(slug, variant)
        if hit is None:
            blog = await state.newsroom.get_blog(slug)
            entries = (await state.newsroom.storage.list_entries(blog.id or 0, limit=NEWEST)).entries
            body = write(Feed(blog, entries, state.renderer.site, state.settings.page_size))
            hit = state.cache.put(slug, blog.id or 0, variant, body, blog.last_event_id)
        return cached_response(request, hit, media_type)

    handler.__doc__ = f"GET /live/{{slug}}/feed.{kind}: the blog's newest {NEWEST} entries."
    return handler


atom_feed = _handler("atom", atom, ATOM)
rss_feed = _handler("rss", rss, RSS)
json_feed_handler = _handler("json", json_feed, JSON_FEED)
