"""What a person typed into the search box, parsed once for every engine.

Syntax (the same on PostgreSQL and SQLite): words must all match (stemmed, so
"throttled" finds "throttling"); "quoted text" is a phrase; a leading minus excludes a
word or phrase: `"ndots:5" -aws`.
"""

import re
from dataclasses import dataclass

MAX_QUERY_LENGTH = 200
MAX_TERMS = 16
_TOKEN_RE = re.compile(r'-?"[^"]*"?|\S+')
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    truncated: bool = False

    @property
    def is_empty(self) -> bool:
        """True when there is nothing positive to look for."""
        return not (self.terms or self.phrases)

    def websearch(self) -> str:
        """PostgreSQL websearch_to_tsquery input; every part quoted so words like "or"
        are never read as operators."""
        parts = [_quote(t) for t in (*self.terms, *self.phrases)]
        parts += [f"-{_quote(t)}" for t in self.excluded]
        return " ".join(parts)

    def fts5(self) -> str:
        """SQLite FTS5 MATCH expression; every part a quoted string, so input can never
        become FTS5 syntax."""
        expression = " ".join(_quote(t) for t in (*self.terms, *self.phrases))
        for text in self.excluded:
            expression += f" NOT {_quote(text)}"
        return expression


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def parse_query(raw: str | None) -> ParsedQuery:
    text = " ".join(_CONTROL_RE.sub(" ", raw or "").split())
    truncated = len(text) > MAX_QUERY_LENGTH
    if truncated:
        cut = text[:MAX_QUERY_LENGTH]
        text = cut.rsplit(" ", 1)[0] if " " in cut else cut
    terms: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    for token in _TOKEN_RE.findall(text):
        negative = token.startswith("-") and len(token) > 1
        body = token[1:] if negative else token
        is_phrase = body.startswith('"')
        body = body.strip('"').strip()
        body = " ".join(body.split()) if is_phrase else body.strip(".,;!?()[]{}<>'")
        if not _has_word(body):
            continue
        target = excluded if negative else phrases if is_phrase and " " in body else terms
        if body.casefold() not in {t.casefold() for t in target}:
            target.append(body)
    return ParsedQuery(
        text=text,
        terms=tuple(terms[:MAX_TERMS]),
        phrases=tuple(phrases[:MAX_TERMS]),
        excluded=tuple(excluded[:MAX_TERMS]),
        truncated=truncated or len(terms) > MAX_TERMS,
    )
