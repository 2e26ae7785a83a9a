from html.parser import HTMLParser

import pytest

from apps.catalog.rendering import ALLOWED_TAGS, render_markdown


class ElementCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = ElementCollector()
    collector.feed(html)
    return collector.elements


PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&#x3A;alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x]: javascript:alert(1)\n\n[link][x]",
    "<!-- <script>alert(1)</script> -->",
    "```html\n<script>alert(1)</script>\n```",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_active_content_survives(payload: str) -> None:
    for tag, attrs in elements(str(render_markdown(payload))):
        assert tag in ALLOWED_TAGS
        assert not [name for name in attrs if name.startswith("on") or name == "style"]
        href = (attrs.get("href") or "").strip().lower()
        assert not href or href.startswith(("https:", "http:", "mailto:")), href


def test_raw_html_is_shown_as_text() -> None:
    assert str(render_markdown("<b>bold</b>")) == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"


def test_event_handler_attributes_are_never_emitted() -> None:
    html = str(render_markdown('<a href="https://example.org" onclick="alert(1)">x</a>'))
    assert "<a " not in html


def test_links_get_rel_nofollow_noopener_and_keep_safe_schemes() -> None:
    html = str(render_markdown("[docs](https://kubernetes.io) [mail](mailto:a@example.org)"))
    assert '<a href="https://kubernetes.io" rel="nofollow noopener">docs</a>' in html
    assert 'href="mailto:a@example.org"' in html


def test_markdown_features_render() -> None:
    html = str(
        render_markdown("## Fix\n\n```yaml\nndots: 2\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    )
    assert "<h2>Fix</h2>" in html
    assert '<code class="language-yaml">' in html
    assert "<table>" in html


@pytest.mark.parametrize(
    "text",
    [
        "[unclosed](http://",
        "**bold",
        "```\nnever closed",
        "> > > > " * 200,
        "[" * 5000,
        "\x00\x01\x02",
        "| a |\n|---|\n" + "| x |\n" * 500,
        "",
        None,
    ],
)
def test_malformed_input_never_crashes(text: str | None) -> None:
    assert isinstance(str(render_markdown(text)), str)
