"""The Kubernetes thesaurus (thesaurus.yaml), read once: query-time synonyms."""

import re
from functools import cache
from pathlib import Path

import yaml

THESAURUS_FILE = Path(__file__).with_name("thesaurus.yaml")
MAX_ENTRY_WORDS = 4

# PostgreSQL's English stop words: dropped from queries on both engines, so they agree.
_STOP_TEXT = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his
himself she her hers herself it its itself they them their theirs themselves what
which who whom this that these those am is are was were be been being have has had
having do does did doing a an the and but if or because as until while of at by for
with about against between into through during before after above below to from up
down in out on off over under again further then once here there when where why how
all any both each few more most other some such no nor not only own same so than too
very s t can will just don should now
many much need needs would could might must may really
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def phrase_key(text: str) -> str:
    return " ".join(re.split(r"[\s\-]+", text.casefold().strip()))


@cache
def _entries() -> dict[str, tuple[str, ...]]:
    """Each known expression (normalised) -> every expression of its sets."""
    sets = yaml.safe_load(THESAURUS_FILE.read_text(encoding="utf-8"))
    index: dict[str, list[str]] = {}
    for members in sets:
        names = [str(m) for m in members]
        for name in names:
            index.setdefault(phrase_key(name), []).extend(names)
    return {
        key: tuple(dict.fromkeys(n for n in names if phrase_key(n) != key))
        for key, names in index.items()
    }


def alternatives_for(text: str) -> tuple[str, ...]:
    """Other ways to say `text` (a word or phrase); empty when the thesaurus has none."""
    return _entries().get(phrase_key(text), ())


def longest_entry(words: list[str]) -> tuple[int, tuple[str, ...]]:
    """The longest run of two or more leading `words` that the thesaurus knows, as
    (number of words, alternatives); (0, ()) when none."""
    for size in range(min(len(words), MAX_ENTRY_WORDS), 1, -1):
        found = _entries().get(phrase_key(" ".join(words[:size])))
        if found:
            return size, found
    return 0, ()
