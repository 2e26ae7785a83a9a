"""Parse what the site sends (HTML, Atom/XML, JSON, email) and say what user text became.

Checks return a list of problems (empty when the page is safe), so a test can look at
every page and report every problem at once. HTML is parsed with html.parser: text that
was escaped is text, and only real elements and attributes count.
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from xml.etree import ElementTree

from apps.catalog.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from tests.hostile.payloads import MARKERS

MARKER_RE = re.compile("|".join(MARKERS))
ATOM = "{http://www.w3.org/2005/Atom}"
NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Elements that run code, load things, change the document's address or base, or take input:
# a page must have exactly as many of each as the same page with benign text.
COUNTED_TAGS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
        "link", "meta", "img", "svg", "math", "video", "audio", "source", "template",
        "noscript", "plaintext", "xmp", "listing", "marquee", "portal", "noembed", "param",
        "track", "picture", "image", "foreignobject", "animate", "set", "use", "form",
        "input", "button", "textarea", "select", "title",
    }
)  # fmt: skip
# What the Markdown renderer may add to any page (its nh3 allow-list), plus the rel it sets.
MARKDOWN_PAIRS = frozenset(
    {(tag, None) for tag in ALLOWED_TAGS}
    | {(tag, attr) for tag, attrs in ALLOWED_ATTRIBUTES.items() for attr in attrs}
    | {("a", "rel")}
)
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "poster", "data", "xlink:href", "srcset", "background"}
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# Attributes whose value may hold text people typed (escaped): form values, meta contents,
# link titles and URLs, labels.
TEXT_ATTRIBUTES = frozenset({"value", "content", "title", "href", "aria-label"})
# Slugs are made from user text but hold only these characters: safe in any attribute.
SLUG_RE = re.compile(r"[a-z0-9-]+\Z")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")


@dataclass
class Element:
    tag: str
    attrs: list[tuple[str, str]]
    in_head: bool

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.attrs if key == name), None)


class HtmlScan(HTMLParser):
    """Every element with its attributes, the text, and what is inside script/style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.texts: list[str] = []
        self.raw_texts: list[str] = []
        self._in_head = False
        self._raw = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self._in_head = True
        self.elements.append(Element(tag, [(k, v or "") for k, v in attrs], self._in_head))
        self._raw = tag in ("script", "style")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, [(k, v or "") for k, v in attrs], self._in_head))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        self._raw = False

    def handle_data(self, data: str) -> None:
        (self.raw_texts if self._raw else self.texts).append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def tags(self) -> Counter[str]:
        return Counter(element.tag for element in self.elements)

    def pairs(self) -> set[tuple[str, str | None]]:
        found: set[tuple[str, str | None]] = set()
        for element in self.elements:
            found.add((element.tag, None))
            found.update((element.tag, name) for name, _ in element.attrs)
        return found

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            element
            for element in self.elements
            if element.tag == tag and all(element.get(k) == v for k, v in attrs.items())
        ]


def scan_html(html: str) -> HtmlScan:
    scan = HtmlScan()
    scan.feed(html)
    scan.close()
    return scan


def text_of(
    html: str, tag: str, *, inside: tuple[str, dict[str, str]] | None = None, **attrs: str
) -> list[str]:
    """The text of each outermost element `tag` with `attrs` (only those within an element
    `inside` = (tag, attrs) when given)."""
    collector = _TextOf(tag, attrs, inside)
    collector.feed(html)
    collector.close()
    return collector.found


class _TextOf(HTMLParser):
    def __init__(
        self, tag: str, attrs: dict[str, str], inside: tuple[str, dict[str, str]] | None
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.tag, self.attrs, self.inside = tag, attrs, inside
        self.found: list[str] = []
        self._depth = 0
        self._outer = 0 if inside else 1
        self._parts: list[str] = []

    @staticmethod
    def _matches(attrs: list[tuple[str, str | None]], wanted: dict[str, str]) -> bool:
        return all(dict(attrs).get(k) == v for k, v in wanted.items())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.inside and tag == self.inside[0]:
            if self._outer > 0:
                self._outer += 1
            elif self._matches(attrs, self.inside[1]):
                self._outer = 1
        if tag != self.tag or not self._outer:
            return
        if self._depth:
            self._depth += 1
        elif self._matches(attrs, self.attrs):
            self._depth, self._parts = 1, []

    def handle_endtag(self, tag: str) -> None:
        if tag == self.tag and self._depth:
            self._depth -= 1
            if not self._depth:
                self.found.append("".join(self._parts))
        if self.inside and tag == self.inside[0] and self._outer:
            self._outer -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._parts.append(data)


def url_problem(value: str) -> str | None:
    """Why a URL attribute could run script or leave the site's kinds of links, if it could."""
    # What browsers do before reading the scheme: strip C0 controls and spaces, drop tabs
    # and newlines anywhere.
    url = _TAB_OR_NEWLINE.sub("", value).strip("".join(map(chr, range(0x21))))
    scheme = _SCHEME.match(url)
    if scheme:
        return None if scheme[1].lower() in SAFE_SCHEMES else f"scheme {scheme[1]!r}"
    if url.startswith(("//", "/\\", "\\")):
        return "a protocol-relative URL to another host"
    return None


def html_problems(
    scan: HtmlScan, baseline: HtmlScan | None, *, extra_pairs: Iterable[tuple[str, str | None]] = ()
) -> list[str]:
    """What user text turned into: elements, attributes or URLs the benign page lacks."""
    problems: list[str] = []
    allowed = MARKDOWN_PAIRS | set(extra_pairs) | (baseline.pairs() if baseline else set())
    for element in scan.elements:
        where = f"<{element.tag} {' '.join(k for k, _ in element.attrs)}>".replace(" >", ">")
        if MARKER_RE.search(element.tag):
            problems.append(f"element made from user text: {where}")
        if (element.tag, None) not in allowed:
            problems.append(f"unexpected element {where}")
        for name, value in element.attrs:
            if (element.tag, name) not in allowed:
                problems.append(f"unexpected attribute {name!r} on {where}")
            if name.startswith("on"):
                problems.append(f"event handler {name}={value!r} on {where}")
            if MARKER_RE.search(name):
                problems.append(f"attribute made from user text: {name!r} on {where}")
            if MARKER_RE.search(value) and name not in TEXT_ATTRIBUTES and not SLUG_RE.match(value):
                problems.append(f"user text in {name}={value!r} on {where}")
            if name in URL_ATTRIBUTES and (reason := url_problem(value)):
                problems.append(f"{name}={value!r} on {where}: {reason}")
            if element.tag == "meta" and name == "http-equiv":
                problems.append(f"<meta http-equiv={value!r}>")
    for raw in scan.raw_texts:
        if MARKER_RE.search(raw):
            problems.append(f"user text inside a script or style element: {raw[:120]!r}")
    if baseline is not None:
        counted, expected = scan.tags(), baseline.tags()
        for tag in sorted(COUNTED_TAGS):
            if counted[tag] != expected[tag]:
                problems.append(f"{counted[tag]} <{tag}>, the benign page has {expected[tag]}")
        head = Counter(e.tag for e in scan.elements if e.in_head)
        benign_head = Counter(e.tag for e in baseline.elements if e.in_head)
        if head != benign_head:
            problems.append(f"<head> holds {dict(head)}, the benign page {dict(benign_head)}")
    return problems


def fragment_problems(html: str) -> list[str]:
    """Problems in an HTML fragment that only the Markdown renderer made (feeds, previews)."""
    return html_problems(scan_html(html), None)


def parse_xml(body: bytes) -> tuple[ElementTree.Element | None, str]:
    """The document's root, or None and why it is not well-formed XML."""
    try:
        return ElementTree.fromstring(body), ""
    except ElementTree.ParseError as exc:
        return None, f"not well-formed XML: {exc}"


def atom_entries(root: ElementTree.Element) -> list[dict[str, str]]:
    entries = []
    for entry in root.iter(f"{ATOM}entry"):
        content = entry.find(f"{ATOM}summary")
        if content is None:
            content = entry.find(f"{ATOM}content")
        entries.append(
            {
                "title": entry.findtext(f"{ATOM}title") or "",
                "author": entry.findtext(f"{ATOM}author/{ATOM}name") or "",
                "content": content.text or "" if content is not None else "",
                "content_type": content.get("type", "") if content is not None else "",
                "link": next((link.get("href", "") for link in entry.iter(f"{ATOM}link")), ""),
            }
        )
    return entries


def as_in_xml(text: str) -> str:
    """A text as a feed carries it: without the characters XML 1.0 cannot hold."""
    return NOT_XML_RE.sub("", text)


def markers_in(text: str) -> set[str]:
    return set(MARKER_RE.findall(text))
