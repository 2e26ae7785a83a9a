"""Loading the shipped upstream facts into the database, and reading them back out.

Facts from the file never overwrite newer ones: a database that a sync has already
brought further keeps what it has.
"""

import datetime
from pathlib import Path

from django.db import transaction
from django.db.models.functions import Lower

from apps.catalog.models import Story, StoryUpstreamIssue, UpstreamIssue
from apps.catalog.signals import stories_changed
from apps.catalog.storyfiles.upstreamfacts import UpstreamFacts, load_upstream_facts
from apps.core.sharedcache import catalogue_changed

FACT_FIELDS = [
    "state", "title", "labels", "milestone", "opened_at", "closed_at", "merged_at",
    "last_synced_at",
]  # fmt: skip


def _as_of_moment(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


@transaction.atomic
def apply_upstream_facts(facts: dict[str, UpstreamFacts]) -> int:
    """Store the facts on the upstream issues they name; returns how many were updated.

    An issue is updated only when the database has no facts yet, or older ones than the
    file's `as_of`. Issues the file does not name are left alone. An issue's title is
    part of the search text of the stories that link it: those stories are reindexed
    when it changes.
    """
    # GitHub owner and repository names ignore case, and story files may spell them either way.
    by_url = {url.lower(): fact for url, fact in facts.items()}
    changed = []
    retitled = []
    issues = UpstreamIssue.objects.annotate(url_lower=Lower("url")).filter(url_lower__in=by_url)
    for issue in issues:
        fact = by_url[issue.url.lower()]
        as_of = _as_of_moment(fact.as_of)
        if issue.last_synced_at is not None and issue.last_synced_at >= as_of:
            continue
        if issue.title != fact.title:
            retitled.append(issue.pk)
        issue.state = fact.state
        issue.title = fact.title
        issue.labels = list(fact.labels)
        issue.milestone = fact.milestone
        issue.opened_at, issue.closed_at, issue.merged_at = fact.opened, fact.closed, fact.merged
        issue.last_synced_at = as_of
        changed.append(issue)
    UpstreamIssue.objects.bulk_update(changed, FACT_FIELDS)
    if changed:
        catalogue_changed()  # bulk writes send no signals
    if retitled:
        stories_changed.send(
            sender=Story,
            story_ids=StoryUpstreamIssue.objects.filter(upstream_issue__in=retitled).values_list(
                "story_id", flat=True
            ),
        )
    return len(changed)


def import_upstream_facts(root: Path) -> int:
    """Apply fixtures/upstream/issues.yaml under `root`; its problems are validate_stories'."""
    facts, _problems = load_upstream_facts(root)
    return apply_upstream_facts(facts)


def facts_from_database(
    known: dict[str, UpstreamFacts] | None = None,
) -> dict[str, UpstreamFacts]:
    """Every synced issue's facts, over `known` (entries for issues not in the database,
    or never synced, are kept as they were)."""
    facts = dict(known or {})
    for issue in UpstreamIssue.objects.exclude(last_synced_at=None).order_by("url"):
        synced = issue.last_synced_at or datetime.datetime.now(datetime.UTC)
        facts[issue.url] = UpstreamFacts(
            url=issue.url,
            as_of=synced.astimezone(datetime.UTC).date(),
            state=issue.state,
            title=issue.title,
            opened=issue.opened_at,
            closed=issue.closed_at,
            merged=issue.merged_at,
            labels=tuple(issue.labels or ()),
            milestone=issue.milestone,
        )
    return facts
