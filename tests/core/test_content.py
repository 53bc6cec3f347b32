"""Entry bodies: what the desk pastes or types comes out as safe, clean blocks and renders as readers expect."""

from __future__ import annotations

import pytest

from stoppress.core.content import (
    FORMATS,
    MAX_BODY_CHARS,
    images,
    inline_text,
    normalize_blocks,
    parse_body,
    render_html,
    render_text,
    summary,
    videos,
)
from stoppress.core.errors import Invalid
from stoppress.core.models import Block

HOSTILE = (
    '<p onclick="steal()">Hello <script>alert("x")</script>world'
    '<img src="https://cdn.example.com/a.jpg" alt="Crowd" onerror="alert(1)">'
    '<a href="javascript:alert(1)">click me</a> <a href="https://ok.example.com/" style="color:red">ok</a></p>'
    '<iframe src="https://evil.example.com/">inside frame</iframe>'
    '<p style="font-size:40px" class="x">Styled</p><style>p { color: red }</style>'
    '<p><a href="JaVaScRiPt:alert(2)">again</a> <a href="data:text/html,hi">data</a></p>'
)
DANGER = ("<script", "onerror", "onclick", "javascript:", "<iframe", "style=", "alert", "data:", "<style")

WORD_PASTE = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<meta name=Generator content="Microsoft Word 15"><title>Doc1</title>
<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View></w:WordDocument></xml><![endif]-->
<style><!-- p.MsoNormal {margin:0cm; font-family:"Calibri"} --></style></head>
<body lang=EN-GB style='tab-interval:36.0pt'><div class=WordSection1>
<p class=MsoNormal><span style='font-size:12.0pt;font-family:"Calibri",sans-serif'>Rescue teams are
still searching the rubble.<o:p></o:p></span></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<p class=MsoNormal><b><span style='font-size:12.0pt'>Update:</span></b><span
style='font-size:12.0pt'> the mayor <i>has</i> spoken.<o:p></o:p></span></p>
</div></body></html>"""

GOOGLE_DOCS_PASTE = (
    '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1a2b">'
    '<p dir="ltr" style="line-height:1.38;margin-top:0pt"><span style="font-size:11pt;font-weight:700;">'
    'Breaking:</span><span style="font-size:11pt;font-weight:400;"> polls have closed.</span></p>'
    '<p dir="ltr"><span style="font-style:italic;">More soon.</span></p></b>'
)

PHOTO: Block = {
    "type": "image",
    "src": "https://cdn.example.com/warhead.jpg",
    "alt": "Workers lift a missile warhead from a street",
    "caption": "An unexploded missile warhead is removed after a Russian assault on Kyiv",
    "credit": "Efrem Lukatsky/AP Photo/picture alliance",
}


def kinds(blocks: list[Block]) -> list[str]:
    return [b["type"] for b in blocks]


# -- sanitising ------------------------------------------------------------------------------------


def test_hostile_markup_is_gone_from_blocks_and_from_rendered_html() -> None:
    blocks = parse_body(HOSTILE)
    stored = repr(blocks).lower()
    rendered = render_html(blocks).lower()
    for bad in DANGER:
        assert bad not in stored, bad
        assert bad not in rendered, bad
    assert "inside frame" not in rendered and "color: red" not in rendered
    text = render_text(blocks)
    assert "Hello world" in text and "click me" in text and "Styled" in text
    assert '<a href="https://ok.example.com/" rel="nofollow noopener">ok</a>' in render_html(blocks)
    assert images(blocks) == [
        {"type": "image", "src": "https://cdn.example.com/a.jpg", "alt": "Crowd", "caption": "", "credit": ""}
    ]


def test_render_html_resanitises_blocks_that_skipped_validation() -> None:
    sneaky: list[Block] = [
        {"type": "paragraph", "html": '<img src=x onerror=alert(1)><b style="x">bold</b><script>alert(1)</script>'},
        {"type": "list", "ordered": False, "items": ['<a href="javascript:alert(1)">x</a>']},
        {"type": "image", "src": "javascript:alert(1)", "alt": '"><script>alert(1)</script>', "caption": ""},
        {"type": "video", "url": "javascript:alert(1)", "title": "<iframe>"},
    ]
    rendered = render_html(sneaky).lower()
    for bad in ("<script", "onerror", "javascript:", "<iframe", "style=", "<img"):
        assert bad not in rendered, bad
    assert "<b>bold</b>" in rendered and "&lt;iframe&gt;" in rendered
    assert 'aria-label="&quot;&gt;&lt;script&gt;' in rendered  # the alt text is shown, as text


def test_word_paste_becomes_clean_paragraphs() -> None:
    blocks = parse_body(WORD_PASTE)
    assert blocks == [
        {"type": "paragraph", "html": "Rescue teams are still searching the rubble."},
        {"type": "paragraph", "html": "<b>Update:</b> the mayor <i>has</i> spoken."},
    ]
    html = render_html(blocks)
    for junk in ("Mso", "o:p", "style", "Normal", "Doc1", "Calibri", "span", "&nbsp;"):
        assert junk not in html


def test_google_docs_paste_keeps_bold_and_italic_but_not_the_wrapper() -> None:
    assert parse_body(GOOGLE_DOCS_PASTE) == [
        {"type": "paragraph", "html": "<strong>Breaking:</strong> polls have closed."},
        {"type": "paragraph", "html": "<em>More soon.</em>"},
    ]


def test_divs_and_double_breaks_separate_paragraphs_but_breaks_inside_a_paragraph_stay() -> None:
    assert [b["html"] for b in parse_body("<div>One</div><div>Two</div>")] == ["One", "Two"]
    assert [b["html"] for b in parse_body("First<br><br>Second<br>line")] == ["First", "Second<br>line"]
    assert parse_body("<p>Verse<br><br>chorus</p>") == [{"type": "paragraph", "html": "Verse<br><br>chorus"}]


# -- formats ---------------------------------------------------------------------------------------


def test_markdown_maps_to_the_right_blocks() -> None:
    body = (
        "## Latest\n\n"
        "Troops **advanced** _overnight_, [officials said](https://example.com/report).\n\n"
        "- Kyiv\n- Kharkiv\n\n"
        "1. First\n2. Second\n\n"
        "> We will rebuild.\n>\n> — The mayor\n\n"
        '![Smoke over the city](/media/smoke.jpg "Smoke rises after the strike")\n\n'
        "<script>alert(1)</script>\n"
    )
    blocks = parse_body(body, "markdown")
    assert blocks == [
        {"type": "subheading", "text": "Latest"},
        {
            "type": "paragraph",
            "html": "Troops <strong>advanced</strong> <em>overnight</em>, "
            '<a href="https://example.com/report">officials said</a>.',
        },
        {"type": "list", "ordered": False, "items": ["Kyiv", "Kharkiv"]},
        {"type": "list", "ordered": True, "items": ["First", "Second"]},
        {"type": "quote", "html": "We will rebuild.", "cite": "The mayor"},
        {
            "type": "image",
            "src": "/media/smoke.jpg",
            "alt": "Smoke over the city",
            "caption": "Smoke rises after the strike",
            "credit": "",
        },
    ]


def test_markdown_tables_are_not_tables() -> None:
    blocks = parse_body("| a | b |\n|---|---|\n| 1 | 2 |", "markdown")
    assert kinds(blocks) == ["paragraph"]
    assert "<table" not in render_html(blocks)


def test_text_format_escapes_markup_and_keeps_line_breaks() -> None:
    blocks = parse_body("Use <b> for bold & more\n## not a heading\n\n\nSecond paragraph", "text")
    assert blocks == [
        {"type": "paragraph", "html": "Use &lt;b&gt; for bold &amp; more<br>## not a heading"},
        {"type": "paragraph", "html": "Second paragraph"},
    ]
    assert "<b>" not in render_html(blocks)
    assert render_text(blocks) == "Use <b> for bold & more\n## not a heading\n\nSecond paragraph"


def test_bad_input_raises_invalid_with_a_useful_message() -> None:
    with pytest.raises(Invalid) as too_long:
        parse_body("x" * 123_456)
    assert too_long.value.field == "body"
    assert too_long.value.message == (
        "The body is 123,456 characters; the limit is 100,000. Split the update into two entries."
    )
    parse_body("x" * MAX_BODY_CHARS, "text")  # exactly at the limit is fine

    for empty, fmt in [
        ("", "html"),
        ("   \n\n  ", "text"),
        ("<script>alert(1)</script><p> </p>", "html"),
        ("<p>&nbsp;</p><o:p></o:p>", "html"),
        ("<!-- nothing -->", "markdown"),
    ]:
        with pytest.raises(Invalid, match="empty") as error:
            parse_body(empty, fmt)
        assert error.value.field == "body"

    with pytest.raises(Invalid) as bad_format:
        parse_body("hi", "rtf")
    assert bad_format.value.field == "format" and "html, markdown, text" in bad_format.value.message
    assert FORMATS == ("html", "markdown", "text")
    with pytest.raises(Invalid):
        parse_body(None)  # type: ignore[arg-type]


def test_pasted_picture_we_cannot_show_is_dropped_or_kept_as_missing() -> None:
    probe = parse_body("<p>Before</p><img src=x onerror=alert(1)><p>After</p>")
    assert probe == [{"type": "paragraph", "html": "Before"}, {"type": "paragraph", "html": "After"}]
    assert parse_body('<img src="photo.jpg" alt="Crowd">') == [
        {"type": "image", "src": "", "alt": "Crowd", "caption": "", "credit": ""}
    ]


def test_pasted_picture_without_alt_text_is_refused() -> None:
    with pytest.raises(Invalid, match="needs alt text") as error:
        parse_body('<p>Look:</p><img src="https://cdn.example.com/a.jpg">')
    assert error.value.field == "body" and "Block 2 (image)" in error.value.message


# -- rendering -------------------------------------------------------------------------------------


def test_render_text_of_an_image_matches_the_reference() -> None:
    assert render_text([PHOTO]) == (
        "Workers lift a missile warhead from a street\n"
        "An unexploded missile warhead is removed after a Russian assault on Kyiv "
        "Image: Efrem Lukatsky/AP Photo/picture alliance"
    )


def test_render_text_reads_like_a_text_browser() -> None:
    blocks: list[Block] = [
        {"type": "paragraph", "html": "Fish &amp; chips<br>at <a href='https://x.example'>noon</a>"},
        {"type": "subheading", "text": "Reaction"},
        {"type": "quote", "html": "We are ready.", "cite": "The minister"},
        {"type": "list", "ordered": True, "items": ["one", "<b>two</b>"]},
        {"type": "video", "url": "https://video.example.com/1", "title": "Drone footage of the bridge"},
    ]
    assert render_text(blocks) == (
        "Fish & chips\nat noon\n\nReaction\n\nWe are ready.\n— The minister\n\n1. one\n2. two\n\n"
        "Drone footage of the bridge\nhttps://video.example.com/1"
    )


def test_render_html_shapes() -> None:
    html = render_html(
        [
            {"type": "subheading", "text": "A & B"},
            PHOTO,
            {"type": "image", "src": "", "alt": "Map of the front line", "caption": "The front", "credit": "ISW"},
            {"type": "video", "url": "https://video.example.com/1", "title": "Clip <1>"},
            {"type": "video", "url": "", "title": "Lost clip"},
        ]
    )
    assert "<h3>A &amp; B</h3>" in html
    assert (
        '<figure class="sp-image"><img src="https://cdn.example.com/warhead.jpg" '
        'alt="Workers lift a missile warhead from a street" loading="lazy" decoding="async">'
        '<figcaption><span class="sp-caption">An unexploded missile warhead is removed after a Russian '
        'assault on Kyiv</span> <span class="sp-credit">Image: Efrem Lukatsky/AP Photo/picture alliance'
        "</span></figcaption></figure>"
    ) in html
    assert (
        '<div class="sp-image-missing" role="img" aria-label="Map of the front line">'
        '<span aria-hidden="true">Map of the front line</span></div>'
    ) in html
    assert 'href="https://video.example.com/1" rel="nofollow noopener"' in html
    assert "<span>Clip &lt;1&gt;</span></a><figcaption>Video: Clip &lt;1&gt;</figcaption>" in html
    assert '<p class="sp-video-title">Lost clip</p><figcaption>Video: Lost clip</figcaption>' in html


def test_round_trip_through_rendered_html_keeps_the_blocks() -> None:
    blocks = normalize_blocks(
        [
            {"type": "paragraph", "html": 'Intro with <a href="https://example.com/?a=1&amp;b=2">a link</a>'},
            {"type": "subheading", "text": "What we know"},
            PHOTO,
            {"type": "image", "src": "", "alt": "A photo we no longer have", "caption": "Archive", "credit": "PA"},
            {"type": "list", "ordered": True, "items": ["<strong>One</strong>", "Two"]},
            {"type": "quote", "html": "First line<br><br>Second line", "cite": "A resident"},
            {"type": "video", "url": "https://video.example.com/1", "title": "Aftermath"},
            {"type": "paragraph", "html": "Outro"},
        ]
    )
    assert parse_body(render_html(blocks)) == blocks


# -- normalize_blocks ------------------------------------------------------------------------------


def test_normalize_blocks_cleans_and_is_idempotent() -> None:
    raw = [
        {"type": "paragraph", "html": "  <p>One</p><p>Two <em>x</em></p>  ", "junk": True},
        {"type": "paragraph", "html": "<p>&nbsp;</p>"},  # empty: dropped
        {"type": "subheading", "text": "  Spaced   out  "},
        {"type": "quote", "html": "Hi <span style='x'>there</span>", "cite": " Someone "},
        {"type": "list", "items": ["<li>a</li>", " ", "<b>b</b>"]},
        {**PHOTO, "credit": "Image: Someone", "extra": 1},
        {"type": "image", "src": "", "alt": "", "caption": "A lost picture"},
        {"type": "video", "url": " https://v.example.com/x ", "title": " Clip "},
    ]
    once = normalize_blocks(raw)
    assert once == [
        {"type": "paragraph", "html": "One<br><br>Two <em>x</em>"},
        {"type": "subheading", "text": "Spaced out"},
        {"type": "quote", "html": "Hi there", "cite": "Someone"},
        {"type": "list", "ordered": False, "items": ["a", "<b>b</b>"]},
        {**PHOTO, "credit": "Someone"},
        {"type": "image", "src": "", "alt": "", "caption": "A lost picture", "credit": ""},
        {"type": "video", "url": "https://v.example.com/x", "title": "Clip"},
    ]
    assert normalize_blocks(once) == once


@pytest.mark.parametrize(
    "body, fmt",
    [
        (HOSTILE, "html"),
        (WORD_PASTE, "html"),
        (GOOGLE_DOCS_PASTE, "html"),
        ("**a** <u>b</u> & c\n\n- x\n  - y\n\n> q\n\n```\ncode  <here>\n```", "markdown"),
        ("a < b & c\nnext\n\nlast", "text"),
    ],
)
def test_parse_body_output_passes_normalize_unchanged(body: str, fmt: str) -> None:
    blocks = parse_body(body, fmt)
    assert normalize_blocks(blocks) == blocks
    assert parse_body(render_html(blocks)) == blocks


@pytest.mark.parametrize(
    "blocks, message",
    [
        ("not a list", "must be a list"),
        ([{"type": "paragraph", "html": "ok"}, "text"], "Block 2 is not an object"),
        ([{"type": "table"}], "Block 1 has unknown type 'table'"),
        (
            [
                {"type": "paragraph", "html": "a"},
                {"type": "paragraph", "html": "b"},
                {"type": "image", "src": "https://x.example/a.jpg", "alt": ""},
            ],
            "Block 3 (image) needs alt text describing the picture.",
        ),
        ([{"type": "image", "src": "", "alt": "", "caption": ""}], "Block 1 (image) needs alt text"),
        ([{"type": "image", "src": "javascript:alert(1)", "alt": "x"}], "Block 1 (image) needs a picture address"),
        ([{"type": "image", "src": "photo.jpg", "alt": "x"}], "Block 1 (image) needs a picture address"),
        ([{"type": "video", "url": "javascript:alert(1)", "title": "x"}], "Block 1 (video) needs a link"),
        ([{"type": "video", "url": "https://v.example.com", "title": ""}], "Block 1 (video) needs a title"),
        ([{"type": "paragraph", "html": 5}], 'Block 1 (paragraph): "html" must be text.'),
        ([{"type": "list", "items": "a"}], '"items" must be a list of text'),
    ],
)
def test_normalize_blocks_rejects_what_a_reader_could_not_use(blocks: object, message: str) -> None:
    with pytest.raises(Invalid, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        normalize_blocks(blocks)
    assert error.value.field == "blocks"


# -- helpers ---------------------------------------------------------------------------------------


def test_summary_cuts_at_a_word_with_an_ellipsis() -> None:
    blocks = [
        {"type": "subheading", "text": "Ignored heading"},
        {"type": "paragraph", "html": "The   <b>river</b> burst its banks<br>overnight."},
        {"type": "paragraph", "html": "Hundreds were evacuated from their homes."},
    ]
    assert summary(blocks) == "The river burst its banks overnight. Hundreds were evacuated from their homes."
    short = summary(blocks, limit=30)
    assert short == "The river burst its banks…" and len(short) <= 30
    assert summary([PHOTO], limit=20).endswith("…")


def test_images_videos_and_inline_text() -> None:
    video = {"type": "video", "url": "", "title": "Clip"}
    blocks = [{"type": "paragraph", "html": "x"}, PHOTO, video]
    assert images(blocks) == [PHOTO] and videos(blocks) == [video]
    assert inline_text("Tom &amp; Jerry<br><b>bold</b>") == "Tom & Jerry\nbold"
    assert inline_text("") == ""


def test_labels_are_rendered_in_the_readers_language() -> None:
    """The core knows no catalogues: the web layer passes the blog language's gettext in."""
    german = {"Image: %(credit)s": "Bild: %(credit)s", "Video: %(title)s": "Video <%(title)s>"}.get
    blocks = [PHOTO, {"type": "video", "url": "https://example.com/v", "title": "Clip & more"}]
    html = render_html(blocks, lambda message: german(message, message))
    assert '<span class="sp-credit">Bild: Efrem Lukatsky/AP Photo/picture alliance</span>' in html
    assert "<figcaption>Video &lt;Clip &amp; more&gt;</figcaption>" in html  # a translation is text, escaped
    assert "Bild: Efrem Lukatsky/AP Photo/picture alliance" in render_text([PHOTO], lambda m: german(m, m))
    assert "Image: Efrem Lukatsky" in render_html([PHOTO]) and "Image: Efrem Lukatsky" in render_text([PHOTO])
