"""The submission workflow services: every transition, its audit entry, and its conflicts."""

from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core import mail

from apps.catalog.exceptions import StoryNotPublic, StoryVersionConflict
from apps.catalog.models import Story, StoryOrigin, StoryStatus
from apps.core.models import AuditAction, AuditEntry
from apps.submissions.exceptions import ConflictReason, SubmissionConflict, SubmissionInvalid
from apps.submissions.models import Submission, SubmissionStatus
from apps.submissions.services import (
    submission_approve,
    submission_create,
    submission_reject,
    submission_request_changes,
    submission_revise,
)
from tests.submissions.conftest import edit_payload, fresh

pytestmark = pytest.mark.django_db


def test_new_story_is_published_only_on_approval(
    payload: dict[str, Any], moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(payload=payload, email="me@example.org")
    assert submission.status == SubmissionStatus.PENDING
    assert not Story.objects.public().exists()
    with django_capture_on_commit_callbacks(execute=True):
        story = submission_approve(
            submission=submission, moderator=moderator, expected_version=submission.version
        )
    assert story.status == StoryStatus.PUBLISHED
    assert story.origin == StoryOrigin.WEB
    assert story.slug == "2021-example-corp-coredns-ran-out-of-memory-during-a-deploy"
    assert [c.slug for c in story.components.all()] == ["dns", "coredns"]
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions == [AuditAction.SUBMITTED, AuditAction.APPROVED]
    subjects = [message.subject for message in mail.outbox]
    assert subjects == [
        "[Kubernetes Failure Stories] We received your submission",
        "[Kubernetes Failure Stories] Your submission was approved",
    ]
    assert submission.get_tracking_url() in mail.outbox[1].body


def test_invalid_payload_names_the_fields(payload: dict[str, Any]) -> None:
    payload["components"] = ["nope"]
    payload["date"] = "2099"
    with pytest.raises(SubmissionInvalid) as info:
        submission_create(payload=payload)
    assert set(info.value.by_field()) == {"components", "date"}
    assert not Submission.objects.exists()


def test_second_moderator_gets_a_conflict(
    payload: dict[str, Any], moderator: User, second_moderator: User
) -> None:
    submission = submission_create(payload=payload)
    stale = Submission.objects.get(pk=submission.pk)
    submission_reject(
        submission=submission, moderator=moderator, expected_version=1, reason="Not a failure."
    )
    with pytest.raises(SubmissionConflict) as info:
        submission_approve(submission=stale, moderator=second_moderator, expected_version=1)
    assert info.value.reason == ConflictReason.SUBMISSION_CHANGED
    assert not Story.objects.exists()


def test_changes_requested_then_revised(payload: dict[str, Any], moderator: User) -> None:
    submission = submission_create(payload=payload)
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="Add a date."
    )
    payload["date"] = "2021-03-04"
    submission_revise(submission=submission, payload=payload, expected_version=2)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING
    assert submission.revision == 2
    assert submission.payload["date"] == "2021-03-04"


# --- helpers ---------------------------------------------------------------------------


def entries(**filters: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("at", "pk"))


def pending_submission(payload: dict[str, Any], **kwargs: Any) -> Submission:
    return submission_create(payload=payload, **kwargs)


def sent_subjects() -> list[str]:
    return [
        message.subject.removeprefix("[Kubernetes Failure Stories] ") for message in mail.outbox
    ]


# --- submitting ------------------------------------------------------------------------


def test_submit_logs_who_submitted_and_the_payload(payload: dict[str, Any], member: User) -> None:
    submission = submission_create(
        payload=payload,
        note="  Please add it.  ",
        submitter=member,
        client_key="k1",
        flags=["too fast"],
    )
    (entry,) = entries()
    assert entry.action == AuditAction.SUBMITTED
    assert (entry.actor, entry.actor_name) == (member, "sam")
    assert entry.submission_id == submission.pk
    assert entry.story_id is None and entry.story_slug == ""
    assert entry.message == "Please add it."
    assert entry.before is None
    assert entry.after == submission.payload
    assert entry.after["title"] == payload["title"]
    submission = fresh(submission)
    assert (submission.kind, submission.status) == ("new", SubmissionStatus.PENDING)
    assert (submission.version, submission.revision) == (1, 1)
    assert submission.submitter == member
    assert submission.note == "Please add it."
    assert submission.flags == ["too fast"]
    assert submission.base is None and submission.base_version is None
    assert list(submission.urls.values_list("canonical_url", flat=True)) == [
        "https://blog.example.org/coredns-oom"
    ]


@pytest.mark.parametrize(
    ("email", "expected_name"),
    [("someone@example.org", "submitter (with email)"), ("", "anonymous submitter")],
)
def test_anonymous_submitters_are_named_without_identifying_them(
    payload: dict[str, Any], email: str, expected_name: str
) -> None:
    from django.contrib.auth.models import AnonymousUser

    submission = submission_create(payload=payload, email=email, submitter=AnonymousUser())
    assert fresh(submission).submitter is None
    (entry,) = entries()
    assert (entry.actor, entry.actor_name) == (None, expected_name)
    assert "@" not in entry.actor_name


def test_source_urls_are_stored_in_canonical_form(payload: dict[str, Any]) -> None:
    payload["sources"] = [
        {"url": "https://WWW.Blog.Example.org/coredns-oom/?utm_source=x#top", "kind": "postmortem"}
    ]
    submission = submission_create(payload=payload)
    assert list(submission.urls.values_list("canonical_url", flat=True)) == [
        "https://blog.example.org/coredns-oom"
    ]


def test_note_longer_than_the_limit_is_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(SubmissionInvalid) as info:
        submission_create(payload=payload, note="x" * 2001)
    assert "note" in info.value.by_field()
    assert not Submission.objects.exists()
    assert not AuditEntry.objects.exists()


def test_an_edit_needs_a_published_story(payload: dict[str, Any]) -> None:
    from tests.factories import StoryFactory

    draft = StoryFactory(status=StoryStatus.DRAFT)
    with pytest.raises(SubmissionInvalid) as info:
        submission_create(payload=payload, story=draft)
    assert "story" in info.value.by_field()
    assert not Submission.objects.exists()


# --- approving a new story --------------------------------------------------------------


def test_approval_records_the_decision_and_an_after_snapshot(
    payload: dict[str, Any], moderator: User
) -> None:
    submission = pending_submission(payload)
    story = submission_approve(
        submission=submission,
        moderator=moderator,
        expected_version=1,
        message="  Thanks!  ",
        verified="listing",
    )
    submission = fresh(submission)
    assert submission.status == SubmissionStatus.APPROVED
    assert submission.version == 2
    assert submission.decided_by == moderator
    assert submission.decided_at is not None
    assert submission.moderator_message == "Thanks!"
    assert submission.story == story
    # Approved submissions no longer count as duplicates of themselves.
    assert not submission.urls.exists()
    assert story.verification == "listing"
    assert story.version == 1
    approved = entries(action=AuditAction.APPROVED)
    assert len(approved) == 1
    entry = approved[0]
    assert (entry.actor, entry.actor_name) == (moderator, "mona")
    assert (entry.submission_id, entry.story_id, entry.story_slug) == (
        submission.pk,
        story.pk,
        story.slug,
    )
    assert entry.message == "Thanks!"
    assert entry.before is None
    assert entry.after["slug"] == story.slug
    assert entry.after["status"] == StoryStatus.PUBLISHED
    assert entry.after["version"] == 1
    assert entry.after["verified"] == "listing"
    assert entry.after["title"] == payload["title"]
    assert entry.after["sources"][0]["url"] == payload["sources"][0]["url"]


def test_same_title_twice_gets_a_numbered_slug(payload: dict[str, Any], moderator: User) -> None:
    first = pending_submission(payload)
    payload["sources"] = [{"url": "https://other.example/another-post", "kind": "blog-post"}]
    second = pending_submission(payload)
    one = submission_approve(submission=first, moderator=moderator, expected_version=1)
    two = submission_approve(submission=second, moderator=moderator, expected_version=1)
    assert two.slug == f"{one.slug}-2"
    assert Story.objects.get(slug=one.slug).organization == two.organization


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("reject", "approve", AuditAction.APPROVED),
        ("approve", "approve", AuditAction.APPROVED),
        ("request_changes", "approve", AuditAction.APPROVED),
        ("approve", "reject", AuditAction.REJECTED),
        ("reject", "reject", AuditAction.REJECTED),
        ("approve", "request_changes", AuditAction.CHANGES_REQUESTED),
        ("request_changes", "request_changes", AuditAction.CHANGES_REQUESTED),
    ],
)
def test_forbidden_transitions_conflict_and_change_nothing(
    payload: dict[str, Any], moderator: User, first: str, second: str, expected: AuditAction
) -> None:
    actions = {
        "approve": lambda s: submission_approve(
            submission=s, moderator=moderator, expected_version=s.version
        ),
        "reject": lambda s: submission_reject(
            submission=s, moderator=moderator, expected_version=s.version, reason="Off topic."
        ),
        "request_changes": lambda s: submission_request_changes(
            submission=s, moderator=moderator, expected_version=s.version, message="More."
        ),
    }
    submission = pending_submission(payload)
    actions[first](submission)
    current = fresh(submission)
    stories = Story.objects.count()
    logged = AuditEntry.objects.count()
    with pytest.raises(SubmissionConflict) as info:
        # The caller holds the current version: only the status forbids this.
        actions[second](current)
    assert (info.value.reason, info.value.action) == (ConflictReason.WRONG_STATUS, expected)
    assert info.value.submission is not None
    assert info.value.submission.status == current.status
    after = fresh(submission)
    assert (after.status, after.version) == (current.status, current.version)
    assert after.moderator_message == current.moderator_message
    assert Story.objects.count() == stories
    assert AuditEntry.objects.count() == logged


def test_stale_version_conflict_says_who_changed_it(
    payload: dict[str, Any], moderator: User, second_moderator: User
) -> None:
    submission = pending_submission(payload)
    stale = fresh(submission)
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="Add a source."
    )
    with pytest.raises(SubmissionConflict) as info:
        submission_reject(
            submission=stale, moderator=second_moderator, expected_version=1, reason="Spam."
        )
    assert info.value.reason == ConflictReason.SUBMISSION_CHANGED
    last = info.value.last_entry
    assert last is not None
    assert (last.action, last.actor_name) == (AuditAction.CHANGES_REQUESTED, "mona")
    assert info.value.submission is not None
    assert info.value.submission.status == SubmissionStatus.CHANGES_REQUESTED
    after = fresh(submission)
    assert after.status == SubmissionStatus.CHANGES_REQUESTED
    assert after.moderator_message == "Add a source."
    assert after.decided_by == moderator


# --- reject, request changes, revise ----------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_reject_needs_a_reason(payload: dict[str, Any], moderator: User, reason: str) -> None:
    submission = pending_submission(payload)
    with pytest.raises(SubmissionInvalid) as info:
        submission_reject(
            submission=submission, moderator=moderator, expected_version=1, reason=reason
        )
    assert "reason" in info.value.by_field()
    assert fresh(submission).status == SubmissionStatus.PENDING
    assert fresh(submission).version == 1
    assert [e.action for e in entries()] == [AuditAction.SUBMITTED]


def test_reject_is_logged_with_its_reason(payload: dict[str, Any], moderator: User) -> None:
    submission = pending_submission(payload)
    submission_reject(
        submission=submission, moderator=moderator, expected_version=1, reason="Not a failure."
    )
    submission = fresh(submission)
    assert submission.status == SubmissionStatus.REJECTED
    assert submission.moderator_message == "Not a failure."
    assert submission.decided_by == moderator
    assert not submission.urls.exists()
    entry = entries(action=AuditAction.REJECTED)[0]
    assert (entry.actor, entry.message, entry.submission_id) == (
        moderator,
        "Not a failure.",
        submission.pk,
    )
    assert not Story.objects.exists()


def test_a_submission_waiting_for_changes_can_be_rejected(
    payload: dict[str, Any], moderator: User
) -> None:
    submission = pending_submission(payload)
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="Which year?"
    )
    submission_reject(
        submission=submission, moderator=moderator, expected_version=2, reason="No answer."
    )
    assert fresh(submission).status == SubmissionStatus.REJECTED
    assert fresh(submission).version == 3


@pytest.mark.parametrize("message", ["", "  "])
def test_request_changes_needs_a_message(
    payload: dict[str, Any], moderator: User, message: str
) -> None:
    submission = pending_submission(payload)
    with pytest.raises(SubmissionInvalid) as info:
        submission_request_changes(
            submission=submission, moderator=moderator, expected_version=1, message=message
        )
    assert "message" in info.value.by_field()
    assert fresh(submission).status == SubmissionStatus.PENDING
    assert AuditEntry.objects.count() == 1


def test_request_changes_is_logged(payload: dict[str, Any], moderator: User) -> None:
    submission = pending_submission(payload)
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="Add a date."
    )
    submission = fresh(submission)
    assert submission.status == SubmissionStatus.CHANGES_REQUESTED
    assert submission.moderator_message == "Add a date."
    entry = entries(action=AuditAction.CHANGES_REQUESTED)[0]
    assert (entry.actor, entry.message) == (moderator, "Add a date.")
    # Still open: its URLs still count as a duplicate of later submissions.
    assert submission.urls.count() == 1


def test_revise_a_pending_submission_is_a_conflict(payload: dict[str, Any]) -> None:
    submission = pending_submission(payload)
    payload["title"] = "Something else entirely"
    with pytest.raises(SubmissionConflict) as info:
        submission_revise(submission=submission, payload=payload, expected_version=1)
    assert (info.value.reason, info.value.action) == (
        ConflictReason.WRONG_STATUS,
        AuditAction.REVISED,
    )
    after = fresh(submission)
    assert after.payload["title"] == "CoreDNS ran out of memory during a deploy"
    assert (after.version, after.revision) == (1, 1)
    assert AuditEntry.objects.count() == 1


def test_revise_logs_before_and_after_and_replaces_the_urls(
    payload: dict[str, Any], moderator: User, member: User
) -> None:
    submission = pending_submission(payload, submitter=member, note="First try.")
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="Better source?"
    )
    revised = dict(
        payload, sources=[{"url": "https://new.example/postmortem", "kind": "postmortem"}]
    )
    submission_revise(
        submission=submission, payload=revised, expected_version=2, note="Found the postmortem."
    )
    submission = fresh(submission)
    assert (submission.status, submission.version, submission.revision) == ("pending", 3, 2)
    assert submission.note == "Found the postmortem."
    assert list(submission.urls.values_list("canonical_url", flat=True)) == [
        "https://new.example/postmortem"
    ]
    entry = entries(action=AuditAction.REVISED)[0]
    assert (entry.actor, entry.actor_name) == (member, "sam")
    assert entry.message == "Found the postmortem."
    assert entry.before["sources"][0]["url"] == "https://blog.example.org/coredns-oom"
    assert entry.after["sources"][0]["url"] == "https://new.example/postmortem"


def test_invalid_revision_changes_nothing(payload: dict[str, Any], moderator: User) -> None:
    submission = pending_submission(payload)
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="Fix it."
    )
    with pytest.raises(SubmissionInvalid):
        submission_revise(
            submission=submission, payload=dict(payload, components=["nope"]), expected_version=2
        )
    after = fresh(submission)
    assert (after.status, after.version, after.revision) == ("changes_requested", 2, 1)
    assert AuditEntry.objects.count() == 2


# --- edits and additional sources -------------------------------------------------------


def test_edit_approval_applies_the_payload_to_the_same_story(
    published_story: Story, moderator: User
) -> None:
    payload = edit_payload(
        published_story,
        title="etcd ran out of disk space",
        summary="The **defrag** job never ran.",
        components=["coredns"],
        impact=["outage"],
    )
    submission = submission_create(payload=payload, story=published_story, note="Typo.")
    assert (submission.kind, submission.base_version) == ("edit", 1)
    assert submission.base["title"] == "etcd ran out of space"
    story = submission_approve(submission=submission, moderator=moderator, expected_version=1)
    assert story.pk == published_story.pk
    story = Story.objects.get(pk=published_story.pk)
    assert story.slug == "2020-acme-etcd-ran-out-of-space"
    assert story.title == "etcd ran out of disk space"
    assert story.summary == "The **defrag** job never ran."
    assert list(story.components.values_list("slug", flat=True)) == ["coredns"]
    assert list(story.impacts.values_list("slug", flat=True)) == ["outage"]
    assert story.version == 2
    assert story.origin == StoryOrigin.WEB
    assert story.status == StoryStatus.PUBLISHED
    # The moderator did not re-verify: the story keeps its verification level.
    assert story.verification == published_story.verification
    assert Story.objects.count() == 1
    assert fresh(submission).story == story
    entry = entries(action=AuditAction.APPROVED)[0]
    assert entry.story_id == story.pk and entry.story_slug == story.slug
    assert (entry.before["title"], entry.before["version"]) == ("etcd ran out of space", 1)
    assert (entry.after["title"], entry.after["version"]) == ("etcd ran out of disk space", 2)
    assert entry.before["components"] == ["dns"]
    assert entry.after["components"] == ["coredns"]


def test_edit_against_a_changed_story_conflicts_and_changes_nothing(
    published_story: Story, moderator: User, second_moderator: User
) -> None:
    from apps.catalog.services import StoryChanges, story_edit

    submission = submission_create(
        payload=edit_payload(published_story, title="Proposed title"), story=published_story
    )
    story_edit(
        story=published_story,
        editor=second_moderator,
        expected_version=1,
        changes=StoryChanges(title="Edited title"),
    )
    logged = AuditEntry.objects.count()
    with pytest.raises(SubmissionConflict) as info:
        submission_approve(submission=submission, moderator=moderator, expected_version=1)
    assert info.value.reason == ConflictReason.STORY_CHANGED
    # What the conflict reports must not be the rolled-back, approved state.
    reported = info.value.submission
    assert reported is None or (reported.status, reported.version) == ("pending", 1)
    story = Story.objects.get(pk=published_story.pk)
    # The direct edit made it a web story; the refused approval changed nothing.
    assert (story.title, story.version, story.origin) == ("Edited title", 2, StoryOrigin.WEB)
    after = fresh(submission)
    assert (after.status, after.version, after.decided_by) == ("pending", 1, None)
    assert AuditEntry.objects.count() == logged
    # Having reviewed the diff against version 2, the moderator may apply it.
    submission_approve(
        submission=after, moderator=moderator, expected_version=1, expected_story_version=2
    )
    story.refresh_from_db()
    assert (story.title, story.version) == ("Proposed title", 3)


def test_explicit_stale_story_version_conflicts(published_story: Story, moderator: User) -> None:
    submission = submission_create(
        payload=edit_payload(published_story, title="Proposed title"), story=published_story
    )
    with pytest.raises(SubmissionConflict):
        submission_approve(
            submission=submission,
            moderator=moderator,
            expected_version=1,
            expected_story_version=7,
        )
    assert Story.objects.get(pk=published_story.pk).title == "etcd ran out of space"
    assert fresh(submission).status == SubmissionStatus.PENDING


def test_edit_of_a_deleted_story_conflicts(published_story: Story, moderator: User) -> None:
    submission = submission_create(
        payload=edit_payload(published_story, title="Proposed title"), story=published_story
    )
    Story.objects.filter(pk=published_story.pk).delete()
    with pytest.raises(SubmissionConflict) as info:
        submission_approve(submission=fresh(submission), moderator=moderator, expected_version=1)
    assert info.value.reason == ConflictReason.STORY_GONE
    assert fresh(submission).status == SubmissionStatus.PENDING
    assert not Story.objects.exists()


def test_additional_source_is_added_on_approval(published_story: Story, moderator: User) -> None:
    from apps.submissions.services import additional_source_payload

    original = published_story.sources.get().url
    source = {"url": "https://talks.example/etcd", "kind": "talk", "title": "The talk"}
    payload = additional_source_payload(published_story, source)
    assert [s["url"] for s in payload["sources"]] == [
        original,
        "https://talks.example/etcd",
    ]
    assert payload["title"] == published_story.title
    submission = submission_create(payload=payload, story=published_story, kind="source")
    assert submission.kind == "source"
    submission_approve(submission=submission, moderator=moderator, expected_version=1)
    story = Story.objects.get(pk=published_story.pk)
    assert [(s.url, s.kind, s.title) for s in story.sources.order_by("position")] == [
        (original, "blog-post", ""),
        ("https://talks.example/etcd", "talk", "The talk"),
    ]
    assert story.version == 2
    assert story.title == published_story.title


def test_additional_source_of_another_story_is_refused_on_approval(
    published_story: Story, moderator: User
) -> None:
    from apps.submissions.services import additional_source_payload
    from tests.factories import SourceFactory, StoryFactory

    payload = additional_source_payload(
        published_story, {"url": "https://talks.example/etcd", "kind": "talk", "title": ""}
    )
    submission = submission_create(payload=payload, story=published_story, kind="source")
    other = StoryFactory(title="Another story", sources=False)
    SourceFactory(
        story=other, url="https://talks.example/etcd/", canonical_url="https://talks.example/etcd"
    )
    with pytest.raises(SubmissionInvalid) as info:
        submission_approve(submission=submission, moderator=moderator, expected_version=1)
    assert "Another story" in info.value.by_field()["sources"][0]
    assert fresh(submission).status == SubmissionStatus.PENDING
    assert Story.objects.get(pk=published_story.pk).version == 1
    assert published_story.sources.count() == 1


def test_new_story_whose_source_was_taken_meanwhile_stays_pending(
    payload: dict[str, Any], moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.factories import SourceFactory, StoryFactory

    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(payload=payload, email="me@example.org")
    mail.outbox.clear()
    taken = StoryFactory(title="The earlier story", sources=False)
    SourceFactory(
        story=taken,
        url="http://www.blog.example.org/coredns-oom/",
        canonical_url="https://blog.example.org/coredns-oom",
    )
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(SubmissionInvalid) as info,
    ):
        submission_approve(submission=submission, moderator=moderator, expected_version=1)
    message = info.value.by_field()["sources"][0]
    assert "The earlier story" in message
    assert "additional source" in message
    # The service's object may be stale after a failure; the database is the truth.
    after = fresh(submission)
    assert (after.status, after.version, after.decided_by, after.story) == (
        "pending",
        1,
        None,
        None,
    )
    assert after.urls.count() == 1
    assert Story.objects.count() == 1
    assert not AuditEntry.objects.filter(action=AuditAction.APPROVED).exists()
    assert callbacks == []
    assert mail.outbox == []
    # The moderator can still decide.
    submission_reject(
        submission=after, moderator=moderator, expected_version=1, reason="Duplicate."
    )
    assert fresh(submission).status == SubmissionStatus.REJECTED


# --- retract and direct edits -----------------------------------------------------------


def test_retract_logs_before_and_after(published_story: Story, moderator: User) -> None:
    from apps.submissions.services import story_retract

    story = story_retract(
        story=published_story, moderator=moderator, expected_version=1, reason="Made up."
    )
    assert (story.status, story.version) == (StoryStatus.RETRACTED, 2)
    assert not Story.objects.public().exists()
    (entry,) = entries()
    assert entry.action == AuditAction.RETRACTED
    assert (entry.actor, entry.actor_name, entry.message) == (moderator, "mona", "Made up.")
    assert (entry.story_id, entry.story_slug, entry.submission_id) == (story.pk, story.slug, None)
    assert (entry.before["status"], entry.before["version"]) == ("published", 1)
    assert (entry.after["status"], entry.after["version"]) == ("retracted", 2)
    assert entry.before["title"] == entry.after["title"] == "etcd ran out of space"


def test_retract_needs_a_reason_and_the_current_version(
    published_story: Story, moderator: User
) -> None:
    from apps.submissions.services import story_retract

    with pytest.raises(SubmissionInvalid):
        story_retract(story=published_story, moderator=moderator, expected_version=1, reason=" ")
    with pytest.raises(StoryVersionConflict):
        story_retract(story=published_story, moderator=moderator, expected_version=5, reason="x")
    story = Story.objects.get(pk=published_story.pk)
    assert (story.status, story.version) == (StoryStatus.PUBLISHED, 1)
    assert not AuditEntry.objects.exists()


def test_retracted_story_cannot_be_retracted_again(published_story: Story, moderator: User) -> None:
    from apps.submissions.services import story_retract

    story = story_retract(
        story=published_story, moderator=moderator, expected_version=1, reason="x"
    )
    with pytest.raises(StoryNotPublic):
        story_retract(story=story, moderator=moderator, expected_version=2, reason="again")
    assert Story.objects.get(pk=story.pk).version == 2
    assert AuditEntry.objects.count() == 1


def test_story_edit_logs_before_and_after(published_story: Story, moderator: User) -> None:
    from apps.catalog.models import Component
    from apps.catalog.services import StoryChanges, story_edit

    story = story_edit(
        story=published_story,
        editor=moderator,
        expected_version=1,
        changes=StoryChanges(
            title="etcd filled its disk", components=[Component.objects.get(slug="coredns")]
        ),
    )
    assert (story.title, story.version) == ("etcd filled its disk", 2)
    (entry,) = entries()
    assert entry.action == AuditAction.STORY_EDITED
    assert (entry.actor, entry.story_id, entry.submission_id) == (moderator, story.pk, None)
    assert (entry.before["title"], entry.after["title"]) == (
        "etcd ran out of space",
        "etcd filled its disk",
    )
    assert (entry.before["components"], entry.after["components"]) == (["dns"], ["coredns"])
    assert (entry.before["version"], entry.after["version"]) == (1, 2)


def test_story_edit_with_a_stale_version_changes_nothing(
    published_story: Story, moderator: User
) -> None:
    from apps.catalog.services import StoryChanges, story_edit

    with pytest.raises(StoryVersionConflict):
        story_edit(
            story=published_story,
            editor=moderator,
            expected_version=2,
            changes=StoryChanges(title="New"),
        )
    story = Story.objects.get(pk=published_story.pk)
    assert (story.title, story.version) == ("etcd ran out of space", 1)
    assert not AuditEntry.objects.exists()


# --- emails ------------------------------------------------------------------------------


def test_each_event_sends_one_email_only_after_commit(
    payload: dict[str, Any], moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    from django.conf import settings

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = submission_create(payload=payload, email="me@example.org")
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert sent_subjects() == ["We received your submission"]
    # A second delivery of the same event (a retried task, a sweeper) sends nothing.
    callbacks[0]()
    assert len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission_request_changes(
            submission=submission,
            moderator=moderator,
            expected_version=1,
            message="Please add the date of the outage.",
        )
    assert len(mail.outbox) == 1
    for callback in callbacks:
        callback()
    assert sent_subjects() == [
        "We received your submission",
        "Changes requested on your submission",
    ]
    body = mail.outbox[-1].body
    assert mail.outbox[-1].to == ["me@example.org"]
    assert "Please add the date of the outage." in body
    assert f"{settings.SITE_URL}{submission.get_tracking_url()}" in body
    assert "Changes requested" in body


def test_the_whole_flow_sends_one_email_per_event(
    payload: dict[str, Any], moderator: User, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.SITE_URL = "https://stories.example"
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(payload=payload, email=" me@example.org ")
    with django_capture_on_commit_callbacks(execute=True):
        submission_request_changes(
            submission=submission, moderator=moderator, expected_version=1, message="Date?"
        )
    with django_capture_on_commit_callbacks(execute=True):
        submission_revise(
            submission=submission,
            payload=dict(payload, date="2021-03-04"),
            expected_version=2,
            note="Added.",
        )
    with django_capture_on_commit_callbacks(execute=True):
        submission_approve(
            submission=submission, moderator=moderator, expected_version=3, message="Published!"
        )
    assert sent_subjects() == [
        "We received your submission",
        "Changes requested on your submission",
        "We received your revised submission",
        "Your submission was approved",
    ]
    tracking = f"https://stories.example{submission.get_tracking_url()}"
    for message in mail.outbox:
        assert message.to == ["me@example.org"]
        assert tracking in message.body
    assert "Published!" in mail.outbox[-1].body
    assert "Status: Approved" in mail.outbox[-1].body
    story = fresh(submission).story
    assert f"https://stories.example{story.get_absolute_url()}" in mail.outbox[-1].body
    # The receipts carry no story link, and the submitter's own note never reads as ours.
    assert "Read it on the site" not in mail.outbox[0].body
    assert "Added." not in mail.outbox[2].body
    assert "Message from the moderators" not in mail.outbox[2].body
    # The secret tracking token goes only to the submitter, never into the log.
    token = fresh(submission).tracking_token
    for entry in AuditEntry.objects.all():
        assert token not in str(entry.before) + str(entry.after) + entry.message


def test_rejection_email_carries_the_reason(
    payload: dict[str, Any], moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    submission = submission_create(payload=payload, email="me@example.org")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submission_reject(
            submission=submission, moderator=moderator, expected_version=1, reason="Not k8s."
        )
    assert sent_subjects() == ["Your submission was not accepted"]
    assert "Not k8s." in mail.outbox[0].body


def test_no_email_without_an_address(
    payload: dict[str, Any], moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.core.models import OutboxEntry
    from apps.submissions.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(payload=payload)
        submission_request_changes(
            submission=submission, moderator=moderator, expected_version=1, message="Date?"
        )
        submission_revise(submission=submission, payload=payload, expected_version=2)
        submission_approve(submission=submission, moderator=moderator, expected_version=3)
    assert mail.outbox == []
    assert not OutboxEntry.objects.filter(task__endswith="notify_submitter").exists()
    assert Notification.objects.count() == 0


def test_retract_and_direct_edits_send_no_email(
    payload: dict[str, Any], moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.catalog.services import StoryChanges, story_edit
    from apps.submissions.services import story_retract

    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(payload=payload, email="me@example.org")
        story = submission_approve(submission=submission, moderator=moderator, expected_version=1)
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        story = story_edit(
            story=story,
            editor=moderator,
            expected_version=1,
            changes=StoryChanges(title="Renamed"),
        )
        story_retract(story=story, moderator=moderator, expected_version=2, reason="Wrong.")
    assert len(mail.outbox) == 2


def test_send_notification_is_idempotent(payload: dict[str, Any]) -> None:
    from apps.submissions.models import Notification
    from apps.submissions.notifications import send_notification
    from apps.submissions.tasks import notify_submitter

    submission = submission_create(payload=payload, email="me@example.org")
    entry = entries(submission_id=submission.pk)[0]
    assert send_notification(entry.pk) is True
    assert send_notification(entry.pk) is False
    assert notify_submitter.apply(args=[entry.pk]).get() is False
    assert len(mail.outbox) == 1
    notification = Notification.objects.get(entry=entry)
    assert notification.sent_at is not None


def test_send_notification_ignores_entries_that_are_not_for_a_submitter(
    published_story: Story, moderator: User
) -> None:
    from apps.submissions.notifications import send_notification
    from apps.submissions.services import story_retract

    story_retract(story=published_story, moderator=moderator, expected_version=1, reason="x")
    entry = entries()[0]
    assert send_notification(entry.pk) is False
    assert send_notification(10**9) is False
    assert mail.outbox == []


# --- search --------------------------------------------------------------------------------


def test_approval_makes_the_story_searchable_and_retraction_hides_it(
    payload: dict[str, Any], moderator: User, client: Any
) -> None:
    from django.urls import reverse

    from apps.search.engine import search_stories
    from apps.submissions.services import story_retract

    payload["title"] = "Quokkaflux controller wedged the scheduler"
    submission = submission_create(payload=payload)
    assert search_stories("quokkaflux", Story.objects.public()).story_ids == []
    assert search_stories("quokkaflux", Story.objects.all()).story_ids == []
    story = submission_approve(submission=submission, moderator=moderator, expected_version=1)
    assert search_stories("quokkaflux", Story.objects.public()).story_ids == [story.pk]
    page = client.get(reverse("web:story-list"), {"q": "quokkaflux"})
    assert page.context["paginator"].count == 1
    assert story.get_absolute_url() in page.content.decode()
    story_retract(story=story, moderator=moderator, expected_version=1, reason="Duplicate.")
    assert search_stories("quokkaflux", Story.objects.public()).story_ids == []
    page = client.get(reverse("web:story-list"), {"q": "quokkaflux"})
    assert page.context["paginator"].count == 0


def test_approved_edit_is_searchable_by_its_new_words(
    published_story: Story, moderator: User
) -> None:
    from apps.search.engine import search_stories

    submission = submission_create(
        payload=edit_payload(published_story, summary="The wombatcache filled the disk."),
        story=published_story,
    )
    assert search_stories("wombatcache", Story.objects.public()).story_ids == []
    submission_approve(submission=submission, moderator=moderator, expected_version=1)
    assert search_stories("wombatcache", Story.objects.public()).story_ids == [published_story.pk]


# --- the queue's querysets ----------------------------------------------------------------


def test_from_same_submitter_matches_account_email_or_address(
    payload: dict[str, Any], member: User, moderator: User
) -> None:
    def submit(url: str, **kwargs: Any) -> Submission:
        return submission_create(
            payload=dict(payload, sources=[{"url": url, "kind": "blog-post"}]), **kwargs
        )

    base = submit("https://a.example/1", submitter=member, email="Sam@Example.org", client_key="k1")
    by_account = submit("https://a.example/2", submitter=member)
    by_email = submit("https://a.example/3", email="sam@example.org")
    by_address = submit("https://a.example/4", client_key="k1")
    submit("https://a.example/5", email="other@example.org", client_key="k2")
    submit("https://a.example/6")
    same = set(Submission.objects.from_same_submitter(base))
    assert same == {by_account, by_email, by_address}
    anonymous = submit("https://a.example/7")
    assert not Submission.objects.from_same_submitter(anonymous).exists()
    flagged = submit("https://a.example/8", flags=["honeypot"])
    assert list(Submission.objects.flagged()) == [flagged]
    submission_reject(submission=by_email, moderator=moderator, expected_version=1, reason="x")
    assert by_email not in set(Submission.objects.open())
    assert set(Submission.objects.pending()) == set(Submission.objects.open())


def test_approval_email_links_the_story_only_while_it_is_public(
    payload: dict[str, Any], moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    submission = submission_create(payload=payload, email="me@example.org")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission_approve(submission=submission, moderator=moderator, expected_version=1)
    story = fresh(submission).story
    story.retract(expected_version=story.version)  # before the worker got to the email
    for callback in callbacks:
        callback()
    assert sent_subjects()[-1] == "Your submission was approved"
    assert "Read it on the site" not in mail.outbox[-1].body
    assert fresh(submission).story.get_absolute_url() not in mail.outbox[-1].body


def test_a_notification_outlives_a_database_outage(payload: dict[str, Any]) -> None:
    """The task retries a database error (a PostgreSQL restart) instead of dropping the email
    that the outbox already counts as handed over."""
    from django.db import OperationalError

    from apps.submissions import notifications
    from apps.submissions.tasks import notify_submitter

    submission = submission_create(payload=payload, email="me@example.org")
    entry = entries(submission_id=submission.pk)[0]
    calls = []
    real = notifications.send_notification

    def flaky(entry_id: int) -> bool:
        calls.append(entry_id)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(entry_id)

    with mock.patch.object(notifications, "send_notification", flaky):
        # throw=False: apply() then runs the retry at once, as a worker would later.
        assert notify_submitter.apply(args=[entry.pk], throw=False).get() is True
    assert calls == [entry.pk, entry.pk]
    assert len(mail.outbox) == 1
