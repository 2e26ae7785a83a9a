"""Synthetic story files for benchmarks: many varied stories in the real file format.

Stories are built as StoryRecords from the real taxonomy and mitigations and written in
the canonical layout of `serialization.story_to_text`. Story number i depends only on the
seed and i, so a smaller catalogue is a prefix of a larger one with the same seed. Source
URLs live under the reserved domain synthetic.example; nothing here touches the network.
"""

import bisect
import datetime
import functools
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from django.utils.text import slugify

from apps.catalog.storyfiles import synthetic_words as words
from apps.catalog.storyfiles.parsing import SOURCE_KINDS, mitigation_from_file
from apps.catalog.storyfiles.payload import date_text
from apps.catalog.storyfiles.records import (
    MitigationLinkRecord,
    MitigationRecord,
    SourceRecord,
    StoryRecord,
    UpstreamRecord,
)
from apps.catalog.storyfiles.serialization import _scalar, story_to_text
from apps.catalog.storyfiles.taxonomy import TermRecord, load_taxonomy

SOURCE_BASE = "https://synthetic.example"
ORGANIZATION_COUNT = 3000
# Fixed, so the same seed gives the same files whatever day it is run.
FIRST_DATE = datetime.date(2014, 6, 7)
LAST_DATE = datetime.date(2026, 6, 30)
YEAR_WEIGHTS = {2014: 1, 2015: 2, 2016: 4, 2017: 6, 2018: 8, 2019: 10, 2020: 11, 2021: 11,
                2022: 10, 2023: 9, 2024: 8, 2025: 7, 2026: 4}  # fmt: skip
# Most-written-about components first; the rest follow in taxonomy order.
POPULAR_COMPONENTS = ("dns", "cpu-throttling", "kube-apiserver", "etcd", "memory-oom", "ingress",
                      "conntrack", "cni", "coredns", "node-health", "certificates")  # fmt: skip
PLATFORM_WEIGHTS = {"aws": 30, "eks": 12, "gcp": 10, "gke": 12, "azure": 6, "aks": 6,
                    "digitalocean": 3, "openshift": 4, "on-prem": 12}  # fmt: skip
IMPACT_WEIGHTS = {"outage": 35, "degraded-latency": 25, "errors": 25, "data-loss": 4,
                  "cost": 6, "security": 5}  # fmt: skip
KIND_WEIGHTS = {"postmortem": 30, "incident-report": 15, "blog-post": 35, "talk": 10,
                "slides": 4, "issue": 6}  # fmt: skip
VERIFY_EVERY = 97  # check this share of files against the real serializer

T = TypeVar("T")
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .,'()/_+%-]*[A-Za-z0-9.)%]|https://[A-Za-z0-9./_-]+")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


class Zipf(Generic[T]):
    """Items drawn with weight 1/rank**exponent: the first often, the last rarely."""

    def __init__(self, items: Sequence[T], exponent: float = 1.0) -> None:
        self.items = tuple(items)
        total, self.cumulative = 0.0, []
        for rank in range(1, len(self.items) + 1):
            total += rank**-exponent
            self.cumulative.append(total)

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def _weighted(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    """k distinct keys, drawn by weight."""
    chosen: list[str] = []
    keys = [key for key in weights if weights[key] > 0]
    while len(chosen) < min(k, len(keys)):
        key = rng.choices(keys, [weights[key] for key in keys])[0]
        if key not in chosen:
            chosen.append(key)
    return chosen


@dataclass(frozen=True)
class Vocabulary:
    """What stories may name: read from a fixtures folder, so slugs are always real."""

    components: tuple[TermRecord, ...]
    platforms: tuple[TermRecord, ...]
    impacts: tuple[str, ...]
    mitigations: tuple[MitigationRecord, ...]


def load_vocabulary(fixtures: Path) -> Vocabulary:
    """The taxonomy and mitigations under a fixtures folder; raises if they have problems."""
    taxonomy = load_taxonomy(fixtures)
    mitigations = []
    for path in sorted((fixtures / "mitigations").glob("*.md")):
        record, problems = mitigation_from_file(path, taxonomy=taxonomy)
        taxonomy.problems.extend(problems)
        if record:
            mitigations.append(record)
    if taxonomy.problems:
        raise ValueError("; ".join(map(str, taxonomy.problems[:5])))
    return Vocabulary(
        components=tuple(taxonomy.components),
        platforms=tuple(taxonomy.platforms),
        impacts=tuple(i.slug for i in taxonomy.impacts),
        mitigations=tuple(mitigations),
    )


class StoryGenerator:
    """Builds synthetic story records; `record(i)` depends only on the seed and i."""

    def __init__(self, vocabulary: Vocabulary, seed: int) -> None:
        self.vocabulary = vocabulary
        self.seed = seed
        components = {c.slug: c for c in vocabulary.components}
        ranked = [s for s in POPULAR_COMPONENTS if s in components]
        ranked += [s for s in components if s not in ranked]
        self.components = Zipf([components[s] for s in ranked], exponent=0.9)
        self.component_order = {c.slug: i for i, c in enumerate(vocabulary.components)}
        self.by_area: dict[str, list[TermRecord]] = {}
        for component in vocabulary.components:
            self.by_area.setdefault(component.area, []).append(component)
        self.terms = Zipf(words.GLOBAL_TERMS)
        self.platforms = {p.slug: p for p in vocabulary.platforms}
        self.platform_order = {p.slug: i for i, p in enumerate(vocabulary.platforms)}
        self.platform_weights = {s: PLATFORM_WEIGHTS.get(s, 2) for s in self.platforms}
        self.impact_order = {slug: i for i, slug in enumerate(vocabulary.impacts)}
        self.impact_weights = {s: IMPACT_WEIGHTS.get(s, 3) for s in vocabulary.impacts}
        self.kind_weights = {k: KIND_WEIGHTS.get(k, 3) for k in SOURCE_KINDS}
        names = [f"{a} {b}" for a in words.ORGANIZATION_WORDS for b in words.ORGANIZATION_KINDS]
        random.Random(seed).shuffle(names)  # noqa: S311 - reproducible data, not secrets
        self.organizations = Zipf(names[:ORGANIZATION_COUNT])
        self.upstream_numbers = Zipf(range(5000), exponent=0.8)
        self.symptoms = Zipf(words.GLOBAL_SYMPTOMS)

    def record(self, index: int) -> StoryRecord:
        rng = random.Random(self.seed * 10_000_019 + index)  # noqa: S311 - as above
        organization = self.organizations.pick(rng)
        date, precision = self._date(rng)
        components = self._components(rng)
        platforms = _weighted(rng, self.platform_weights, rng.choices((0, 1, 2), (20, 65, 15))[0])
        impacts = _weighted(rng, self.impact_weights, rng.choices((0, 1, 2), (10, 65, 25))[0])
        mitigations = self._mitigations(rng, components)
        story_terms = [t for c in components for t in self._component_terms(c)]
        fill = _Filler(self, rng, components, story_terms, platforms, mitigations, organization)
        title = fill.format(rng.choice(words.TITLE_TEMPLATES))
        slug = slugify(f"{date.year} {organization} {title}").replace("_", "-")
        slug = re.sub(r"-{2,}", "-", slug)[:110].strip("-") + f"-{index}"
        kinds = _weighted(rng, self.kind_weights, rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0])
        sources = tuple(
            SourceRecord(
                url=f"{SOURCE_BASE}/{_org_slug(organization)}/{slug}" + (f"/{n}" if n else ""),
                kind=kind,
                title="" if n == 0 or rng.random() < 0.6 else f"{title} ({kind.replace('-', ' ')})",
            )
            for n, kind in enumerate(kinds)
        )
        return StoryRecord(
            slug=slug,
            title=title,
            organization=organization,
            date=date,
            date_precision=precision,
            sources=sources,
            components=tuple(
                sorted((c.slug for c in components), key=self.component_order.__getitem__)
            ),
            platforms=tuple(sorted(platforms, key=self.platform_order.__getitem__)),
            impacts=tuple(sorted(impacts, key=self.impact_order.__getitem__)),
            upstream=self._upstream(rng, fill),
            mitigations=tuple(
                MitigationLinkRecord(slug=m.slug, note=fill.maybe(0.3, "Applies to {term} here."))
                for m in mitigations
            ),
            verified="source" if rng.random() < 0.8 else "listing",
            summary=fill.summary(),
            symptoms=self._symptoms(rng, components),
        )

    def _date(self, rng: random.Random) -> tuple[datetime.date, str]:
        year = rng.choices(list(YEAR_WEIGHTS), list(YEAR_WEIGHTS.values()))[0]
        first = max(datetime.date(year, 1, 1), FIRST_DATE)
        last = min(datetime.date(year, 12, 31), LAST_DATE)
        day = first + datetime.timedelta(days=rng.randrange((last - first).days + 1))
        precision = rng.choices(("day", "month", "year"), (55, 30, 15))[0]
        if precision == "month":
            return day.replace(day=1), precision
        if precision == "year":
            return day.replace(month=1, day=1), precision
        return day, precision

    def _components(self, rng: random.Random) -> list[TermRecord]:
        chosen = [self.components.pick(rng)]
        for _ in range(rng.choices((0, 1, 2, 3), (35, 35, 20, 10))[0]):
            if rng.random() < 0.6:
                candidate = rng.choice(self.by_area[chosen[0].area])
            else:
                candidate = self.components.pick(rng)
            if candidate not in chosen:
                chosen.append(candidate)
        return chosen

    def _symptoms(self, rng: random.Random, components: list[TermRecord]) -> tuple[str, ...]:
        own = [s for c in components for s in words.COMPONENT_SYMPTOMS.get(c.slug, ())]
        found: list[str] = []
        for _ in range(rng.choices((0, 1, 2, 3), (45, 30, 15, 10))[0]):
            template = rng.choice(own) if own and rng.random() < 0.7 else self.symptoms.pick(rng)
            symptom = template.format(
                ip=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                n=rng.randrange(2, 64),
                hash=f"{rng.getrandbits(40):010x}",
                duration=f"{rng.randrange(1, 20)}m{rng.randrange(60)}.{rng.randrange(10**6)}s",
            )
            if symptom not in found:
                found.append(symptom)
        return tuple(found)

    def _component_terms(self, component: TermRecord) -> tuple[str, ...]:
        return (component.name, *words.COMPONENT_TERMS.get(component.slug, ()), *component.aliases)

    def _mitigations(
        self, rng: random.Random, components: list[TermRecord]
    ) -> list[MitigationRecord]:
        slugs = {c.slug for c in components}
        fitting = [m for m in self.vocabulary.mitigations if slugs & set(m.components)]
        pool = fitting or list(self.vocabulary.mitigations)
        count = min(rng.choices((0, 1, 2, 3), (50, 25, 15, 10))[0], len(pool))
        return rng.sample(pool, count)

    def _upstream(self, rng: random.Random, fill: "_Filler") -> tuple[UpstreamRecord, ...]:
        links: dict[str, UpstreamRecord] = {}
        for _ in range(rng.choices((0, 1, 2, 3), (45, 30, 15, 10))[0]):
            repository = rng.choice(words.UPSTREAM_REPOSITORIES)
            number = 1000 + 13 * self.upstream_numbers.pick(rng)
            # GitHub numbers issues and pull requests together: one number is one of them.
            kind = "pull" if (number * 7 + len(repository)) % 10 < 3 else "issues"
            url = f"https://github.com/{repository}/{kind}/{number}"
            note = fill.maybe(0.4, rng.choice(words.UPSTREAM_NOTES))
            links.setdefault(url, UpstreamRecord(url=url, note=note))
        return tuple(links.values())


class _Filler:
    """Fills the text templates of one story with its own and the catalogue's terms."""

    def __init__(
        self,
        generator: StoryGenerator,
        rng: random.Random,
        components: list[TermRecord],
        story_terms: list[str],
        platforms: list[str],
        mitigations: list[MitigationRecord],
        organization: str,
    ) -> None:
        self.generator, self.rng = generator, rng
        self.components, self.story_terms = components, story_terms
        platform_names = [generator.platforms[p].name for p in platforms]
        self.platform_names = platform_names or ["self-managed servers"]
        self.mitigation_titles = [m.title for m in mitigations] or ["clearer limits"]
        self.organization = organization
        choice, randrange = rng.choice, rng.randrange
        self.values: dict[str, Callable[[], str]] = {
            "term": self.term,
            "term2": self.term,
            "term3": self.term,
            "component": lambda: components[0].name,
            "component2": self.other_component,
            "platform": lambda: choice(self.platform_names),
            "failure": lambda: choice(words.FAILURES),
            "consequence": lambda: choice(words.CONSEQUENCES),
            "trigger": lambda: choice(words.TRIGGERS),
            "scale": lambda: choice(words.SCALES),
            "command": lambda: choice(words.COMMANDS),
            "mitigation": lambda: choice(self.mitigation_titles),
            "minutes": lambda: str(randrange(2, 90)),
            "hours": lambda: str(randrange(1, 30)),
            "percent": lambda: str(randrange(2, 100)),
            "services": lambda: str(randrange(2, 400)),
            "nodes": lambda: str(choice((12, 40, 150, 600, 2500))),
        }

    def term(self) -> str:
        if self.rng.random() < 0.5:
            return self.rng.choice(self.story_terms)
        return self.generator.terms.pick(self.rng)

    def other_component(self) -> str:
        if len(self.components) > 1:
            return self.rng.choice(self.components[1:]).name
        while (other := self.generator.components.pick(self.rng)) == self.components[0]:
            pass
        return other.name

    def maybe(self, chance: float, template: str) -> str:
        """The filled template with this chance, else no text (an optional note)."""
        return self.format(template) if self.rng.random() < chance else ""

    def format(self, template: str) -> str:
        filled = {}
        for name in _fields(template):
            value = self.values[name.lower()]()
            filled[name] = value[0].upper() + value[1:] if name[0].isupper() else value
        return template.format_map(filled)

    def summary(self) -> str:
        rng = self.rng
        paragraphs = []
        if rng.random() < 0.5:
            paragraphs.append(f"{self.organization} published this account of an incident.")
        for _ in range(rng.choices((2, 3, 4, 5), (35, 35, 20, 10))[0]):
            count = rng.randrange(2, 6)
            paragraphs.append(" ".join(self.format(s) for s in rng.sample(words.SENTENCES, count)))
        actions = [self.format(a) for a in rng.sample(words.ACTIONS, rng.randrange(2, 5))]
        if rng.random() < 0.3:
            heading = rng.choice(words.HEADINGS)
            paragraphs.append(f"### {heading}\n\n" + "\n".join(f"- {a}" for a in actions))
        else:
            paragraphs.append("What the team changed: " + " ".join(actions))
        return "\n\n".join(paragraphs)


@functools.cache
def _org_slug(name: str) -> str:
    return slugify(name)


@functools.cache
def _fields(template: str) -> tuple[str, ...]:
    return tuple(re.findall(r"{(\w+)}", template))


def _plain(value: str) -> str:
    """`_scalar`, without its cost for text YAML leaves unquoted anyway."""
    if _PLAIN.fullmatch(value) and value.casefold() not in _YAML_WORDS:
        return value
    return _scalar(value)


def story_text(record: StoryRecord) -> str:
    """The same bytes as `story_to_text(record)`, about ten times faster for these records."""
    lines = [
        "---",
        f"title: {_plain(record.title)}",
        f"organization: {_plain(record.organization)}",
        f"date: {date_text(record)}",
        "sources:",
    ]
    for source in record.sources:
        lines += [f"  - url: {_plain(source.url)}", f"    kind: {source.kind}"]
        if source.title:
            lines.append(f"    title: {_plain(source.title)}")
    lines.append(f"components: [{', '.join(record.components)}]")
    if record.symptoms:
        lines.append("symptoms:")
        lines.extend(f"  - {_plain(symptom)}" for symptom in record.symptoms)
    if record.platforms:
        lines.append(f"platforms: [{', '.join(record.platforms)}]")
    if record.impacts:
        lines.append(f"impact: [{', '.join(record.impacts)}]")
    if record.upstream:
        lines.append("upstream:")
        for link in record.upstream:
            if link.note:
                lines += [f"  - url: {_plain(link.url)}", f"    note: {_plain(link.note)}"]
            else:
                lines.append(f"  - {_plain(link.url)}")
    if record.mitigations:
        lines.append("mitigations:")
        for mitigation in record.mitigations:
            if mitigation.note:
                lines += [f"  - slug: {mitigation.slug}", f"    note: {_plain(mitigation.note)}"]
            else:
                lines.append(f"  - {mitigation.slug}")
    lines += [f"verified: {record.verified}", "---"]
    return "\n".join(lines) + "\n" + record.summary.strip() + "\n"


def generate_story_files(
    vocabulary: Vocabulary, *, count: int, seed: int, folder: Path
) -> Iterator[Path]:
    """Write `count` synthetic story files into `folder`, yielding each path as written.

    Raises RuntimeError if a sampled file differs from what `story_to_text` writes, so a
    change to the canonical layout cannot silently produce files of another format.
    """
    generator = StoryGenerator(vocabulary, seed)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        record = generator.record(index)
        text = story_text(record)
        if index % VERIFY_EVERY == 0 and text != story_to_text(record):
            raise RuntimeError(
                f"synthetic story {record.slug} is not in the canonical layout of "
                "story_to_text; update apps/catalog/storyfiles/synthetic.py"
            )
        path = folder / f"{record.slug}.md"
        path.write_bytes(text.encode("utf-8"))
        yield path
