"""import_stories and export_stories, against the test database (SQLite or PostgreSQL)."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.catalog.models import Component, Source, Story, StoryOrigin, StoryStatus, UpstreamIssue
from apps.core.models import AuditAction, AuditEntry
from tests.conftest import REPO_FIXTURES, FixtureTree
from tests.factories import SourceFactory, StoryFactory

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_creates_the_story_with_all_its_links(fixture_tree: FixtureTree) -> None:
    fixture_tree.story()
    output = run("import_stories")
    assert "stories: 1 created, 0 updated, 0 unchanged" in output
    story = Story.objects.for_detail().get()
    assert story.slug == "2019-example-corp-coredns-oom"
    assert (story.status, story.origin) == (StoryStatus.PUBLISHED, StoryOrigin.FILE)
    assert story.published_on == datetime.date(2019, 1, 15)
    assert story.date_precision == "day"
    assert [c.slug for c in story.components.all()] == ["dns", "coredns"]
    assert [p.slug for p in story.platforms.all()] == ["aws"]
    assert [s.canonical_url for s in story.sources.all()] == ["https://example.org/postmortem"]
    (link,) = story.upstream_links.all()
    assert (link.upstream_issue.owner, link.upstream_issue.number) == ("coredns", 1)
    assert link.note == "The cache grows without bound."
    assert [m.mitigation.slug for m in story.mitigation_links.all()] == ["test-mitigation"]


def test_second_import_changes_nothing(fixture_tree: FixtureTree) -> None:
    fixture_tree.story()
    run("import_stories")
    before = Story.objects.values("id", "updated_at", "version").get()
    output = run("import_stories")
    assert "stories: 0 created, 0 updated, 1 unchanged" in output
    assert "Nothing changed" in output
    assert Story.objects.values("id", "updated_at", "version").get() == before


def test_changed_file_updates_and_bumps_version(fixture_tree: FixtureTree) -> None:
    fixture_tree.story()
    run("import_stories")
    fixture_tree.story(**{"impact: [outage]": "impact: [outage, errors]"})
    output = run("import_stories")
    assert "stories: 0 created, 1 updated, 0 unchanged" in output
    story = Story.objects.get()
    assert story.version == 2
    assert sorted(story.impacts.values_list("slug", flat=True)) == ["errors", "outage"]


def test_source_url_can_move_between_file_stories(fixture_tree: FixtureTree) -> None:
    first = fixture_tree.story()
    run("import_stories")
    first.unlink()
    fixture_tree.story("2019-example-corp-renamed.md")
    output = run("import_stories", "--prune")
    assert "stories deleted (file removed): 2019-example-corp-coredns-oom" in output
    assert list(Story.objects.values_list("slug", flat=True)) == ["2019-example-corp-renamed"]


def test_a_pruned_story_gets_a_deletion_entry_with_what_it_held(
    fixture_tree: FixtureTree,
) -> None:
    fixture_tree.story()
    fixture_tree.story(
        "2019-example-corp-second.md",
        **{"https://example.org/postmortem": "https://example.org/second"},
    )
    run("import_stories")
    pruned = Story.objects.get(slug="2019-example-corp-coredns-oom")
    title = pruned.title
    (fixture_tree.root / "stories" / "2019-example-corp-coredns-oom.md").unlink()
    run("import_stories")  # without --prune nothing is deleted, nothing logged
    assert not AuditEntry.objects.filter(action=AuditAction.STORY_DELETED).exists()
    run("import_stories", "--prune")
    deleted = AuditEntry.objects.get(action=AuditAction.STORY_DELETED)
    assert (deleted.story_id, deleted.story_slug) == (pruned.pk, pruned.slug)
    assert deleted.actor_name == "import_stories"
    assert deleted.before["title"] == title and deleted.before["slug"] == pruned.slug
    assert deleted.before["sources"]
    assert list(Story.objects.values_list("slug", flat=True)) == ["2019-example-corp-second"]


def test_missing_files_are_reported_not_deleted_without_prune(fixture_tree: FixtureTree) -> None:
    path = fixture_tree.story()
    run("import_stories")
    path.unlink()
    output = run("import_stories")
    assert "have no file any more" in output
    assert Story.objects.count() == 1


def test_web_stories_are_never_touched(fixture_tree: FixtureTree) -> None:
    web = StoryFactory(origin=StoryOrigin.WEB, slug="2020-someone-web-story")
    before = Story.objects.values().get(pk=web.pk)
    fixture_tree.story()
    run("import_stories", "--prune")
    run("import_stories", "--prune")
    assert Story.objects.values().get(pk=web.pk) == before


def test_file_may_not_take_a_web_story_slug_or_source(fixture_tree: FixtureTree) -> None:
    StoryFactory(origin=StoryOrigin.WEB, slug="2019-example-corp-coredns-oom")
    web = StoryFactory(origin=StoryOrigin.WEB, slug="2020-web-story", sources=False)
    SourceFactory(
        story=web,
        url="https://example.org/postmortem/",
        canonical_url="https://example.org/postmortem",
    )
    fixture_tree.story()
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_stories", stdout=StringIO(), stderr=err)
    assert "slug '2019-example-corp-coredns-oom' belongs to a web story" in err.getvalue()
    assert "is already a source of the story '2020-web-story'" in err.getvalue()
    assert Story.objects.count() == 2


def test_invalid_tree_is_refused_and_nothing_is_written(fixture_tree: FixtureTree) -> None:
    fixture_tree.story()
    fixture_tree.story("2020-bad.md", text="---\ntitle: x\n---\n")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_stories", stdout=StringIO(), stderr=err)
    assert "2020-bad.md:date: is required" in err.getvalue()
    assert Story.objects.count() == 0
    assert UpstreamIssue.objects.count() == 0


def test_export_then_import_changes_nothing(fixture_tree: FixtureTree, tmp_path: Path) -> None:
    original = fixture_tree.story()
    run("import_stories")
    out = tmp_path / "exported"
    assert "1 file(s) written" in run("export_stories", "--out", str(out))
    exported = (out / original.name).read_bytes()
    assert "0 file(s) written, 1 unchanged" in run("export_stories", "--out", str(out))
    assert (out / original.name).read_bytes() == exported
    original.write_bytes(exported)
    assert "Nothing changed" in run("import_stories")


def test_export_writes_an_approved_web_story_as_a_valid_file(fixture_tree: FixtureTree) -> None:
    run("import_stories")
    web = StoryFactory(
        origin=StoryOrigin.WEB,
        slug="2020-acme-web-story",
        components=list(Component.objects.filter(slug="dns")),
        sources=False,
    )
    SourceFactory(
        story=web,
        url="https://acme.example/postmortem",
        canonical_url="https://acme.example/postmortem",
    )
    run("export_stories", "--slug", "2020-acme-web-story")
    path = fixture_tree.root / "stories" / "2020-acme-web-story.md"
    assert path.exists()
    catalogue = fixture_tree.load()
    assert catalogue.problems == []
    assert [s.slug for s in catalogue.stories] == ["2020-acme-web-story"]


def test_export_refuses_unknown_or_unpublished_slugs(fixture_tree: FixtureTree) -> None:
    StoryFactory(slug="2020-draft", status=StoryStatus.DRAFT)
    with pytest.raises(CommandError, match="No published story with slug: 2020-draft"):
        run("export_stories", "--slug", "2020-draft")


def test_the_real_catalogue_round_trips_byte_for_byte(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.STORIES_FIXTURES_DIR = REPO_FIXTURES
    run("import_stories")
    assert Story.objects.count() == len(list((REPO_FIXTURES / "stories").glob("*.md")))
    assert Source.objects.count() >= Story.objects.count()
    out = tmp_path / "stories"
    run("export_stories", "--out", str(out))
    for path in sorted((REPO_FIXTURES / "stories").glob("*.md")):
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name
    assert "Nothing changed" in run("import_stories")


def _approved_web_story(**overrides: object) -> Story:
    """A story published through the submission workflow, against the imported taxonomy."""
    from django.contrib.auth.models import User

    from apps.submissions.services import submission_approve, submission_create
    from tests.submissions.conftest import make_payload

    payload = make_payload(
        mitigations=[{"slug": "test-mitigation", "note": "Cache locally."}],
        upstream=[{"url": "https://github.com/coredns/coredns/issues/2", "note": "Memory."}],
        **overrides,
    )
    submission = submission_create(payload=payload)
    moderator = User.objects.create_user("export-moderator")
    return submission_approve(submission=submission, moderator=moderator, expected_version=1)


def test_an_exported_web_story_is_adopted_by_the_next_import(fixture_tree: FixtureTree) -> None:
    run("import_stories")
    story = _approved_web_story()
    assert story.origin == StoryOrigin.WEB
    before = Story.objects.values("id", "version", "title", "summary").get(pk=story.pk)

    assert "1 file(s) written" in run("export_stories", "--slug", story.slug)
    path = fixture_tree.root / "stories" / f"{story.slug}.md"
    text = path.read_text(encoding="utf-8")
    assert "title: CoreDNS ran out of memory during a deploy" in text
    assert "test-mitigation" in text
    assert "1 story file(s)" in run("validate_stories")

    output = run("import_stories")
    assert f"web stories now kept as files (their file matches): {story.slug}" in output
    assert "stories: 0 created, 0 updated, 1 unchanged" in output
    adopted = Story.objects.get(pk=story.pk)
    assert adopted.origin == StoryOrigin.FILE
    # Adoption changes where the story is kept, not the story.
    assert Story.objects.values("id", "version", "title", "summary").get(pk=story.pk) == before

    again = run("import_stories")
    assert "Nothing changed" in again
    assert "web stories now kept" not in again
    assert Story.objects.get(pk=story.pk).origin == StoryOrigin.FILE
    # From now on the file rules: a changed file updates the story.
    path.write_text(text.replace("during a deploy", "during a rollout"), encoding="utf-8")
    assert "stories: 0 created, 1 updated, 0 unchanged" in run("import_stories")
    assert Story.objects.get(pk=story.pk).title == "CoreDNS ran out of memory during a rollout"


def test_a_web_story_whose_file_differs_is_refused(fixture_tree: FixtureTree) -> None:
    run("import_stories")
    story = _approved_web_story()
    run("export_stories", "--slug", story.slug)
    path = fixture_tree.root / "stories" / f"{story.slug}.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("during a deploy", "in a stale file"),
        encoding="utf-8",
    )
    before = Story.objects.values().get(pk=story.pk)
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_stories", stdout=StringIO(), stderr=err)
    assert f"slug '{story.slug}' belongs to a web story with different content" in err.getvalue()
    assert f"export_stories --slug {story.slug}" in err.getvalue()
    assert Story.objects.values().get(pk=story.pk) == before


def test_a_web_edit_after_adoption_is_not_overwritten_by_the_old_file(
    fixture_tree: FixtureTree,
) -> None:
    from django.contrib.auth.models import User

    from apps.submissions.services import submission_approve, submission_create
    from tests.submissions.conftest import edit_payload

    run("import_stories")
    story = _approved_web_story()
    run("export_stories", "--slug", story.slug)
    run("import_stories")
    assert Story.objects.get(pk=story.pk).origin == StoryOrigin.FILE

    edit = edit_payload(story, title="Edited on the site")
    submission = submission_create(payload=edit, story=Story.objects.get(pk=story.pk))
    moderator = User.objects.create_user("editor")
    submission_approve(submission=submission, moderator=moderator, expected_version=1)
    edited = Story.objects.get(pk=story.pk)
    assert (edited.origin, edited.title, edited.version) == (
        StoryOrigin.WEB,
        "Edited on the site",
        2,
    )

    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_stories", stdout=StringIO(), stderr=StringIO())
    assert Story.objects.get(pk=story.pk).title == "Edited on the site"
    # Exporting again brings the file up to date, and the next import adopts it.
    assert "1 file(s) written" in run("export_stories", "--slug", story.slug)
    assert "web stories now kept as files" in run("import_stories")
    assert Story.objects.get(pk=story.pk).origin == StoryOrigin.FILE


def _commit(root: Path, when: str, message: str) -> None:
    import subprocess

    env = {
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
    }
    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", "-C", str(root), *args], env=env, check=True)  # noqa: S603, S607


def test_new_stories_are_dated_by_when_their_files_entered_the_repository(
    fixture_tree: FixtureTree,
) -> None:
    """ "Recently added" on a fresh install follows the repository's history: the newest
    file comes first, not the import order (every story would share one timestamp)."""
    import subprocess

    subprocess.run(["git", "init", "-q", str(fixture_tree.root)], check=True)  # noqa: S603, S607
    fixture_tree.story()
    _commit(fixture_tree.root, "2021-03-04T05:06:07+00:00", "first")
    fixture_tree.story(
        "2019-example-corp-later-file.md",
        **{
            "title: CoreDNS": "title: Later CoreDNS",
            "https://example.org/postmortem": "https://example.org/later",
        },
    )
    _commit(fixture_tree.root, "2022-01-02T03:04:05+00:00", "second")
    fixture_tree.story(
        "2019-example-corp-to-be-renamed.md",
        **{"https://example.org/postmortem": "https://example.org/renamed"},
    )
    _commit(fixture_tree.root, "2020-05-05T05:05:05+00:00", "third")
    stories = fixture_tree.root / "stories"
    (stories / "2019-example-corp-to-be-renamed.md").rename(
        stories / "2019-example-corp-renamed.md"
    )
    _commit(fixture_tree.root, "2020-06-06T06:06:06+00:00", "rename")
    fixture_tree.story(
        "2019-example-corp-uncommitted.md",
        **{"https://example.org/postmortem": "https://example.org/new"},
    )
    started = datetime.datetime.now(tz=datetime.UTC)
    run("import_stories")
    added = dict(Story.objects.values_list("slug", "created_at"))
    assert added["2019-example-corp-coredns-oom"] == datetime.datetime(
        2021, 3, 4, 5, 6, 7, tzinfo=datetime.UTC
    )
    assert added["2019-example-corp-later-file"] == datetime.datetime(
        2022, 1, 2, 3, 4, 5, tzinfo=datetime.UTC
    )
    # A renamed file is dated by its rename (git would otherwise call it a rename, not an add).
    assert added["2019-example-corp-renamed"] == datetime.datetime(
        2020, 6, 6, 6, 6, 6, tzinfo=datetime.UTC
    )
    assert added["2019-example-corp-uncommitted"] >= started  # not committed: dated now
    newest = Story.objects.public().order_by("-created_at", "slug").values_list("slug", flat=True)
    assert list(newest) == [
        "2019-example-corp-uncommitted",
        "2019-example-corp-later-file",
        "2019-example-corp-coredns-oom",
        "2019-example-corp-renamed",
    ]


def test_without_git_history_new_stories_are_dated_by_the_import(fixture_tree: FixtureTree) -> None:
    fixture_tree.story()
    started = datetime.datetime.now(tz=datetime.UTC)
    run("import_stories")
    assert Story.objects.get().created_at >= started
