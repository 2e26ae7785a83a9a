"""Search quality over the judged queries of tests/search/relevance.yaml.

The floors are what search reaches today on the engine the suite runs on; they only
ever rise. `make relevance` prints the same measures with the queries that miss.
"""

import pytest
from django.db import connection

from apps.catalog.services import catalogue_import
from apps.catalog.storyfiles.parsing import load_catalogue
from apps.search.relevance import RelevanceReport, evaluate, load_judgements
from tests.conftest import REPO_FIXTURES

# (recall@10, success@3, MRR) per engine
FLOORS = {
    "sqlite": (0.41, 0.44, 0.43),
    "postgresql": (0.46, 0.49, 0.49),
}


@pytest.fixture
def report(db) -> RelevanceReport:  # type: ignore[no-untyped-def]
    catalogue_import(catalogue=load_catalogue(REPO_FIXTURES, base=REPO_FIXTURES))
    return evaluate(load_judgements())


def test_the_set_has_at_least_80_judged_queries() -> None:
    judgements = load_judgements()
    assert len(judgements) >= 80
    assert len({j.query for j in judgements}) == len(judgements)
    assert all(j.relevant for j in judgements)


def test_relevance_stays_above_its_floor(report: RelevanceReport) -> None:
    recall, success, mrr = FLOORS[connection.vendor]
    print(connection.vendor, report.summary())
    assert report.recall >= recall, report.summary()
    assert report.success_at_3 >= success, report.summary()
    assert report.mrr >= mrr, report.summary()
