"""The one Markdown renderer. Every Markdown field in the project goes through it.

Raw HTML in the input is shown as text, never interpreted; the HTML that Markdown
produces is then cleaned by nh3 against an allow-list, so nothing a contributor types
can add scripts, event handlers, styles or non-http(s) links.

Rendering time is bounded. The parser is markdown-it-py (CommonMark, as GitHub previews
it), whose work grows linearly with the input; its cost per character is highest on
markup characters (brackets, emphasis, table pipes) and on lines. `markup_problems`
caps those, story-file and submission checks refuse text over the caps with a message
that names them, and text over the caps that still reaches the renderer is shown as
escaped paragraphs without running Markdown at all.
"""

import html
import re

import nh3
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from apps.core.limits import MAX_MARKDOWN

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
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

# The caps that keep rendering fast (see tests/catalog/test_rendering_bounds.py). Real
# summaries stay far below them: the longest curated one has about 1,000 characters, and
# the densest Markdown file in fixtures/ 114 markup characters. Each run of "![" makes the
# parser look ahead for its label: at 2,000 markup characters the worst such text took
# 43-67 ms of CPU (by the process's hash seed), 114 ms in a CI run; at 1,000, 33-35 ms.
MAX_INPUT_LENGTH = MAX_MARKDOWN
MAX_LINES = 500
MAX_MARKUP = 1_000
MARKUP_CHARACTERS = "[]!*_~`|<>&\\#"
_MARKUP = re.compile("[" + re.escape(MARKUP_CHARACTERS) + "]")

EXCERPT_WORDS = 40
EXCERPT_MAX_LENGTH = 300

_WHITESPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


def _parser() -> MarkdownIt:
    # "html": False escapes raw HTML instead of passing it on.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


_PARSER = _parser()


def markup_problems(text: str) -> list[str]:
    """Why a Markdown text is too big or too dense to render quickly; empty when it is fine."""
    if len(text) > MAX_INPUT_LENGTH:
        # Counting the rest would cost time in proportion to an input refused anyway.
        return [f"is longer than {MAX_INPUT_LENGTH:,} characters"]
    problems = []
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        problems.append(f"has {lines:,} lines; at most {MAX_LINES:,} are allowed")
    markup = len(_MARKUP.findall(text))
    if markup > MAX_MARKUP:
        shown = " ".join(MARKUP_CHARACTERS)
        problems.append(
            f"uses {markup:,} Markdown markup characters ({shown}); "
            f"at most {MAX_MARKUP:,} are allowed"
        )
    return problems


def validate_markdown(text: str) -> None:
    """Refuse Markdown over the rendering caps, naming each one it exceeds."""
    problems = markup_problems(text)
    if problems:
        raise ValidationError([f"The text {problem}." for problem in problems], code="markdown")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        # nh3 lets relative URLs through; contributors have no reason to write them.
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        return value if scheme in ALLOWED_URL_SCHEMES else None
    if tag == "code" and attribute == "class":
        # Keep only fenced-code language hints such as "language-yaml".
        kept = [name for name in value.split() if name.startswith("language-") and name.isascii()]
        return " ".join(kept) or None
    if tag == "ol" and attribute == "start":
        return value if value.isdigit() and len(value) <= 9 else None
    return value


def _as_paragraphs(text: str) -> str:
    """Text shown as it was typed, escaped, without Markdown: linear in its length."""
    blocks = (block.strip() for block in _BLANK_LINES.split(text))
    return "".join(f"<p>{html.escape(block)}</p>\n" for block in blocks if block)


def render_markdown(text: str | None) -> SafeString:
    """Render contributor Markdown to sanitized HTML that templates may output as is."""
    if not text:
        return mark_safe("")
    source = str(text).replace("\x00", "\ufffd").replace("\r\n", "\n")
    if markup_problems(source):
        rendered = _as_paragraphs(source[:MAX_INPUT_LENGTH])
    else:
        rendered = _PARSER.render(source)
    cleaned = nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        attribute_filter=_filter_attribute,
        strip_comments=True,
    )
    return mark_safe(cleaned.strip())  # noqa: S308 - sanitized by nh3 just above


def render_preview(text: str) -> SafeString:
    """The text as it will be shown, after the reasons it would be refused, if any."""
    problems = "".join(
        f"<li>The summary {html.escape(problem)}.</li>" for problem in markup_problems(text)
    )
    refused = f'<ul class="errorlist">{problems}</ul>' if problems else ""
    return mark_safe(refused + render_markdown(text))  # noqa: S308 - escaped and sanitized


def stored_html(rendered: str) -> SafeString:
    """HTML that `render_markdown` produced when the text was written, read back for output."""
    return mark_safe(rendered)  # noqa: S308 - only ever holds render_markdown's output


def html_to_text(rendered: str) -> str:
    """The words of rendered HTML as plain text: no tags, entities decoded, spaces collapsed."""
    return _WHITESPACE.sub(" ", html.unescape(nh3.clean(rendered, tags=set()))).strip()


def markdown_to_text(text: str | None) -> str:
    """The words of a Markdown text without markup, for search indexes and previews."""
    return html_to_text(str(render_markdown(text))) if text else ""


def excerpt(plain: str) -> str:
    """The first words of a plain text, for meta descriptions, social cards and emails."""
    full = " ".join(plain.split())
    short = " ".join(full.split(" ")[:EXCERPT_WORDS])
    if len(short) >= EXCERPT_MAX_LENGTH:
        short = short[: EXCERPT_MAX_LENGTH - 1].rsplit(" ", 1)[0]
    return short if short == full else short + "…"


def rendered_fields(text: str | None) -> tuple[str, str]:
    """What is stored beside a Markdown text when it is written: its HTML and a plain excerpt."""
    rendered = str(render_markdown(text))
    return rendered, excerpt(html_to_text(rendered))
