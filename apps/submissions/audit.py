"""Appending to the audit log, and the snapshots it keeps."""

from typing import Any

from apps.catalog.models import Story
from apps.catalog.services import DatabaseTerms
from apps.catalog.storyfiles.mapping import record_from_story
from apps.catalog.storyfiles.payload import record_to_payload
from apps.submissions.models import AuditAction, AuditEntry, Submission


def story_snapshot(story: Story, terms: DatabaseTerms | None = None) -> dict[str, Any]:
    """The whole story as JSON, as it is in the database now."""
    fresh = Story.objects.for_detail().get(pk=story.pk)
    record = record_from_story(fresh, **(terms or DatabaseTerms()).orders())
    return {
        "slug": fresh.slug,
        "status": fresh.status,
        "verified": fresh.verification,
        "version": fresh.version,
        **record_to_payload(record),
    }


def record(
    *,
    action: AuditAction,
    actor: Any = None,
    actor_name: str = "",
    submission: Submission | None = None,
    story: Story | None = None,
    message: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    if not actor_name:
        actor_name = actor.get_username() if actor is not None and actor.is_authenticated else ""
    return AuditEntry.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor_name or "anonymous",
        submission=submission,
        story=story,
        story_slug=story.slug if story is not None else "",
        message=message,
        before=before,
        after=after,
    )
