"""What a slug is, and how one is made from any text.

A slug is lowercase ASCII letters and digits in words joined by single hyphens: the
form of story-file names, and what every web and API URL routes. Django's slugify
keeps "_", drops letters it cannot spell in ASCII and may return "", so names are
turned into slugs here instead.
"""

import functools
import hashlib
import re
import unicodedata
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

SLUG_PATTERN = "[a-z0-9]+(?:-[a-z0-9]+)*"
SLUG_RE = re.compile(rf"^{SLUG_PATTERN}$")

# Latin letters that Unicode does not decompose into an ASCII letter and a mark.
_LATIN = str.maketrans(
    {
        "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
        "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th",
        "\N{LATIN SMALL LETTER DOTLESS I}": "i", "ħ": "h", "Ħ": "h",
    }
)  # fmt: skip
_NOT_SLUG_RE = re.compile(r"[^a-z0-9]+")
_REGIONAL_A = ord("\N{REGIONAL INDICATOR SYMBOL LETTER A}")
MAX_WORDS_LENGTH = 60


def is_slug(value: str) -> bool:
    return bool(SLUG_RE.match(value))


def slug_url(viewname: str, slug: str) -> str:
    """reverse(viewname, kwargs={"slug": slug}) for a URL whose one argument is a slug,
    as a join of the slug with what reverse() writes around it, reversed once per URL
    configuration and script prefix: a list page links to a hundred or more."""
    if not is_slug(slug):  # reverse() quotes it, or says it routes nowhere
        return reverse(viewname, kwargs={"slug": slug})
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    before, after = _around_slug(viewname, urlconf, get_script_prefix())
    return f"{before}{slug}{after}"


def filtered_url(viewname: str, name: str, slug: str) -> str:
    """reverse(viewname) with the query string ?<name>=<slug>: a list filtered to one
    value, reversed once per URL configuration and script prefix (every card links its
    platforms)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    value = slug if is_slug(slug) else quote(slug, safe="")
    return f"{_reversed(viewname, urlconf, get_script_prefix())}?{name}={value}"


@functools.lru_cache(maxsize=64)
def _reversed(viewname: str, urlconf: str, prefix: str) -> str:
    return reverse(viewname, urlconf=urlconf)


_PLACEHOLDER = "0slug0"


@functools.lru_cache(maxsize=256)
def _around_slug(viewname: str, urlconf: str, prefix: str) -> tuple[str, str]:
    """What reverse() writes before and after the slug; `prefix`, the script prefix
    reverse() reads itself, keys the cache."""
    url = reverse(viewname, urlconf=urlconf, kwargs={"slug": _PLACEHOLDER})
    before, _, after = url.partition(_PLACEHOLDER)
    return before, after


def _ascii_words(text: str) -> str:
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_LATIN))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    return _NOT_SLUG_RE.sub("-", ascii_text.lower()).strip("-")


def _symbol_words(text: str) -> str:
    """Emoji and other symbols by their Unicode names: "🔥🔥" is "fire-fire"."""
    names: list[str] = []
    flag = False
    for char in text:
        if unicodedata.category(char) != "So":
            flag = False
            continue
        code = ord(char)
        if _REGIONAL_A <= code < _REGIONAL_A + 26:  # a flag's letters: 🇩🇪 is "de"
            letter = chr(ord("a") + code - _REGIONAL_A)
            if flag:
                names[-1] += letter
            else:
                names.append(letter)
            flag = True
        else:
            names.append(unicodedata.name(char, ""))
            flag = False
    return _NOT_SLUG_RE.sub("-", " ".join(names).lower()).strip("-")


def _cut(slug: str, limit: int) -> str:
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else cut[:limit]).strip("-")


def slug_words(text: str, *, fallback: str, limit: int = MAX_WORDS_LENGTH) -> str:
    """A slug for any text, never empty: its ASCII words (accents dropped), else its
    symbols' names, else `fallback` with a short hash of the text (e.g. for a name
    written only in CJK), which stays the same every time the same text is seen."""
    words = _cut(_ascii_words(text), limit) or _cut(_symbol_words(text), limit)
    if words:
        return words
    digest = hashlib.sha256(" ".join(text.split()).encode("utf-8", "replace")).hexdigest()
    return f"{fallback}-{digest[:8]}"
