from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from apps.catalog.exceptions import StoryVersionConflict
from apps.catalog.models import Story, UpstreamIssue
from tests.factories import (
    ComponentFactory,
    MitigationFactory,
    OrganizationFactory,
    SourceFactory,
    StoryFactory,
)

pytestmark = pytest.mark.django_db


def assert_rejected(**update: object) -> None:
    story = StoryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.filter(pk=story.pk).update(**update)


def test_story_slugs_are_unique() -> None:
    StoryFactory(slug="2020-a-b")
    with pytest.raises(IntegrityError), transaction.atomic():
        StoryFactory(slug="2020-a-b")


@pytest.mark.parametrize(
    "update",
    [
        {"status": "pending"},
        {"origin": "mail"},
        {"date_precision": "week"},
        {"verification": "rumour"},
        {"version": 0},
    ],
)
def test_invalid_values_are_refused_by_the_database(update: dict[str, object]) -> None:
    assert_rejected(**update)


def test_canonical_source_urls_are_unique_across_stories() -> None:
    SourceFactory(url="https://example.org/a", canonical_url="https://example.org/a")
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFactory(url="https://example.org/a/", canonical_url="https://example.org/a")


def test_source_kind_is_checked() -> None:
    source = SourceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(source).objects.filter(pk=source.pk).update(kind="tweet")


def test_an_upstream_number_exists_once_per_repository() -> None:
    fields = {"tracker": "github", "owner": "kubernetes", "repo": "kubernetes", "number": 1}
    UpstreamIssue.objects.create(
        url="https://github.com/kubernetes/kubernetes/issues/1", kind="issue", **fields
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        UpstreamIssue.objects.create(
            url="https://github.com/kubernetes/kubernetes/pull/1", kind="pull", **fields
        )


def test_upstream_state_is_checked() -> None:
    issue = UpstreamIssue.objects.create(
        url="https://github.com/a/b/issues/2",
        tracker="github",
        owner="a",
        repo="b",
        number=2,
        kind="issue",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        UpstreamIssue.objects.filter(pk=issue.pk).update(state="wontfix")


def test_component_and_mitigation_and_organization_slugs_are_unique() -> None:
    ComponentFactory(slug="dns")
    MitigationFactory(slug="m")
    OrganizationFactory(slug="o", name="O")
    for create in (
        lambda: ComponentFactory._meta.model.objects.create(
            area=ComponentFactory().area, slug="dns", name="x"
        ),
        lambda: MitigationFactory(slug="m"),
        lambda: OrganizationFactory._meta.model.objects.create(slug="o", name="Other"),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            create()


def test_public_is_published_only() -> None:
    published = StoryFactory()
    StoryFactory(status=Story.Status.DRAFT)
    StoryFactory(status=Story.Status.RETRACTED)
    assert list(Story.objects.public()) == [published]


def test_retract_bumps_version() -> None:
    story = StoryFactory()
    story.retract(expected_version=story.version)
    story.refresh_from_db()
    assert (story.status, story.version) == (Story.Status.RETRACTED, 2)


def test_retract_refuses_a_stale_version_and_changes_nothing() -> None:
    story = StoryFactory()
    stale = Story.objects.get(pk=story.pk)
    story.retract(expected_version=1)
    with pytest.raises(StoryVersionConflict):
        stale.retract(expected_version=1)
    story.refresh_from_db()
    assert (story.status, story.version) == (Story.Status.RETRACTED, 2)


@pytest.mark.parametrize(
    ("precision", "display", "value"),
    [
        ("year", "2020", "2020"),
        ("month", "May 2020", "2020-05"),
        ("day", "1 May 2020", "2020-05-01"),
    ],
)
def test_dates_show_only_their_precision(precision: str, display: str, value: str) -> None:
    story = StoryFactory.build(date_precision=precision)
    assert (story.date_display, story.date_value) == (display, value)


@pytest.mark.postgres
def test_postgres_connections_use_health_checks() -> None:
    assert connection.vendor == "postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_claim_raises_every_version_in_one_statement(
    django_assert_num_queries: Any,
) -> None:
    first, second = StoryFactory(), StoryFactory(version=4)
    with django_assert_num_queries(3):  # the UPDATE, in a savepoint
        Story.objects.claim([(first, 1), (second, 4)], status=Story.Status.DRAFT)
    assert (first.version, second.version) == (2, 5)
    stored = dict(Story.objects.values_list("pk", "version"))
    assert stored == {first.pk: 2, second.pk: 5}
    assert set(Story.objects.values_list("status", flat=True)) == {Story.Status.DRAFT}


def test_claim_with_one_moved_story_claims_none_and_names_it() -> None:
    first, moved, third = StoryFactory(), StoryFactory(), StoryFactory()
    Story.objects.filter(pk=moved.pk).update(version=2)
    with pytest.raises(StoryVersionConflict) as info:
        Story.objects.claim([(first, 1), (moved, 1), (third, 1)])
    assert info.value.slug == moved.slug
    stored = dict(Story.objects.values_list("pk", "version"))
    assert stored == {first.pk: 1, moved.pk: 2, third.pk: 1}
    assert (first.version, third.version) == (1, 1)
