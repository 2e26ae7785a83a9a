"""The submission workflow: submit, revise, approve, reject, request changes, retract.

Every state change is one conditional UPDATE on the row's version, so of two moderators
acting at once exactly one succeeds and the other gets SubmissionConflict. Each change
appends to the audit log in the same transaction; emails go out after commit.
"""

import datetime
from dataclasses import replace
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.catalog.exceptions import SourceTaken, StoryVersionConflict
from apps.catalog.links import canonicalize_url
from apps.catalog.models import Story
from apps.catalog.services import story_retract as catalog_story_retract
from apps.catalog.services import (
    story_write,
    unique_story_slug,
)
from apps.catalog.snapshots import story_snapshot
from apps.catalog.storyfiles.payload import PAYLOAD_FIELDS, record_from_payload, record_to_payload
from apps.catalog.storyfiles.records import Problem, StoryRecord
from apps.catalog.terms import DatabaseTerms
from apps.core import audit
from apps.core.limits import MAX_MESSAGE, MAX_SUBMISSION_NOTE
from apps.core.models import AuditAction, AuditEntry
from apps.core.outbox import enqueue
from apps.submissions.exceptions import ConflictReason, SubmissionConflict, SubmissionInvalid
from apps.submissions.models import Submission, SubmissionKind, SubmissionStatus, SubmissionURL
from apps.submissions.tasks import notify_submitter

PAYLOAD_SLUG = "submission"


def check_payload(
    payload: Any, *, verified: str = "source", today: datetime.date | None = None
) -> StoryRecord:
    """The record for a JSON story, checked with the story-file rules against the database."""
    terms = DatabaseTerms()
    record, problems = record_from_payload(
        payload,
        slug=PAYLOAD_SLUG,
        verified=verified,
        taxonomy=terms,
        mitigation_slugs=terms.mitigation_slugs(),
        today=today,
    )
    if record is None:
        raise SubmissionInvalid(problems)
    return record


def _limit(text: str, limit: int, name: str) -> str:
    text = text.strip()
    if len(text) > limit:
        raise SubmissionInvalid([Problem("submission", name, f"is longer than {limit} characters")])
    if "\x00" in text:
        raise SubmissionInvalid([Problem("submission", name, "NUL characters are not allowed")])
    return text


def _save_urls(submission: Submission, record: StoryRecord) -> None:
    submission.urls.all().delete()
    SubmissionURL.objects.bulk_create(
        SubmissionURL(submission=submission, canonical_url=canonicalize_url(source.url))
        for source in record.sources
    )


def _notify(entry: AuditEntry, submission: Submission) -> None:
    if submission.email:
        enqueue(notify_submitter, entry.pk)


def _submitter_name(submitter: Any, email: str) -> str:
    if submitter is not None and submitter.is_authenticated:
        return str(submitter.get_username())
    return "submitter (with email)" if email else "anonymous submitter"


@transaction.atomic
def submission_create(
    *,
    payload: Any,
    story: Story | None = None,
    kind: str | None = None,
    note: str = "",
    email: str = "",
    submitter: Any = None,
    client_key: str = "",
    flags: list[str] | tuple[str, ...] = (),
) -> Submission:
    """Store a proposed story, or a proposed change to the published `story`.

    Raises SubmissionInvalid, writing nothing, when the payload breaks the story-file rules.
    """
    if story is None and kind not in (None, SubmissionKind.NEW):
        raise SubmissionInvalid([Problem("submission", "story", "name the story this changes")])
    record = check_payload(payload)
    note = _limit(note, MAX_SUBMISSION_NOTE, "note")
    base = None
    if story is not None:
        if not story.is_public:
            raise SubmissionInvalid([Problem("submission", "story", "is not a published story")])
        base = story_snapshot(story)
    submission = Submission.objects.create(
        kind=kind or (SubmissionKind.EDIT if story is not None else SubmissionKind.NEW),
        story=story,
        payload=record_to_payload(record),
        base=base,
        base_version=story.version if story is not None else None,
        note=note,
        email=email.strip(),
        submitter=submitter if submitter is not None and submitter.is_authenticated else None,
        client_key=client_key,
        flags=list(flags),
    )
    _save_urls(submission, record)
    entry = audit.record(
        action=AuditAction.SUBMITTED,
        actor=submitter,
        actor_name=_submitter_name(submitter, email),
        submission=submission,
        story=story,
        message=note,
        after=submission.payload,
    )
    _notify(entry, submission)
    return submission


def additional_source_payload(story: Story, source: dict[str, str]) -> dict[str, Any]:
    """The story's current JSON form with one more source at the end."""
    current = story_snapshot(story)
    payload = {key: current[key] for key in PAYLOAD_FIELDS}
    payload["sources"] = [*payload["sources"], source]
    return payload


def _transition(
    submission: Submission,
    *,
    expected_version: int,
    allowed_from: tuple[str, ...],
    action: AuditAction,
    **fields: Any,
) -> None:
    """Move the submission to a new state if it is still at `expected_version`; `action` is
    what the move logs, named in the conflict when the status does not allow it."""
    claimed = Submission.objects.filter(
        pk=submission.pk, version=expected_version, status__in=allowed_from
    ).update(version=models.F("version") + 1, updated_at=timezone.now(), **fields)
    if claimed:
        submission.refresh_from_db()
        return
    current = Submission.objects.select_related("decided_by").get(pk=submission.pk)
    if current.version != expected_version:
        raise SubmissionConflict(
            ConflictReason.SUBMISSION_CHANGED,
            submission=current,
            last_entry=AuditEntry.objects.filter(submission_id=current.pk)
            .order_by("-at", "-pk")
            .first(),
        )
    raise SubmissionConflict(ConflictReason.WRONG_STATUS, submission=current, action=action)


@transaction.atomic
def submission_revise(
    *, submission: Submission, payload: Any, expected_version: int, note: str = ""
) -> Submission:
    """The submitter's new version after a moderator asked for changes; back to the queue."""
    record = check_payload(payload)
    note = _limit(note, MAX_SUBMISSION_NOTE, "note")
    before = submission.payload
    _transition(
        submission,
        expected_version=expected_version,
        allowed_from=(SubmissionStatus.CHANGES_REQUESTED,),
        action=AuditAction.REVISED,
        status=SubmissionStatus.PENDING,
        payload=record_to_payload(record),
        note=note,
        revision=models.F("revision") + 1,
    )
    _save_urls(submission, record)
    entry = audit.record(
        action=AuditAction.REVISED,
        actor=submission.submitter,
        actor_name=_submitter_name(submission.submitter, submission.email),
        submission=submission,
        story=submission.story,
        message=note,
        before=before,
        after=submission.payload,
    )
    _notify(entry, submission)
    return submission


def _approved_record(
    submission: Submission, *, verified: str | None
) -> tuple[StoryRecord, dict[str, Any] | None]:
    """What approving publishes, under the slug it gets, and the story as it was before
    (None for a new story). Raises SubmissionConflict when an edit's story is gone."""
    if submission.kind == SubmissionKind.NEW:
        record = check_payload(submission.payload, verified=verified or "source")
        return replace(record, slug=unique_story_slug(record)), None
    story = submission.story
    if story is None:
        raise SubmissionConflict(ConflictReason.STORY_GONE)
    before = story_snapshot(story)
    record = check_payload(submission.payload, verified=verified or story.verification)
    return replace(record, slug=story.slug), before


def _publish(record: StoryRecord, *, story: Story | None, expected_version: int | None) -> Story:
    """story_write, with what it refuses said in the submission's terms."""
    try:
        return story_write(record=record, story=story, expected_version=expected_version)
    except SourceTaken as exc:
        raise SubmissionInvalid(
            [
                Problem(
                    "submission",
                    "sources",
                    f"{exc.url} is already a source of “{exc.story.title}”; "
                    "send it as an additional source for that story instead",
                )
            ]
        ) from None
    except StoryVersionConflict:
        # Not the submission: its in-memory state (approved) is rolled back with this error.
        raise SubmissionConflict(ConflictReason.STORY_CHANGED) from None
    except IntegrityError:
        # Another approval created the same organization, slug, source or issue meanwhile.
        raise SubmissionConflict(ConflictReason.PUBLISHED_MEANWHILE) from None


@transaction.atomic
def submission_approve(
    *,
    submission: Submission,
    moderator: Any,
    expected_version: int,
    expected_story_version: int | None = None,
    verified: str | None = None,
    message: str = "",
) -> Story:
    """Publish the submission: create the story, or apply the edit to its story.

    For an edit, `expected_story_version` is the story version the moderator's diff was
    made against (default: the version the edit was proposed on).
    """
    message = _limit(message, MAX_MESSAGE, "message")
    _transition(
        submission,
        expected_version=expected_version,
        allowed_from=(SubmissionStatus.PENDING,),
        action=AuditAction.APPROVED,
        status=SubmissionStatus.APPROVED,
        decided_by=moderator,
        decided_at=timezone.now(),
        moderator_message=message,
    )
    record, before = _approved_record(submission, verified=verified)
    story = _publish(
        record,
        story=submission.story if submission.kind != SubmissionKind.NEW else None,
        expected_version=(
            expected_story_version
            if expected_story_version is not None
            else submission.base_version
        ),
    )
    if submission.kind == SubmissionKind.NEW:
        Submission.objects.filter(pk=submission.pk).update(story=story)
        submission.story = story
    submission.urls.all().delete()
    entry = audit.record(
        action=AuditAction.APPROVED,
        actor=moderator,
        submission=submission,
        story=story,
        message=message,
        before=before,
        after=story_snapshot(story),
    )
    _notify(entry, submission)
    return story


def _decide(
    submission: Submission,
    *,
    moderator: Any,
    expected_version: int,
    text: str,
    field: str,
    missing: str,
    allowed_from: tuple[str, ...],
    status: str,
    audit_action: AuditAction,
) -> Submission:
    """A decision that needs a message to the submitter: reject, or request changes."""
    text = _limit(text, MAX_MESSAGE, field)
    if not text:
        raise SubmissionInvalid([Problem("submission", field, missing)])
    _transition(
        submission,
        expected_version=expected_version,
        allowed_from=allowed_from,
        action=audit_action,
        status=status,
        decided_by=moderator,
        decided_at=timezone.now(),
        moderator_message=text,
    )
    entry = audit.record(
        action=audit_action,
        actor=moderator,
        submission=submission,
        story=submission.story,
        message=text,
    )
    _notify(entry, submission)
    return submission


@transaction.atomic
def submission_reject(
    *, submission: Submission, moderator: Any, expected_version: int, reason: str
) -> Submission:
    _decide(
        submission,
        moderator=moderator,
        expected_version=expected_version,
        text=reason,
        field="reason",
        missing="say why it is rejected",
        allowed_from=(SubmissionStatus.PENDING, SubmissionStatus.CHANGES_REQUESTED),
        status=SubmissionStatus.REJECTED,
        audit_action=AuditAction.REJECTED,
    )
    # A rejected submission no longer holds its URLs for duplicate checks.
    submission.urls.all().delete()
    return submission


@transaction.atomic
def submission_request_changes(
    *, submission: Submission, moderator: Any, expected_version: int, message: str
) -> Submission:
    return _decide(
        submission,
        moderator=moderator,
        expected_version=expected_version,
        text=message,
        field="message",
        missing="say what should change",
        allowed_from=(SubmissionStatus.PENDING,),
        status=SubmissionStatus.CHANGES_REQUESTED,
        audit_action=AuditAction.CHANGES_REQUESTED,
    )


@transaction.atomic
def story_retract(*, story: Story, moderator: Any, expected_version: int, reason: str) -> Story:
    """Take a published story off the site (it stays in the database and the log).

    Raises SubmissionInvalid without a reason, and the catalogue's StoryNotPublic or
    StoryVersionConflict when the story is not published or no longer at `expected_version`.
    """
    reason = _limit(reason, MAX_MESSAGE, "reason")
    if not reason:
        raise SubmissionInvalid([Problem("story", "reason", "say why it is retracted")])
    return catalog_story_retract(
        story=story, actor=moderator, expected_version=expected_version, reason=reason
    )
