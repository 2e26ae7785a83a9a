"""Checks across the catalogue for the editorial mistakes a machine can see.

Each of these was found in the catalogue once: one organization under two spellings
(and so two slugs), a reporter listed as if it were an organization, an upstream link
to a project's community or request tracker instead of its bug tracker, and a summary
sentence copied from its source. They run in `validate_stories`, not in the import:
they are about how the catalogue reads, not whether it can be loaded.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from apps.catalog.links import parse_upstream_url
from apps.catalog.slugs import slug_words
from apps.catalog.storyfiles.records import Problem, StoryRecord

# Names that describe who reported a story rather than whom it happened to.
REPORTER_WORDS = re.compile(
    r"\b(community|anonymous|unknown|individual|independent|reporter|report|user|"
    r"contributor|someone|n/?a|none)\b",
    re.IGNORECASE,
)
# Repositories whose issues are requests to a project's community, not bug reports. Pull
# requests there are documents (KEPs, SIG write-ups) and may be cited.
REQUEST_TRACKERS = {"community", "org", ".github"}
# A sentence repeats its source when this many words in a row appear there too.
VERBATIM_WORDS = 12
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*$")
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])")


def _where(record: StoryRecord) -> str:
    if record.path is None:
        return record.slug
    try:
        return str(record.path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(record.path)


def organization_problems(stories: Iterable[StoryRecord]) -> list[Problem]:
    """One organization under two names, and reporters named as organizations."""
    problems: list[Problem] = []
    by_key: dict[str, dict[str, StoryRecord]] = defaultdict(dict)
    for record in stories:
        name = record.organization
        if not name:
            continue
        if REPORTER_WORDS.search(name):
            problems.append(
                Problem(
                    _where(record),
                    "organization",
                    f"{name!r} describes a reporter, not an organization: leave organization "
                    "out when no organization is named",
                )
            )
        base = _QUALIFIER.sub("", name) or name
        by_key[slug_words(base, fallback="organization")].setdefault(name, record)
    for names in by_key.values():
        if len(names) < 2:
            continue
        spellings = sorted(names)
        for name in spellings[1:]:
            problems.append(
                Problem(
                    _where(names[name]),
                    "organization",
                    f"{name!r} is the same organization as {spellings[0]!r} written another "
                    "way, which would list it twice under two slugs: use one name",
                )
            )
    return problems


def upstream_problems(stories: Iterable[StoryRecord]) -> list[Problem]:
    """Upstream links that point at a community or request tracker."""
    problems: list[Problem] = []
    for record in stories:
        for index, link in enumerate(record.upstream):
            ref = parse_upstream_url(link.url)
            if ref.kind == "issue" and ref.repo.lower() in REQUEST_TRACKERS:
                problems.append(
                    Problem(
                        _where(record),
                        f"upstream[{index}]",
                        f"{ref.owner}/{ref.repo} issues are a community request tracker, not "
                        "a bug tracker: link the bug itself",
                    )
                )
    return problems


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + VERBATIM_WORDS]) for i in range(len(words) - VERBATIM_WORDS + 1)}


def verbatim_problems(stories: Iterable[StoryRecord], copies: Path) -> list[Problem]:
    """Summary sentences with VERBATIM_WORDS or more words in a row from the story's source.

    `copies` holds stored copies of sources as plain text, one file per story named
    `<story slug>.txt`; stories without one are not checked.
    """
    problems: list[Problem] = []
    for record in stories:
        path = copies / f"{record.slug}.txt"
        if not path.is_file():
            continue
        source = _shingles(_words(path.read_text(encoding="utf-8", errors="replace")))
        sentences = _SENTENCE_END.split(" ".join(record.summary.split()))
        for number, sentence in enumerate(sentences, start=1):
            if _shingles(_words(sentence)) & source:
                opening = " ".join(sentence.split()[:8])
                problems.append(
                    Problem(
                        _where(record),
                        "summary",
                        f"sentence {number} ({opening!r}…) repeats its source word for word: "
                        "say it in our own words",
                    )
                )
    return problems


def editorial_problems(
    stories: list[StoryRecord], *, source_copies: Path | None = None
) -> list[Problem]:
    problems = organization_problems(stories) + upstream_problems(stories)
    if source_copies is not None:
        problems += verbatim_problems(stories, source_copies)
    return sorted(problems)
