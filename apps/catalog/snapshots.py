"""The whole story as JSON, as the audit log keeps it before and after a change."""

from typing import Any

from apps.catalog.models import Story
from apps.catalog.storyfiles.mapping import record_from_story
from apps.catalog.storyfiles.payload import record_to_payload
from apps.catalog.terms import DatabaseTerms


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
