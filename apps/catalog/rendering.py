"""The one Markdown renderer. Every Markdown field in the project goes through it.

Raw HTML in the input is shown as text, never interpreted; the HTML that Markdown
produces is then cleaned by nh3 against an allow-list, so nothing a contributor types
can add scripts, event handlers, styles or non-http(s) links.
"""

import html

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6",
        "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr",
        "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "code": {"class"},
    "td": {"align"},
    "th": {"align"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
MAX_INPUT_LENGTH = 200_000

_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]


def _converter() -> markdown.Markdown:
    md = markdown.Markdown(extensions=_EXTENSIONS, output_format="html")
    # Treat raw HTML as text: with these removed, "<script>" is escaped, not passed on.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        # nh3 lets relative URLs through; contributors have no reason to write them.
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        return value if scheme in ALLOWED_URL_SCHEMES else None
    if tag == "code" and attribute == "class":
        # Keep only fenced-code language hints such as "language-yaml".
        kept = [name for name in value.split() if name.startswith("language-") and name.isascii()]
        return " ".join(kept) or None
    return value


def render_markdown(text: str | None) -> SafeString:
    """Render contributor Markdown to sanitized HTML that templates may output as is."""
    if not text:
        return mark_safe("")
    source = str(text)[:MAX_INPUT_LENGTH].replace("\x00", "\ufffd")
    html = _converter().convert(source)
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        attribute_filter=_filter_attribute,
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitized by nh3 just above


def markdown_to_text(text: str | None) -> str:
    """The words of a Markdown text without markup, for search indexes and previews."""
    if not text:
        return ""
    return " ".join(html.unescape(nh3.clean(str(render_markdown(text)), tags=set())).split())
