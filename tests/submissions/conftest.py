"""Fixtures for submissions: a small taxonomy, valid payloads and people in each role."""

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache

from apps.catalog.models import ImpactKind, Story
from apps.catalog.snapshots import story_snapshot
from apps.catalog.storyfiles.payload import PAYLOAD_FIELDS
from apps.submissions.models import Submission
from tests.factories import (
    ComponentAreaFactory,
    ComponentFactory,
    MitigationFactory,
    PlatformFactory,
    StoryFactory,
)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def taxonomy(db: Any) -> None:
    """Components dns and coredns, platform aws, impact outage, mitigation node-local-dns."""
    area = ComponentAreaFactory(slug="networking", name="Networking")
    ComponentFactory(slug="dns", name="DNS", area=area, position=0)
    ComponentFactory(slug="coredns", name="CoreDNS", area=area, position=1)
    PlatformFactory(slug="aws", name="AWS")
    ImpactKind.objects.get_or_create(slug="outage", defaults={"name": "Outage"})
    MitigationFactory(slug="node-local-dns", title="NodeLocal DNSCache")


def make_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": "CoreDNS ran out of memory during a deploy",
        "organization": "Example Corp",
        "date": "2021-03",
        "sources": [{"url": "https://blog.example.org/coredns-oom", "kind": "postmortem"}],
        "components": ["coredns", "dns"],
        "platforms": ["aws"],
        "impact": ["outage"],
        "upstream": [{"url": "https://github.com/coredns/coredns/issues/1", "note": "Cache."}],
        "mitigations": [{"slug": "node-local-dns", "note": ""}],
        "summary": "CoreDNS pods were **OOM-killed** when a deploy doubled the query rate.",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def payload(taxonomy: None) -> dict[str, Any]:
    return make_payload()


def fresh(submission: Submission) -> Submission:
    """The submission as the database holds it now."""
    return Submission.objects.get(pk=submission.pk)


def edit_payload(story: Story, **changes: Any) -> dict[str, Any]:
    """The story's current JSON form, with `changes`: a proposed edit of it."""
    snapshot = story_snapshot(story)
    return {key: snapshot[key] for key in PAYLOAD_FIELDS} | changes


def make_user(name: str, group: str | None = None) -> User:
    user = User.objects.create_user(name, password=f"pw-{name}-long-enough")
    if group:
        # get_or_create: a transactional test may have flushed the groups the migration made.
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def moderator(db: Any) -> User:
    return make_user("mona", "moderator")


@pytest.fixture
def second_moderator(db: Any) -> User:
    return make_user("mike", "moderator")


@pytest.fixture
def admin_user_role(db: Any) -> User:
    return make_user("ada", "admin")


@pytest.fixture
def member(db: Any) -> User:
    return make_user("sam")


@pytest.fixture
def published_story(taxonomy: None) -> Any:
    from apps.catalog.models import Component

    return StoryFactory(
        slug="2020-acme-etcd-ran-out-of-space",
        title="etcd ran out of space",
        components=[Component.objects.get(slug="dns")],
    )
