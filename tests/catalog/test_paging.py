"""StoryPaginator: with the stories per year, a list ordered by date starts reading at its
page's year, and every page holds what it holds without them."""

import datetime
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Story
from apps.catalog.paging import StoryPaginator
from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories() -> None:
    days = [(2016, 3, 1), (2016, 3, 1), (2018, 1, 1), (2018, 12, 31), (2019, 6, 5)]
    days += [(2020, 1, 1)] * 4 + [(2021, 7, 7), (2023, 2, 2), (2023, 2, 3)]
    for year, month, day in days:
        StoryFactory(published_on=datetime.date(year, month, day), components=[])


def _years() -> list[list[int]]:
    counted = Counter(day.year for day in Story.objects.values_list("published_on", flat=True))
    return sorted(([year, n] for year, n in counted.items()), reverse=True)


def _pages(paginator: StoryPaginator) -> list[list[str]]:
    return [[s.slug for s in paginator.page(n).object_list] for n in paginator.page_range]


@pytest.mark.parametrize("ordering", [("-published_on", "slug"), ("published_on", "slug")])
@pytest.mark.parametrize("per_page", [1, 2, 3, 5])
def test_pages_are_the_same_with_the_years(stories: None, ordering: Any, per_page: int) -> None:
    listed = Story.objects.order_by(*ordering)
    plain = StoryPaginator(listed, per_page)
    by_year = StoryPaginator(listed, per_page, count=listed.count(), years=_years())
    assert _pages(by_year) == _pages(plain)
    every = [slug for page in _pages(by_year) for slug in page]
    assert every == list(listed.values_list("slug", flat=True))


def test_a_middle_page_reads_from_its_year(stories: None) -> None:
    listed = Story.objects.order_by("-published_on", "slug")
    paginator = StoryPaginator(listed, 2, count=listed.count(), years=_years())
    with CaptureQueriesContext(connection) as queries:
        paginator.page(3)  # rows 5 and 6: 2020, after the 2023 and 2021 ones
    window = queries.captured_queries[0]["sql"]
    assert "2021-01-01" in window


def test_years_that_do_not_add_up_are_not_used(stories: None) -> None:
    listed = Story.objects.order_by("-published_on", "slug")
    wrong = [[2023, 1], [2020, 4]]
    paginator = StoryPaginator(listed, 2, count=listed.count(), years=wrong)
    assert _pages(paginator) == _pages(StoryPaginator(listed, 2))
