"""Appending to the audit log."""

from typing import Any

from apps.core.models import AuditAction, AuditEntry


def record(
    *,
    action: AuditAction,
    actor: Any = None,
    actor_name: str = "",
    submission: Any = None,
    story: Any = None,
    message: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry. `submission` and `story` are any saved rows (kept by id; the story's
    slug too, so the entry still names it once the story is gone)."""
    if not actor_name:
        actor_name = actor.get_username() if actor is not None and actor.is_authenticated else ""
    return AuditEntry.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor_name or "anonymous",
        submission_id=submission.pk if submission is not None else None,
        story_id=story.pk if story is not None else None,
        story_slug=story.slug if story is not None else "",
        message=message,
        before=before,
        after=after,
    )
