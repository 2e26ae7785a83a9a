"""What a person typed or pasted into the search box, parsed once for every engine.

Syntax (the same on PostgreSQL and SQLite): words (stemmed, so "throttled" finds
"throttling"); "quoted text" is a phrase; `a OR b` accepts either; a leading minus
excludes a word or phrase: `"ndots:5" -aws`. Pasted log lines and errors are normalised
first (see `normalise`), and each word or phrase is widened with the Kubernetes
thesaurus (apps/search/thesaurus.yaml) into a group of alternatives.
"""

import re
from dataclasses import dataclass, field

from apps.search.thesaurus import STOP_WORDS, alternatives_for, longest_entry

MAX_QUERY_LENGTH = 2000
MAX_TERMS = 24
_TOKEN_RE = re.compile(r'-?"[^"]*"?|\S+')
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_STRIP = ".,;:!?()[]{}<>'`=|-"

# Noise in pasted log lines, removed before the words are read.
_NOISE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b[a-z][a-z+.-]*://\S+",  # URL
        r"\b\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(z|[+-]\d{2}:?\d{2})?",  # ISO time
        r"\b[a-z]{3} [ \d]\d \d{2}:\d{2}:\d{2}\b",  # syslog time: Dec  4 10:00:00
        r"\b\d{1,2}:\d{2}:\d{2}([.,]\d+)?\b",  # clock time
        r"(?<![\w-])[iwef]\d{4}\s",  # klog header: E0611
        r"\b[\w-]+\.go:\d+\]?",  # klog source: status_manager.go:513]
        r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",  # UUID
        r"\b(\d{1,3}\.){3}\d{1,3}(:\d+)?(/\d+)?\b",  # IPv4, port, CIDR
        r"\[?\b[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,7}\]?(:\d+)?",  # IPv6
        r"(?<![\w])(/[\w.@%+-]+){2,}/?",  # absolute path
        r"\b(sha256:)?[0-9a-f]{12,}\b",  # hash, container id
        r"\b\d+(\.\d+)?(ns|us|µs|ms|s|m|h)(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+\b",  # 3m12s
        r"\b\d+\.\d+(ms|s)\b|\b\d+(ns|us|µs|ms)\b",  # 1.5s, 300ms
        r"\b(level|severity|lvl)=\w+",  # structured log level
    )
]
_LOG_LEVELS = {"error", "err", "warn", "warning", "info", "debug", "trace", "fatal", "e", "w", "i"}
# Generated pod name suffixes: <workload>-<replicaset hash>-<5 chars> or <workload>-<5 chars>.
_POD_SUFFIX = re.compile(r"^([a-z][a-z0-9-]*?)-([bcdfghjklmnpqrstvwxz2-9]{5})$")
_POD_HASHED = re.compile(r"^([a-z][a-z0-9-]*?)-[0-9a-f]{6,10}-[a-z0-9]{5}$")
_NUMBER = re.compile(r"^[\d.,_:/-]+$")
_OR = "OR"
_HTTP_STATUS = re.compile(r"^[45]\d\d$")


@dataclass(frozen=True)
class Group:
    """One thing the query asks for: the word or phrase typed and its alternatives (the
    other side of an OR, thesaurus synonyms). A story satisfies a group if it contains
    any alternative; each alternative is a word or a multi-word phrase."""

    typed: str
    alternatives: tuple[str, ...]


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    groups: tuple[Group, ...] = ()
    excluded: tuple[str, ...] = ()
    truncated: bool = False
    normalised: bool = False
    words: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        """True when there is nothing positive to look for."""
        return not self.groups

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(g.typed for g in self.groups if " " not in g.typed)

    @property
    def phrases(self) -> tuple[str, ...]:
        return tuple(g.typed for g in self.groups if " " in g.typed)

    def websearch(self, groups: tuple[Group, ...] | None = None) -> str:
        """PostgreSQL websearch_to_tsquery input for all of `groups` (default: every
        group) minus the exclusions; every part quoted, so words like "or" typed by a
        person are never read as operators."""
        chosen = self.groups if groups is None else groups
        parts = [group_websearch(g) for g in chosen]
        parts += [f"-{quoted(t)}" for t in self.excluded]
        return " ".join(parts)

    def fts5(self, groups: tuple[Group, ...] | None = None) -> str:
        """SQLite FTS5 MATCH expression for all of `groups` minus the exclusions; every
        part a quoted string, so input can never become FTS5 syntax."""
        chosen = self.groups if groups is None else groups
        expression = " AND ".join(group_fts5(g) for g in chosen)
        for text in self.excluded:
            expression = f"({expression}) NOT {quoted(text)}"
        return expression

    def any_websearch(self) -> str:
        """websearch input matching a story that satisfies at least one group."""
        return " OR ".join(quoted(a) for g in self.groups for a in g.alternatives)

    def any_fts5(self) -> str:
        return " OR ".join(quoted(a) for g in self.groups for a in g.alternatives)


def group_websearch(group: Group) -> str:
    alternatives = " OR ".join(quoted(a) for a in group.alternatives)
    return f"({alternatives})" if len(group.alternatives) > 1 else alternatives


def group_fts5(group: Group) -> str:
    return "(" + " OR ".join(quoted(a) for a in group.alternatives) + ")"


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def normalise(text: str) -> tuple[str, bool]:
    """Drop what a pasted log line or error carries besides its message: timestamps,
    IP addresses and ports, UUIDs, hashes, URLs and paths, compound durations, source
    locations and log levels. Returns the text and whether anything was removed."""
    cleaned = text
    for pattern in _NOISE:
        cleaned = pattern.sub(" ", cleaned)
    return cleaned, cleaned.split() != text.split()


def _word(token: str) -> str:
    """A pasted token as the word worth searching for, or "" for noise."""
    body = token.strip(_STRIP)
    lower = body.casefold()
    if not _has_word(body) or lower in _LOG_LEVELS:
        return ""
    if _NUMBER.match(body) and not _HTTP_STATUS.match(body):
        return ""
    hashed = _POD_HASHED.match(lower)
    if hashed:
        return hashed.group(1)
    suffixed = _POD_SUFFIX.match(lower)
    if suffixed and any(ch.isdigit() for ch in suffixed.group(2)):
        return suffixed.group(1)
    return body


def _split_chain(token: str) -> list[str]:
    # Go-style error chains ("etcdserver: mvcc: database space exceeded") and key=value
    # pairs are separate words; "ndots:5" stays whole.
    parts = re.split(r":(?=\s|$)|[=,;]|(?<=[a-z]):(?=[a-z])", token)
    return [p for p in parts if p]


def parse_query(raw: str | None) -> ParsedQuery:
    """`raw` as typed or pasted, read into groups of alternatives and exclusions."""
    text, truncated = _bounded(raw)
    cleaned, normalised = normalise(text)
    reading = _Reading()
    for token in _TOKEN_RE.findall(cleaned):
        reading.read(token)
    groups = _groups(reading.words, reading.alternatives_of)
    return ParsedQuery(
        text=text,
        groups=tuple(groups[:MAX_TERMS]),
        excluded=tuple(reading.excluded[:MAX_TERMS]),
        truncated=truncated or len(groups) > MAX_TERMS,
        normalised=normalised,
        words=tuple(w for w, _ in reading.words),
    )


def _bounded(raw: str | None) -> tuple[str, bool]:
    """The text without control characters, runs of spaces or empty lines, cut at a word
    boundary to MAX_QUERY_LENGTH; and whether it was cut."""
    text = "\n".join(
        " ".join(line.split()) for line in _CONTROL_RE.sub(" ", raw or "").splitlines()
    )
    text = "\n".join(line for line in text.split("\n") if line).strip()
    if len(text) <= MAX_QUERY_LENGTH:
        return text, False
    cut = text[:MAX_QUERY_LENGTH]
    return (cut.rsplit(None, 1)[0] if " " in cut or "\n" in cut else cut), True


@dataclass
class _Reading:
    """The tokens of a query read so far: the words and phrases asked for, in order, with
    whether each is a quoted phrase; the exclusions; and the OR alternatives typed after
    the word at each position."""

    words: list[tuple[str, bool]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    alternatives_of: dict[int, list[str]] = field(default_factory=dict)
    or_next: bool = False

    def read(self, token: str) -> None:
        if token == _OR and self.words:
            self.or_next = True
            return
        negative = token.startswith("-") and len(token) > 1 and not token.startswith("--")
        body = token[1:] if negative else token
        is_phrase = body.startswith('"')
        if is_phrase:
            body = " ".join(body.strip('"').split())
            if not _has_word(body):
                return  # an empty phrase: a pending OR still applies to what follows
            pieces = [body]
        else:
            pieces = [w for part in _split_chain(body) if (w := _word(part))]
        for piece in pieces:
            if negative:
                self.exclude(piece)
            elif self.or_next and self.words:
                self.alternatives_of.setdefault(len(self.words) - 1, []).append(piece)
                self.or_next = False
            else:
                self.words.append((piece, is_phrase))
        self.or_next = False

    def exclude(self, piece: str) -> None:
        if piece.casefold() not in {e.casefold() for e in self.excluded}:
            self.excluded.append(piece)


def _groups(words: list[tuple[str, bool]], alternatives_of: dict[int, list[str]]) -> list[Group]:
    """One group per word, phrase or run of words the thesaurus knows, in order, each
    typed text once; stop words are dropped unless an OR names an alternative."""
    groups: list[Group] = []
    seen: set[str] = set()
    index = 0
    while index < len(words):
        group, size = _group_at(words, index, alternatives_of)
        if group is not None and group.typed.casefold() not in seen:
            seen.add(group.typed.casefold())
            groups.append(group)
        index += size
    return groups


def _group_at(
    words: list[tuple[str, bool]], index: int, alternatives_of: dict[int, list[str]]
) -> tuple[Group | None, int]:
    """The group starting at `index` and how many words it takes (None for a stop word):
    the longest run of plain words that the thesaurus knows becomes one group."""
    run: list[str] = []
    for word, phrase in words[index : index + 4]:
        if phrase:
            break
        run.append(word)
    size, synonyms = longest_entry(run)
    if size:
        typed = " ".join(run[:size])
        choices = [typed, *synonyms]
    else:
        typed, is_phrase = words[index]
        size = 1
        if not is_phrase and typed.casefold() in STOP_WORDS and index not in alternatives_of:
            return None, 1
        choices = [typed, *alternatives_for(typed)]
    for other in alternatives_of.get(index + size - 1, []):
        choices += [other, *alternatives_for(other)]
    unique = list(dict.fromkeys(c for c in choices if _has_word(c)))
    return Group(typed=typed, alternatives=tuple(unique[:12])), size
