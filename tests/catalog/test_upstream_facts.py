"""Upstream facts shipped in fixtures/upstream/issues.yaml: reading, checking, importing."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.catalog.models import Story, UpstreamIssue
from apps.catalog.storyfiles.upstreamfacts import (
    FACTS_PATH,
    dump_upstream_facts,
    load_upstream_facts,
)
from apps.search.engine import search_stories
from tests.conftest import FixtureTree

UTC = datetime.UTC
URL = "https://github.com/coredns/coredns/issues/1"  # the URL the story template links
FACTS = f"""\
issues:
  {URL}:
    title: CoreDNS   cache grows without bound
    state: closed
    opened: 2019-01-02
    closed: '2019-03-04T05:06:07Z'
    labels: [bug]
    milestone: v1.5
    as_of: 2026-11-30
"""


def write_facts(tree: FixtureTree, text: str = FACTS) -> None:
    path = tree.root / FACTS_PATH
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_facts_are_read_with_dates_in_utc(fixture_tree: FixtureTree) -> None:
    write_facts(fixture_tree)
    facts, problems = load_upstream_facts(fixture_tree.root)
    assert problems == []
    fact = facts[URL]
    assert fact.title == "CoreDNS cache grows without bound"
    assert fact.state == "closed"
    assert fact.opened == datetime.datetime(2019, 1, 2, tzinfo=UTC)
    assert fact.closed == datetime.datetime(2019, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert (fact.labels, fact.milestone) == (("bug",), "v1.5")
    assert fact.as_of == datetime.date(2026, 11, 30)


def test_a_missing_file_ships_no_facts(fixture_tree: FixtureTree) -> None:
    assert load_upstream_facts(fixture_tree.root) == ({}, [])


def test_dumped_facts_read_back_the_same(fixture_tree: FixtureTree) -> None:
    write_facts(fixture_tree)
    facts, _ = load_upstream_facts(fixture_tree.root)
    write_facts(fixture_tree, dump_upstream_facts(facts))
    assert load_upstream_facts(fixture_tree.root) == (facts, [])


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("    state: shut\n    as_of: 2026-11-30\n", f"{URL}.state: 'shut' is not one of"),
        ("    state: open\n", f"{URL}.as_of: is required"),
        ("    state: closed\n    merged: 2020-01-01\n    as_of: 2026-11-30\n", "a merge date"),
        ("    opened: soon\n    as_of: 2026-11-30\n", f"{URL}.opened:"),
        ("    labels: bug\n    as_of: 2026-11-30\n", "expected a list of label names"),
        ("    colour: red\n    as_of: 2026-11-30\n", f"{URL}.colour: unknown field"),
    ],
)
def test_bad_facts_are_named(fixture_tree: FixtureTree, entry: str, expected: str) -> None:
    write_facts(fixture_tree, f"issues:\n  {URL}:\n{entry}")
    _, problems = load_upstream_facts(fixture_tree.root)
    assert any(expected in str(problem) for problem in problems), problems


def test_an_address_that_is_no_upstream_issue_is_named(fixture_tree: FixtureTree) -> None:
    write_facts(
        fixture_tree,
        "issues:\n  https://example.org/x:\n    as_of: 2026-11-30\n"
        "  https://github.com/CoreDNS/coredns/issues/1/:\n    as_of: 2026-11-30\n",
    )
    _, problems = load_upstream_facts(fixture_tree.root)
    messages = [str(p) for p in problems]
    assert any("https://example.org/x: not an upstream issue URL" in m for m in messages)
    canonical = "https://github.com/CoreDNS/coredns/issues/1"
    assert any(f"write the URL as {canonical}" in m for m in messages)


def test_validate_stories_reports_the_facts_file(fixture_tree: FixtureTree) -> None:
    write_facts(fixture_tree, f"issues:\n  {URL}:\n    state: shut\n    as_of: 2026-11-30\n")
    err = StringIO()
    with pytest.raises(Exception, match="problem"):
        call_command("validate_stories", stdout=StringIO(), stderr=err)
    assert "upstream/issues.yaml" in err.getvalue()


@pytest.mark.django_db
def test_import_loads_facts_and_the_story_page_shows_them(
    fixture_tree: FixtureTree, client
) -> None:  # type: ignore[no-untyped-def]
    fixture_tree.story()
    write_facts(fixture_tree)
    out = StringIO()
    call_command("import_stories", stdout=out)

    assert "upstream issues: 1 updated" in out.getvalue()
    issue = UpstreamIssue.objects.get(url=URL)
    assert issue.state == UpstreamIssue.State.CLOSED
    assert issue.title == "CoreDNS cache grows without bound"
    assert issue.opened_at == datetime.datetime(2019, 1, 2, tzinfo=UTC)
    assert issue.last_synced_at == datetime.datetime(2026, 11, 30, tzinfo=UTC)
    assert issue.last_checked_at is None
    html = client.get(
        reverse("web:story-detail", kwargs={"slug": "2019-example-corp-coredns-oom"})
    ).content.decode()
    assert "CoreDNS cache grows without bound" in html
    assert 'as of <time datetime="2026-11-30' in html
    assert "opened <time" in html and "closed <time" in html
    assert "latest check failed" not in html


@pytest.mark.django_db
def test_import_keeps_newer_facts_from_a_sync(fixture_tree: FixtureTree) -> None:
    fixture_tree.story()
    call_command("import_stories", stdout=StringIO())
    synced = datetime.datetime(2026, 12, 1, 8, tzinfo=UTC)
    UpstreamIssue.objects.filter(url=URL).update(
        state=UpstreamIssue.State.OPEN, title="Reopened", last_synced_at=synced
    )
    write_facts(fixture_tree)

    call_command("import_stories", stdout=StringIO())

    issue = UpstreamIssue.objects.get(url=URL)
    assert (issue.state, issue.title, issue.last_synced_at) == ("open", "Reopened", synced)


@pytest.mark.django_db
def test_a_story_is_found_by_its_upstream_issue_title_straight_after_import(
    fixture_tree: FixtureTree,
) -> None:
    # The title comes from the facts file, applied after the stories were indexed.
    fixture_tree.story()
    write_facts(fixture_tree, FACTS.replace("CoreDNS   cache grows", "Resolver inotify grows"))
    call_command("import_stories", stdout=StringIO())

    found = search_stories("inotify", Story.objects.public())

    assert [s.slug for s in Story.objects.filter(pk__in=found.story_ids)] == [
        "2019-example-corp-coredns-oom"
    ]
