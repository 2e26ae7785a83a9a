"""Measuring search quality against judged queries (tests/search/relevance.yaml).

Each judged query lists the stories that must appear in the first 10 results. The
measures: recall@10 (the share of those stories in the first 10), success@3 (a judged
story in the first 3) and MRR (1 / rank of the first judged story, 0 past rank 10).

Both engines must give the same answers within a small tolerance: each engine's first 3
results per query are recorded in tests/search/relevance_top3.yaml (`make relevance`
writes them), a test compares the two engines' records, and each engine's test checks
that its record is still what it answers.
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings

from apps.catalog.models import Story
from apps.search.engine import search_stories

JUDGEMENTS = Path(settings.BASE_DIR) / "tests" / "search" / "relevance.yaml"
RANKINGS = Path(settings.BASE_DIR) / "tests" / "search" / "relevance_top3.yaml"
CUTOFF = 10
TOP = 3
ENGINES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Judgement:
    query: str
    kind: str
    relevant: tuple[str, ...]


@dataclass
class Outcome:
    judgement: Judgement
    ranked: list[str]

    @property
    def recall(self) -> float:
        top = set(self.ranked[:CUTOFF])
        return sum(slug in top for slug in self.judgement.relevant) / len(self.judgement.relevant)

    @property
    def success_at_3(self) -> bool:
        return any(slug in self.judgement.relevant for slug in self.ranked[:3])

    @property
    def reciprocal_rank(self) -> float:
        for rank, slug in enumerate(self.ranked[:CUTOFF], start=1):
            if slug in self.judgement.relevant:
                return 1 / rank
        return 0.0


@dataclass
class RelevanceReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def _mean(self, values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    @property
    def recall(self) -> float:
        return self._mean([o.recall for o in self.outcomes])

    @property
    def success_at_3(self) -> float:
        return self._mean([float(o.success_at_3) for o in self.outcomes])

    @property
    def mrr(self) -> float:
        return self._mean([o.reciprocal_rank for o in self.outcomes])

    def summary(self) -> str:
        return (
            f"{len(self.outcomes)} queries: recall@10 {self.recall:.3f}, "
            f"success@3 {self.success_at_3:.3f}, MRR {self.mrr:.3f}"
        )


def load_judgements(path: Path = JUDGEMENTS) -> list[Judgement]:
    """The judged queries of the relevance set, in file order."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Judgement(query=str(e["query"]), kind=str(e["kind"]), relevant=tuple(e["relevant"]))
        for e in entries
    ]


def evaluate(judgements: list[Judgement]) -> RelevanceReport:
    """Run every judged query against the public stories of the current database."""
    slugs = dict(Story.objects.public().values_list("pk", "slug"))
    report = RelevanceReport()
    for judgement in judgements:
        results = search_stories(judgement.query, Story.objects.public())
        ranked = [slugs[pk] for pk in results.story_ids[:CUTOFF] if pk in slugs]
        report.outcomes.append(Outcome(judgement=judgement, ranked=ranked))
    return report


def top3(report: RelevanceReport) -> dict[str, list[str]]:
    """Each judged query's first 3 results (slugs), in file order."""
    return {o.judgement.query: o.ranked[:TOP] for o in report.outcomes}


def load_rankings(path: Path = RANKINGS) -> dict[str, dict[str, list[str]]]:
    """The recorded first 3 results per engine: {engine: {query: slugs}}."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {engine: dict(data.get(engine) or {}) for engine in ENGINES if engine in data}


def write_rankings(engine: str, ranked: dict[str, list[str]], path: Path = RANKINGS) -> None:
    """Record one engine's first 3 results, keeping the other engine's."""
    rankings = load_rankings(path)
    rankings[engine] = ranked
    header = (
        "# The first 3 results of each judged query, per engine, written by `make relevance`\n"
        "# (search_relevance --write-top3). tests/search/test_relevance.py checks that the\n"
        "# engines agree and that each still answers what is recorded here.\n"
    )
    body = yaml.safe_dump(
        {e: rankings[e] for e in ENGINES if e in rankings},
        sort_keys=False,
        allow_unicode=True,
        width=200,
    )
    path.write_text(header + body, encoding="utf-8")


@dataclass(frozen=True)
class Agreement:
    """How far two rankings of the same queries share their first 3 results."""

    mean_shared: float  # stories shared in the first 3, averaged over queries (0-3)
    disjoint: tuple[str, ...]  # queries whose first 3 share no story
    queries: int

    def summary(self) -> str:
        return (
            f"{self.queries} queries: {self.mean_shared:.2f} of the first {TOP} shared on "
            f"average, {len(self.disjoint)} with none shared"
        )


def agreement(a: dict[str, list[str]], b: dict[str, list[str]]) -> Agreement:
    """Compare two {query: first 3} records over the queries both hold."""
    queries = [q for q in a if q in b]
    shared = [len(set(a[q][:TOP]) & set(b[q][:TOP])) for q in queries]
    disjoint = tuple(q for q, n in zip(queries, shared, strict=True) if n == 0 and (a[q] or b[q]))
    mean = sum(shared) / len(shared) if shared else 0.0
    return Agreement(mean_shared=mean, disjoint=disjoint, queries=len(queries))
