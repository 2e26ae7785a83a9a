"""Two moderators at once: exactly one wins, the other gets a conflict, nothing is lost.

The PostgreSQL tests run each moderator in its own thread with its own database
connection, lined up with a barrier so that both requests are in flight together.
The winner is slowed down inside its transaction, so the loser really waits on the
winner's row lock rather than simply arriving after the commit.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db import connection

from apps.catalog.exceptions import StoryVersionConflict
from apps.catalog.models import Organization, Source, Story, StoryStatus
from apps.catalog.services import StoryChanges, story_edit
from apps.core import audit
from apps.core.models import AuditAction, AuditEntry
from apps.submissions.exceptions import ConflictReason, SubmissionConflict, SubmissionInvalid
from apps.submissions.models import Submission, SubmissionStatus
from apps.submissions.services import (
    story_retract,
    submission_approve,
    submission_create,
    submission_reject,
)
from tests.submissions.conftest import edit_payload, fresh, make_payload

CONCURRENT = pytest.mark.django_db(transaction=True, serialized_rollback=True)
HOLD_SECONDS = 0.5


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions at the same moment, each on its own connection; results or exceptions."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a moderator never finished"
    return results


@contextmanager
def slow_audit_log() -> Iterator[None]:
    """Keep every writer's transaction open a while after its changes, before it commits."""
    real = audit.record

    def slow(**kwargs: Any) -> Any:
        entry = real(**kwargs)
        time.sleep(HOLD_SECONDS)
        return entry

    with mock.patch.object(audit, "record", side_effect=slow):
        yield


def split(results: list[Any]) -> tuple[list[Any], list[BaseException]]:
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, BaseException)]
    return wins, losses


def approvals_at_once(
    first: Submission, second: Submission, *, moderators: tuple[User, User]
) -> list[Any]:
    """Two moderators approve (each at version 1) at the same moment, with their
    transactions held open; what each got."""
    with slow_audit_log():
        return race(
            lambda: submission_approve(
                submission=first, moderator=moderators[0], expected_version=1
            ),
            lambda: submission_approve(
                submission=second, moderator=moderators[1], expected_version=1
            ),
        )


def one_wins(results: list[Any]) -> tuple[Any, BaseException]:
    """Exactly one of two succeeded: its result, and what the other raised."""
    wins, losses = split(results)
    assert len(wins) == 1 and len(losses) == 1, results
    return wins[0], losses[0]


# --- PostgreSQL: real concurrent connections -----------------------------------------------


@pytest.mark.postgres
@CONCURRENT
@pytest.mark.parametrize("round_", range(3))
def test_approve_and_reject_at_once_exactly_one_wins(
    taxonomy: None, moderator: User, second_moderator: User, round_: int
) -> None:
    submission = submission_create(payload=make_payload())
    # Each moderator opened the review page at version 1.
    first, second = fresh(submission), fresh(submission)
    with slow_audit_log():
        results = race(
            lambda: submission_approve(submission=first, moderator=moderator, expected_version=1),
            lambda: submission_reject(
                submission=second, moderator=second_moderator, expected_version=1, reason="Spam."
            ),
        )
    win, loss = one_wins(results)
    assert isinstance(loss, SubmissionConflict), results
    assert loss.reason == ConflictReason.SUBMISSION_CHANGED
    final = fresh(submission)
    assert final.version == 2
    decisions = AuditEntry.objects.filter(
        submission_id=submission.pk, action__in=[AuditAction.APPROVED, AuditAction.REJECTED]
    )
    assert decisions.count() == 1
    if isinstance(win, Story):
        assert final.status == SubmissionStatus.APPROVED
        assert final.decided_by == moderator
        assert Story.objects.public().count() == 1
        assert decisions.get().action == AuditAction.APPROVED
    else:
        assert final.status == SubmissionStatus.REJECTED
        assert final.decided_by == second_moderator
        assert not Story.objects.exists()
        assert decisions.get().action == AuditAction.REJECTED


@pytest.mark.postgres
@CONCURRENT
def test_two_approvals_of_one_submission_publish_one_story(
    taxonomy: None, moderator: User, second_moderator: User
) -> None:
    submission = submission_create(payload=make_payload())
    results = approvals_at_once(
        fresh(submission), fresh(submission), moderators=(moderator, second_moderator)
    )
    win, loss = one_wins(results)
    assert isinstance(loss, SubmissionConflict), results
    assert Story.objects.count() == 1
    assert Source.objects.count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.APPROVED).count() == 1
    assert fresh(submission).story == win


@pytest.mark.postgres
@CONCURRENT
def test_two_edits_of_one_story_approved_at_once_one_wins(
    published_story: Story, moderator: User, second_moderator: User
) -> None:
    one = submission_create(
        payload=edit_payload(published_story, title="Edit number one"), story=published_story
    )
    two = submission_create(
        payload=edit_payload(published_story, title="Edit number two"), story=published_story
    )
    results = approvals_at_once(one, two, moderators=(moderator, second_moderator))
    _, loss = one_wins(results)
    assert isinstance(loss, SubmissionConflict), results
    assert loss.reason == ConflictReason.STORY_CHANGED
    story = Story.objects.get(pk=published_story.pk)
    assert story.version == 2
    statuses = {fresh(one).status, fresh(two).status}
    assert statuses == {SubmissionStatus.APPROVED, SubmissionStatus.PENDING}
    winner = one if fresh(one).status == SubmissionStatus.APPROVED else two
    loser = two if winner is one else one
    assert story.title == winner.payload["title"]
    # The loser's submission is untouched and can be reviewed again against version 2.
    assert fresh(loser).version == 1
    assert AuditEntry.objects.filter(action=AuditAction.APPROVED).count() == 1
    assert Source.objects.filter(story=story).count() == 1


@pytest.mark.postgres
@CONCURRENT
def test_retract_and_edit_at_once_one_wins(
    published_story: Story, moderator: User, second_moderator: User
) -> None:
    for_retract = Story.objects.get(pk=published_story.pk)
    for_edit = Story.objects.get(pk=published_story.pk)
    with slow_audit_log():
        results = race(
            lambda: story_retract(
                story=for_retract, moderator=moderator, expected_version=1, reason="Fake."
            ),
            lambda: story_edit(
                story=for_edit,
                editor=second_moderator,
                expected_version=1,
                changes=StoryChanges(title="Edited"),
            ),
        )
    _, loss = one_wins(results)
    # Both write through the catalogue's version rule, so the loser's error is the same.
    assert isinstance(loss, StoryVersionConflict), results
    story = Story.objects.get(pk=published_story.pk)
    assert story.version == 2
    (entry,) = AuditEntry.objects.all()
    retracted, _ = results
    if not isinstance(retracted, BaseException):
        assert (story.status, story.title) == (StoryStatus.RETRACTED, "etcd ran out of space")
        assert entry.action == AuditAction.RETRACTED
    else:
        assert (story.status, story.title) == (StoryStatus.PUBLISHED, "Edited")
        assert entry.action == AuditAction.STORY_EDITED


@pytest.mark.postgres
@CONCURRENT
def test_two_new_stories_of_one_new_organization_approved_at_once(
    taxonomy: None, moderator: User, second_moderator: User
) -> None:
    """Different submissions that share an organization (and so create it) do not collide."""
    one = submission_create(payload=make_payload(title="First outage at Newco"))
    two = submission_create(
        payload=make_payload(
            title="Second outage at Newco",
            sources=[{"url": "https://blog.example.org/second", "kind": "postmortem"}],
        )
    )
    results = approvals_at_once(one, two, moderators=(moderator, second_moderator))
    wins, losses = split(results)
    # Never a database error: either both publish, or the loser is told to try again.
    assert all(isinstance(loss, SubmissionConflict) for loss in losses), results
    assert Organization.objects.filter(name="Example Corp").count() == 1
    assert Story.objects.count() == len(wins)
    for loss in losses:
        assert isinstance(loss, SubmissionConflict)
        assert loss.submission is None or loss.submission.status == SubmissionStatus.PENDING
    # A retry of whoever lost succeeds.
    for submission in (one, two):
        current = fresh(submission)
        if current.status == SubmissionStatus.PENDING:
            submission_approve(
                submission=current, moderator=moderator, expected_version=current.version
            )
    assert Story.objects.public().count() == 2


@pytest.mark.postgres
@CONCURRENT
def test_two_new_stories_with_the_same_source_approved_at_once(
    taxonomy: None, moderator: User, second_moderator: User
) -> None:
    one = submission_create(payload=make_payload(title="One telling"))
    two = submission_create(payload=make_payload(title="Another telling"))
    results = approvals_at_once(one, two, moderators=(moderator, second_moderator))
    _, loss = one_wins(results)
    assert isinstance(loss, SubmissionConflict | SubmissionInvalid), results
    assert Story.objects.count() == 1
    assert Source.objects.count() == 1
    pending = [s for s in (fresh(one), fresh(two)) if s.status == SubmissionStatus.PENDING]
    assert len(pending) == 1
    # Tried again, the loser is told the source belongs to the published story now.
    with pytest.raises(SubmissionInvalid, match="already a source"):
        submission_approve(submission=pending[0], moderator=moderator, expected_version=1)


# --- any database: the same conflicts, one after the other -----------------------------------


@pytest.mark.django_db
def test_stale_submission_version_conflicts_sequentially(
    taxonomy: None, moderator: User, second_moderator: User
) -> None:
    submission = submission_create(payload=make_payload())
    first, second = fresh(submission), fresh(submission)
    submission_approve(submission=first, moderator=moderator, expected_version=1)
    with pytest.raises(SubmissionConflict) as info:
        submission_reject(
            submission=second, moderator=second_moderator, expected_version=1, reason="Spam."
        )
    assert info.value.reason == ConflictReason.SUBMISSION_CHANGED
    last = info.value.last_entry
    assert last is not None and (last.action, last.actor_name) == (AuditAction.APPROVED, "mona")
    assert info.value.submission is not None
    assert info.value.submission.status == SubmissionStatus.APPROVED
    final = fresh(submission)
    assert (final.status, final.version, final.decided_by) == ("approved", 2, moderator)
    assert Story.objects.public().count() == 1


@pytest.mark.django_db
def test_stale_story_version_conflicts_sequentially(
    published_story: Story, moderator: User, second_moderator: User
) -> None:
    one = submission_create(
        payload=edit_payload(published_story, title="Edit number one"), story=published_story
    )
    two = submission_create(
        payload=edit_payload(published_story, title="Edit number two"), story=published_story
    )
    submission_approve(submission=one, moderator=moderator, expected_version=1)
    with pytest.raises(SubmissionConflict) as info:
        submission_approve(submission=two, moderator=second_moderator, expected_version=1)
    assert info.value.reason == ConflictReason.STORY_CHANGED
    story = Story.objects.get(pk=published_story.pk)
    assert (story.title, story.version) == ("Edit number one", 2)
    assert fresh(two).status == SubmissionStatus.PENDING
    stale = Story.objects.get(pk=published_story.pk)
    story_retract(story=story, moderator=moderator, expected_version=2, reason="Fake.")
    with pytest.raises(StoryVersionConflict):
        story_edit(
            story=stale,
            editor=second_moderator,
            expected_version=2,
            changes=StoryChanges(title="Too late"),
        )
    story.refresh_from_db()
    assert (story.status, story.title, story.version) == ("retracted", "Edit number one", 3)
