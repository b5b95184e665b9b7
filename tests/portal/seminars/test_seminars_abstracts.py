"""Abstract rendering: whatever a speaker types, only safe HTML comes out."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from mltheory.portal.seminars.abstracts import ALLOWED_TAGS, render_abstract

PIECES = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "<svg onload=alert(1)>",
        "<style>body{}</style>",
        '<div onclick="alert(1)">',
        "<iframe src=//evil.example.com>",
        "**bold**",
        "*em*",
        "[ok](https://example.com)",
        "\n\n- item\n",
        "`code`",
        "<",
        ">",
        '"',
        " ",
    ]
)


class TagCollector(HTMLParser):
    """The elements and attributes a browser would actually build from the HTML."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=12).map("".join))
def test_rendered_abstract_has_no_scripts_handlers_or_js_links(text):
    parser = TagCollector()
    parser.feed(render_abstract(text))
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS
        for name, value in attrs:
            assert not name.startswith("on")
            if name in ("href", "src"):
                assert not (value or "").strip().lower().startswith("javascript:")


def test_markdown_formatting_survives():
    html = render_abstract("**bold** and [a link](https://example.com)\n\n- one\n- two")
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com" rel="nofollow noopener noreferrer">a link</a>' in html
    assert "<li>one</li>" in html
