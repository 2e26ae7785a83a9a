"""Upstream sync and `manage.py sync_upstream`, against a fake GitHub API on 127.0.0.1."""

import datetime
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.urls import reverse

from apps.catalog.models import Story, StoryUpstreamIssue, UpstreamIssue
from apps.catalog.storyfiles.upstreamfacts import load_upstream_facts
from apps.linkcheck.github import GitHubClient
from apps.linkcheck.upstream import sync_issue, sync_issues
from apps.search.engine import search_stories
from apps.search.indexing import index_stories
from tests.factories import StoryFactory
from tests.linkcheck.test_github import (
    NOW,
    FakeGitHub,
    Reply,
    issue_payload,
    rate_limited,
    serve_fake_github,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture(autouse=True)
def github(settings: Any) -> Iterator[FakeGitHub]:
    yield from serve_fake_github(settings)


def make_issue(number: int, kind: str = "issue", **fields: Any) -> UpstreamIssue:
    segment = "pull" if kind == "pull" else "issues"
    return UpstreamIssue.objects.create(
        url=f"https://github.com/kubernetes/kubernetes/{segment}/{number}",
        tracker=UpstreamIssue.Tracker.GITHUB,
        owner="kubernetes",
        repo="kubernetes",
        number=number,
        kind=kind,
        **fields,
    )


def issue_path(number: int) -> str:
    return f"/repos/kubernetes/kubernetes/issues/{number}"


def pull_path(number: int) -> str:
    return f"/repos/kubernetes/kubernetes/pulls/{number}"


def test_an_open_issue(github: FakeGitHub) -> None:
    issue = make_issue(1)
    github.route(issue_path(1), Reply(body=issue_payload(1, title="DNS is slow"), etag='"e1"'))

    synced = sync_issue(issue.pk)

    assert synced is not None
    issue.refresh_from_db()
    assert issue.state == UpstreamIssue.State.OPEN
    assert issue.title == "DNS is slow"
    assert issue.labels == []
    assert issue.milestone == ""
    assert issue.closed_at is None
    assert issue.merged_at is None
    assert issue.etag == '"e1"'
    assert issue.last_synced_at is not None
    assert issue.last_checked_at == issue.last_synced_at
    assert issue.last_error == ""
    assert github.paths() == [issue_path(1)]  # an issue needs no pull request call


def test_a_closed_issue_with_labels_and_a_milestone(github: FakeGitHub) -> None:
    issue = make_issue(2)
    github.route(
        issue_path(2),
        Reply(
            body=issue_payload(
                2,
                state="closed",
                labels=["kind/bug", "sig/network"],
                milestone="v1.29",
                closed_at="2023-10-01T12:30:00Z",
            )
        ),
    )

    sync_issue(issue.pk)

    issue.refresh_from_db()
    assert issue.state == UpstreamIssue.State.CLOSED
    assert issue.labels == ["kind/bug", "sig/network"]
    assert issue.milestone == "v1.29"
    assert issue.closed_at == datetime.datetime(2023, 10, 1, 12, 30, tzinfo=UTC)
    assert issue.merged_at is None


def test_a_merged_pull_request(github: FakeGitHub) -> None:
    issue = make_issue(3, kind="pull")
    github.route(
        issue_path(3),
        Reply(body=issue_payload(3, state="closed", closed_at="2023-11-02T08:00:00Z", pull=True)),
    )
    github.route(
        pull_path(3), Reply(body={"number": 3, "merged": True, "merged_at": "2023-11-02T08:00:00Z"})
    )

    sync_issue(issue.pk)

    issue.refresh_from_db()
    assert issue.state == UpstreamIssue.State.MERGED
    assert issue.merged_at == datetime.datetime(2023, 11, 2, 8, tzinfo=UTC)
    assert issue.closed_at == issue.merged_at
    assert github.paths() == [issue_path(3), pull_path(3)]


def test_a_closed_pull_request_that_was_not_merged(github: FakeGitHub) -> None:
    issue = make_issue(4, kind="pull", state=UpstreamIssue.State.OPEN)
    github.route(
        issue_path(4),
        Reply(body=issue_payload(4, state="closed", closed_at="2023-12-24T00:00:00Z", pull=True)),
    )
    github.route(pull_path(4), Reply(body={"number": 4, "merged": False, "merged_at": None}))

    sync_issue(issue.pk)

    issue.refresh_from_db()
    assert issue.state == UpstreamIssue.State.CLOSED
    assert issue.merged_at is None
    assert issue.closed_at == datetime.datetime(2023, 12, 24, tzinfo=UTC)


def test_an_unchanged_issue_is_answered_with_304_and_only_last_checked_at_moves(
    github: FakeGitHub,
) -> None:
    checked = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    issue = make_issue(
        5,
        state=UpstreamIssue.State.CLOSED,
        title="Old title",
        labels=["kind/bug"],
        milestone="v1.28",
        closed_at=checked,
        etag='"same"',
        last_synced_at=checked,
        last_checked_at=checked,
    )
    before = model_to_dict(issue)
    github.route(issue_path(5), Reply(body=issue_payload(5, title="Never served"), etag='"same"'))

    counts = sync_issues([issue.pk])

    assert counts == {"unchanged": 1}
    [headers] = github.headers_for(issue_path(5))
    assert headers["If-None-Match"] == '"same"'
    issue.refresh_from_db()
    after = model_to_dict(issue)
    assert after.pop("last_checked_at") > before.pop("last_checked_at")
    assert after == before


def test_a_second_sync_is_a_304(github: FakeGitHub) -> None:
    issue = make_issue(6)
    github.route(issue_path(6), Reply(body=issue_payload(6), etag='"e6"'))

    assert sync_issues([issue.pk]) == {"updated": 1}
    assert sync_issues([issue.pk]) == {"unchanged": 1}


def test_a_rate_limit_that_resets_soon_is_waited_for_and_the_retry_succeeds(
    github: FakeGitHub,
) -> None:
    issue = make_issue(7)
    github.route(issue_path(7), rate_limited(NOW + 5), Reply(body=issue_payload(7, title="Back")))
    sleeps: list[float] = []

    with GitHubClient(sleep=sleeps.append, clock=lambda: NOW) as client:
        counts = sync_issues([issue.pk], client=client)

    assert sleeps == [6]
    assert counts == {"updated": 1}
    issue.refresh_from_db()
    assert issue.title == "Back"
    assert len(github.headers_for(issue_path(7))) == 2


def test_a_rate_limit_that_resets_late_stops_the_batch_and_leaves_the_rest_untouched(
    github: FakeGitHub,
) -> None:
    first, second, third = make_issue(8), make_issue(9), make_issue(10)
    github.route(issue_path(8), Reply(body=issue_payload(8)))
    github.route(issue_path(9), rate_limited(NOW + 3600))
    github.route(issue_path(10), Reply(body=issue_payload(10)))
    sleeps: list[float] = []

    with GitHubClient(sleep=sleeps.append, clock=lambda: NOW) as client:
        counts = sync_issues([first.pk, second.pk, third.pk], client=client)

    assert counts == {"updated": 1, "rate_limited": 2}
    assert counts.rate_limited_until == datetime.datetime.fromtimestamp(NOW + 3601, tz=UTC)
    assert sleeps == []
    assert github.paths() == [issue_path(8), issue_path(9)]
    for untouched in (second, third):
        before = model_to_dict(untouched)
        untouched.refresh_from_db()
        assert model_to_dict(untouched) == before
        assert untouched.last_checked_at is None


def test_a_404_in_a_batch_of_three_is_recorded_on_that_issue_and_the_others_update(
    github: FakeGitHub,
) -> None:
    synced_at = datetime.datetime(2024, 2, 2, tzinfo=UTC)
    first = make_issue(11)
    gone = make_issue(12, state=UpstreamIssue.State.OPEN, title="Kept", last_synced_at=synced_at)
    third = make_issue(13)
    github.route(issue_path(11), Reply(body=issue_payload(11, title="First")))
    github.route(issue_path(13), Reply(body=issue_payload(13, title="Third")))

    counts = sync_issues([first.pk, gone.pk, third.pk])

    assert counts == {"updated": 2, "failed": 1}
    gone.refresh_from_db()
    assert "404" in gone.last_error
    assert gone.state == UpstreamIssue.State.OPEN
    assert gone.title == "Kept"
    assert gone.last_synced_at == synced_at
    assert gone.last_checked_at is not None
    first.refresh_from_db()
    third.refresh_from_db()
    assert (first.title, third.title) == ("First", "Third")


@pytest.mark.parametrize(
    ("replies", "message"),
    [
        ([Reply(410, {"message": "Gone"})], "410"),
        ([Reply(503, b"unavailable")], "503"),
        ([Reply(200, b"<html>")], "not valid JSON"),
        ([Reply(200, {"state": "reopened", "title": "x"})], "unexpected state"),
        ([Reply(200, {"state": "open", "title": "x", "closed_at": "yesterday"})], "closed_at"),
    ],
)
def test_errors_keep_the_previous_state(
    github: FakeGitHub, replies: list[Reply], message: str
) -> None:
    issue = make_issue(14, state=UpstreamIssue.State.CLOSED, title="Kept", etag='"old"')
    github.route(issue_path(14), *replies)

    sync_issue(issue.pk)

    issue.refresh_from_db()
    assert message in issue.last_error
    assert (issue.state, issue.title, issue.etag) == ("closed", "Kept", '"old"')
    assert issue.last_synced_at is None
    assert issue.last_checked_at is not None


def test_a_pull_request_whose_pulls_call_fails_keeps_its_state(github: FakeGitHub) -> None:
    issue = make_issue(15, kind="pull", state=UpstreamIssue.State.OPEN)
    github.route(issue_path(15), Reply(body=issue_payload(15, state="closed", pull=True)))
    github.route(pull_path(15), Reply(500, {"message": "Server Error"}))

    assert sync_issues([issue.pk]) == {"failed": 1}

    issue.refresh_from_db()
    assert issue.state == UpstreamIssue.State.OPEN
    assert issue.etag == ""  # so the next run fetches both again
    assert "500" in issue.last_error


def test_a_success_clears_an_earlier_error(github: FakeGitHub) -> None:
    issue = make_issue(16, last_error="GitHub answered 502 Bad Gateway")
    github.route(issue_path(16), Reply(body=issue_payload(16)))

    sync_issue(issue.pk)

    issue.refresh_from_db()
    assert issue.last_error == ""


def test_other_trackers_are_skipped(github: FakeGitHub) -> None:
    issue = UpstreamIssue.objects.create(
        url="https://bugzilla.kernel.org/show_bug.cgi?id=200000",
        tracker=UpstreamIssue.Tracker.KERNEL_BUGZILLA,
        owner="",
        repo="",
        number=200000,
        kind=UpstreamIssue.Kind.ISSUE,
    )
    before = model_to_dict(issue)

    assert sync_issue(issue.pk) == issue
    assert sync_issues([issue.pk]) == {"skipped": 1}
    issue.refresh_from_db()
    assert model_to_dict(issue) == before
    assert github.requests == []


def test_an_unknown_id(github: FakeGitHub) -> None:
    assert sync_issue(999_999) is None
    assert sync_issues([999_999]) == {"missing": 1}


# manage.py sync_upstream -------------------------------------------------------------


def link(story: Story, *issues: UpstreamIssue) -> None:
    for position, issue in enumerate(issues):
        StoryUpstreamIssue.objects.create(story=story, upstream_issue=issue, position=position)


def run(*args: str) -> str:
    out = StringIO()
    call_command("sync_upstream", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_syncs_issues_of_published_stories_and_summarises(
    github: FakeGitHub, settings: Any
) -> None:
    settings.UPSTREAM_SYNC_ENABLED = True
    fresh, known, gone = make_issue(21), make_issue(22, etag='"e22"'), make_issue(23)
    bugzilla = UpstreamIssue.objects.create(
        url="https://bugzilla.kernel.org/show_bug.cgi?id=1",
        tracker=UpstreamIssue.Tracker.KERNEL_BUGZILLA,
        number=1,
        kind=UpstreamIssue.Kind.ISSUE,
    )
    draft_only = make_issue(24)
    link(StoryFactory(), fresh, known, bugzilla)
    link(StoryFactory(), gone, fresh)
    link(StoryFactory(status=Story.Status.DRAFT), draft_only)
    github.route(issue_path(21), Reply(body=issue_payload(21)))
    github.route(issue_path(22), Reply(body=issue_payload(22), etag='"e22"'))

    output = run()

    assert (
        "1 updated, 1 unchanged (304), 1 failed, 1 skipped (not on GitHub), 0 rate-limited"
        in output
    )
    assert "Upstream sync finished." in output
    assert sorted(github.paths()) == [issue_path(21), issue_path(22), issue_path(23)]
    draft_only.refresh_from_db()
    assert draft_only.last_checked_at is None


def test_the_command_reports_a_rate_limit(github: FakeGitHub, settings: Any) -> None:
    settings.UPSTREAM_SYNC_ENABLED = True
    settings.UPSTREAM_RATE_LIMIT_MAX_WAIT = 0
    first, second = make_issue(31), make_issue(32)
    link(StoryFactory(), first, second)
    github.route(issue_path(31), rate_limited(NOW + 10**6))

    output = run()

    assert "0 updated, 0 unchanged (304), 0 failed, 0 skipped (not on GitHub), 2 rate-limited" in (
        output
    )
    assert "2 issue(s) left for the next run" in output


def test_the_command_syncs_one_issue(github: FakeGitHub, settings: Any) -> None:
    settings.UPSTREAM_SYNC_ENABLED = True
    wanted, other = make_issue(41), make_issue(42)
    github.route(issue_path(41), Reply(body=issue_payload(41)))

    assert "1 updated" in run("--issue", str(wanted.pk))

    assert github.paths() == [issue_path(41)]
    other.refresh_from_db()
    assert other.last_checked_at is None
    with pytest.raises(CommandError, match="No upstream issue with id 999999"):
        run("--issue", "999999")


def test_the_command_refuses_when_sync_is_disabled(github: FakeGitHub, settings: Any) -> None:
    settings.UPSTREAM_SYNC_ENABLED = False
    issue = make_issue(51)
    link(StoryFactory(), issue)
    github.route(issue_path(51), Reply(body=issue_payload(51)))

    with pytest.raises(CommandError, match="UPSTREAM_SYNC_ENABLED"):
        run()
    assert github.requests == []

    assert "1 updated" in run("--force")


def test_write_fixtures_stores_synced_facts_and_keeps_other_entries(
    github: FakeGitHub, settings: Any, tmp_path: Any
) -> None:
    settings.UPSTREAM_SYNC_ENABLED = True
    settings.STORIES_FIXTURES_DIR = tmp_path
    facts = tmp_path / "upstream" / "issues.yaml"
    facts.parent.mkdir()
    facts.write_text(
        "issues:\n  https://github.com/coredns/coredns/issues/2593:\n"
        "    title: Kept as it was\n    state: closed\n    as_of: 2024-01-02\n"
    )
    issue = make_issue(71)
    link(StoryFactory(), issue)
    github.route(
        issue_path(71),
        Reply(
            body=issue_payload(
                71,
                title="kubelet stops",
                state="closed",
                labels=["kind/bug"],
                created_at="2019-01-02T03:04:05Z",
                closed_at="2019-02-01T00:00:00Z",
            )
        ),
    )

    assert "2 upstream issue(s) written" in run("--write-fixtures")

    written, problems = load_upstream_facts(tmp_path)
    assert problems == []
    assert written["https://github.com/coredns/coredns/issues/2593"].title == "Kept as it was"
    synced = written[issue.url]
    assert (synced.title, synced.state, synced.labels) == ("kubelet stops", "closed", ("kind/bug",))
    assert synced.opened == datetime.datetime(2019, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert synced.closed == datetime.datetime(2019, 2, 1, tzinfo=UTC)
    assert synced.as_of == datetime.datetime.now(UTC).date()


# Admin -------------------------------------------------------------------------------


def test_the_admin_shows_the_sync_fields_read_only(admin_client: Any) -> None:
    issue = make_issue(61, state=UpstreamIssue.State.CLOSED, last_error="GitHub answered 404")
    response = admin_client.get(reverse("admin:catalog_upstreamissue_change", args=[issue.pk]))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "GitHub answered 404" in response.content.decode()
    for name in ("state", "title", "labels", "milestone", "closed_at", "last_error"):
        assert name not in form.fields
    listing = admin_client.get(
        reverse("admin:catalog_upstreamissue_changelist"), {"state": "closed"}
    )
    assert listing.status_code == 200
    assert str(issue) in listing.content.decode()


def test_a_new_title_reindexes_the_stories_that_link_the_issue(github: FakeGitHub) -> None:
    story = StoryFactory(title="Nodes fell over")
    issue = make_issue(7)
    link(story, issue)
    index_stories([story.pk])
    github.route(issue_path(7), Reply(body=issue_payload(7, title="Kubelet leaks inotify watches")))

    sync_issue(issue.pk)

    found = search_stories("inotify", Story.objects.public())
    assert found.story_ids == [story.pk]
