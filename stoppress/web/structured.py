"""What a reader page tells machines about itself: schema.org JSON-LD, Open Graph and Twitter card data.

Pure functions of a blog, its entries and the site, so the live page, an entry's own page, feeds and
tests all describe a blog the same way; nothing here reads storage or a request.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from markupsafe import Markup

from stoppress.core import content
from stoppress.core.content import Translate
from stoppress.core.models import Blog, BlogStatus, Entry, Image
from stoppress.i18n import language
from stoppress.web.render import Site

# The site has no name setting yet; this is the one place to change when it gets one.
SITE_NAME = "Stop Press"
SCHEMA = "https://schema.org"


@dataclass(frozen=True, slots=True)
class Sharing:
    """A page's description for search engines, aggregators and social cards (read by reader/_meta.html)."""

    title: str
    description: str
    url: str  # the canonical address of the page
    image: str  # absolute address of the picture to show with a share, or ""
    image_alt: str
    locale: str  # og:locale, e.g. en_US
    site_name: str
    json_ld: Markup  # ready to sit inside <script type="application/ld+json">
    oembed: str  # the oEmbed discovery address for this page


# Addresses


def absolute(site: Site, src: str) -> str:
    """An image or link address as an absolute URL ("" for one we cannot point to)."""
    if src.startswith("/") and not src.startswith("//"):
        return site.base_url + src
    return src if src.lower().startswith(("https://", "http://")) else ""


def page_url(site: Site, slug: str, page: int = 1) -> str:
    """The canonical address of one page of a blog (the newest page has no query string)."""
    return site.blog_url(slug) + (f"?page={page}" if page > 1 else "")


def entry_page_url(site: Site, slug: str, code: str) -> str:
    """The canonical address of an entry's own page."""
    return f"{site.blog_url(slug)}/entries/{code}"


def oembed_url(site: Site, url: str) -> str:
    return f"{site.base_url}/oembed?" + urlencode({"url": url, "format": "json"})


def publisher_name(blog: Blog) -> str:
    return blog.publisher or SITE_NAME


# schema.org


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def image_object(site: Site, alt: str, caption: str = "", credit: str = "", src: str = "") -> dict[str, Any]:
    """A schema.org ImageObject; `url` only when we have the file."""
    found = {
        "@type": "ImageObject",
        "url": absolute(site, src),
        "caption": caption,
        "creditText": credit,
        "description": alt,
    }
    return {key: value for key, value in found.items() if value}


def _lead_image(site: Site, image: Image) -> dict[str, Any]:
    return image_object(site, image.alt, image.caption, image.credit, image.src)


def _block_images(site: Site, entry: Entry) -> list[dict[str, Any]]:
    return [
        image_object(site, str(b.get("alt", "")), str(b.get("caption", "")), str(b.get("credit", "")), str(b.get("src", "")))
        for b in content.images(entry.blocks)
    ]


def blog_posting(entry: Entry, site: Site, url: str, gettext: Translate | None = None) -> dict[str, Any]:
    """One entry as a schema.org BlogPosting, at `url`."""
    posting: dict[str, Any] = {
        "@type": "BlogPosting",
        "headline": entry.title,
        "identifier": entry.code,
        "url": url,
        "datePublished": _time(entry.published_at),
        "dateModified": _time(entry.updated_at or entry.published_at),
        "articleBody": content.render_text(entry.blocks, gettext),
    }
    if images := _block_images(site, entry):
        posting["image"] = images
    videos = [
        {"@type": "VideoObject", "name": str(b.get("title", "")), "url": str(b.get("url", ""))}
        for b in content.videos(entry.blocks)
    ]
    if videos:
        posting["video"] = videos
    return {key: value for key, value in posting.items() if value is not None}


def live_blog_posting(blog: Blog, entries: list[Entry], site: Site, page: int = 1) -> dict[str, Any]:
    """A page of a blog as a schema.org LiveBlogPosting, with that page's entries as its updates."""
    url = page_url(site, blog.slug, page)
    gettext = language(blog.language).gettext
    posting: dict[str, Any] = {
        "@context": SCHEMA,
        "@type": "LiveBlogPosting",
        "@id": site.blog_url(blog.slug),
        "url": url,
        "identifier": blog.code,
        "headline": blog.title,
        "description": blog.description or None,
        "inLanguage": blog.language,
        "articleSection": list(blog.sections) or None,
        "datePublished": _time(blog.published_at),
        "dateModified": _time(blog.updated_at),
        "coverageStartTime": _time(blog.published_at),
        "coverageEndTime": _time(blog.ended_at) if blog.status is BlogStatus.ENDED else None,
        "publisher": {"@type": "Organization", "name": publisher_name(blog)},
        "image": _lead_image(site, blog.lead_image) if blog.lead_image else None,
        "liveBlogUpdate": [blog_posting(entry, site, f"{url}#e-{entry.code}", gettext) for entry in entries],
    }
    return {key: value for key, value in posting.items() if value is not None}


def entry_posting(blog: Blog, entry: Entry, site: Site) -> dict[str, Any]:
    """An entry's own page as a schema.org BlogPosting, part of its live blog."""
    posting = blog_posting(entry, site, entry_page_url(site, blog.slug, entry.code), language(blog.language).gettext)
    return {
        "@context": SCHEMA,
        **posting,
        "description": content.summary(entry.blocks),
        "inLanguage": blog.language,
        "publisher": {"@type": "Organization", "name": publisher_name(blog)},
        "isPartOf": {"@type": "LiveBlogPosting", "headline": blog.title, "url": site.blog_url(blog.slug)},
    }


def json_ld_script(data: dict[str, Any]) -> Markup:
    """JSON for a <script> element: `<`, `>` and `&` escaped so no text in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


# Open Graph


@functools.cache
def og_locale(language: str) -> str:
    """og:locale for a blog's language tag: language_TERRITORY, e.g. "de" -> "de_DE"."""
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return "en_US"
    territory = locale.territory
    if not territory:
        likely = get_global("likely_subtags").get(locale.language, "")
        territory = likely.rsplit("_", 1)[-1] if "_" in likely else ""
    return f"{locale.language}_{territory}" if territory else locale.language


def _first_picture(site: Site, blocks: list[dict[str, Any]], fallback: Image | None) -> tuple[str, str]:
    for block in content.images(blocks):
        if src := absolute(site, str(block.get("src", ""))):
            return src, str(block.get("alt", ""))
    if fallback and (src := absolute(site, fallback.src)):
        return src, fallback.alt
    return "", ""


def blog_sharing(blog: Blog, entries: list[Entry], site: Site, page: int = 1) -> Sharing:
    """How a page of a live blog presents itself."""
    url = page_url(site, blog.slug, page)
    image, alt = _first_picture(site, [], blog.lead_image)
    return Sharing(
        title=blog.title,
        description=blog.description,
        url=url,
        image=image,
        image_alt=alt,
        locale=og_locale(blog.language),
        site_name=SITE_NAME,
        json_ld=json_ld_script(live_blog_posting(blog, entries, site, page)),
        oembed=oembed_url(site, site.blog_url(blog.slug)),
    )


def entry_sharing(blog: Blog, entry: Entry, site: Site) -> Sharing:
    """How an entry's own page presents itself: its title, opening words and first picture."""
    url = entry_page_url(site, blog.slug, entry.code)
    image, alt = _first_picture(site, entry.blocks, blog.lead_image)
    return Sharing(
        title=entry.title,
        description=content.summary(entry.blocks),
        url=url,
        image=image,
        image_alt=alt,
        locale=og_locale(blog.language),
        site_name=SITE_NAME,
        json_ld=json_ld_script(entry_posting(blog, entry, site)),
        oembed=oembed_url(site, url),
    )
