"""Measuring search quality against judged queries (tests/search/relevance.yaml).

Each judged query lists the stories that must appear in the first 10 results. The
measures: recall@10 (the share of those stories in the first 10), success@3 (a judged
story in the first 3) and MRR (1 / rank of the first judged story, 0 past rank 10).
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings

from apps.catalog.models import Story
from apps.search.engine import search_stories

JUDGEMENTS = Path(settings.BASE_DIR) / "tests" / "search" / "relevance.yaml"
CUTOFF = 10


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
