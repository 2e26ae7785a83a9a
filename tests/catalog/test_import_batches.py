"""import_stories in batches: the same guarantees at any batch size; files read one at a time."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from apps.catalog import importing
from apps.catalog.models import Source, Story
from apps.catalog.rendering import rendered_fields
from apps.catalog.storyfiles.parsing import _FrontMatterLoader, _load_yaml, stream_catalogue
from apps.catalog.storyfiles.records import Problem, StoryRecord
from apps.core.models import AuditAction, AuditEntry
from apps.search.models import StorySearchDocument
from tests.conftest import FixtureTree

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "BATCH_SIZE", 2)


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_stories", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(*args: str) -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_stories", *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def slug(number: int) -> str:
    return f"2019-example-corp-story-{number}"


def write(tree: FixtureTree, number: int, *, url: int | None = None, summary: str = "") -> Path:
    return tree.story(
        f"{slug(number)}.md",
        **{
            "https://example.org/postmortem": f"https://example.org/{url or number}",
            "What happened, in our own words.": summary or f"Story **{number}**, in our words.",
        },
    )


def imported_entries(story_slug: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.STORY_IMPORTED, story_slug=story_slug))


def test_every_batch_stores_rendered_text_search_documents_and_audit(
    fixture_tree: FixtureTree,
) -> None:
    for number in range(1, 6):
        write(fixture_tree, number)
    assert "stories: 5 created, 0 updated, 0 unchanged" in run()
    stories = list(Story.objects.all())
    assert len(stories) == 5
    for story in stories:
        assert (story.summary_html, story.excerpt) == rendered_fields(story.summary)
        assert "<strong>" in story.summary_html
        (entry,) = imported_entries(story.slug)
        assert entry.before is None
        assert entry.after is not None
        assert entry.after["title"] == story.title
    assert StorySearchDocument.objects.count() == 5
    assert Source.objects.count() == 5

    again = run()
    assert "stories: 0 created, 0 updated, 5 unchanged" in again
    assert "Nothing changed" in again
    assert AuditEntry.objects.filter(action=AuditAction.STORY_IMPORTED).count() == 5
    assert set(Story.objects.values_list("version", flat=True)) == {1}


def test_a_changed_summary_is_rendered_again(fixture_tree: FixtureTree) -> None:
    for number in range(1, 4):
        write(fixture_tree, number)
    run()
    write(fixture_tree, 3, summary="Now *emphasised*.")
    assert "stories: 0 created, 1 updated, 2 unchanged" in run()
    story = Story.objects.get(slug=slug(3))
    assert story.summary_html == "<p>Now <em>emphasised</em>.</p>"
    assert story.version == 2
    assert "emphasised" in StorySearchDocument.objects.get(story=story).body


def test_a_source_moves_to_a_story_read_in_an_earlier_batch(fixture_tree: FixtureTree) -> None:
    for number in range(1, 6):
        write(fixture_tree, number)
    run()
    # Story 1 (first batch) takes the URL of story 5 (third batch), which gets a new one.
    write(fixture_tree, 1, url=5)
    write(fixture_tree, 5, url=6)
    assert "stories: 0 created, 2 updated, 3 unchanged" in run()
    assert Source.objects.get(canonical_url="https://example.org/5").story.slug == slug(1)
    assert Source.objects.get(canonical_url="https://example.org/6").story.slug == slug(5)
    (_, moved) = imported_entries(slug(5))
    assert moved.before is not None
    assert moved.after is not None
    assert [s["url"] for s in moved.before["sources"]] == ["https://example.org/5"]
    assert [s["url"] for s in moved.after["sources"]] == ["https://example.org/6"]
    assert Story.objects.get(slug=slug(5)).version == 2
    assert "Nothing changed" in run()


def test_a_source_of_a_story_without_file_moves_only_with_prune(fixture_tree: FixtureTree) -> None:
    for number in range(1, 4):
        write(fixture_tree, number)
    run()
    (fixture_tree.root / "stories" / f"{slug(3)}.md").unlink()
    write(fixture_tree, 1, url=3)
    assert f"is already a source of the story '{slug(3)}'" in refused()
    assert Source.objects.get(canonical_url="https://example.org/3").story.slug == slug(3)
    assert Source.objects.get(canonical_url="https://example.org/1").story.slug == slug(1)

    output = run("--prune")
    assert f"stories deleted (file removed): {slug(3)}" in output
    assert Source.objects.get(canonical_url="https://example.org/3").story.slug == slug(1)
    assert not Story.objects.filter(slug=slug(3)).exists()
    assert StorySearchDocument.objects.count() == 2


def test_a_problem_in_a_late_file_writes_nothing_at_all(fixture_tree: FixtureTree) -> None:
    for number in range(1, 6):
        write(fixture_tree, number)
    fixture_tree.story("2019-zzz-no-date.md", **{"date: 2019-01-15\n": ""})
    assert "2019-zzz-no-date.md:date: is required" in refused()
    assert Story.objects.count() == 0
    assert StorySearchDocument.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_every_conflict_is_reported_not_only_the_first_batch(fixture_tree: FixtureTree) -> None:
    for number in range(1, 6):
        write(fixture_tree, number)
    run()
    Story.objects.filter(slug__in=[slug(1), slug(5)]).update(origin=Story.Origin.WEB)
    write(fixture_tree, 1, summary="Changed in the file.")
    write(fixture_tree, 5, summary="Changed as well.")
    err = refused()
    assert f"slug '{slug(1)}' belongs to a web story" in err
    assert f"slug '{slug(5)}' belongs to a web story" in err


def test_stories_are_read_one_file_at_a_time(fixture_tree: FixtureTree) -> None:
    for number in range(1, 4):
        write(fixture_tree, number)
    catalogue, stories = stream_catalogue(fixture_tree.root, base=fixture_tree.root)
    assert (catalogue.files_found, catalogue.files_read) == (3, 0)
    assert next(stories).slug == slug(1)
    assert catalogue.files_read == 1
    assert [record.slug for record in stories] == [slug(2), slug(3)]


@pytest.mark.parametrize(
    "text",
    [
        "title: plain\n",
        'title: "Half \\ud800"\n',  # libyaml refuses the escape; Python reads it
        "title:\tTabbed\n",  # libyaml reads it; Python refuses the tab
        "title: [unclosed\n",
        "date: 2019-01-15\n",
    ],
)
def test_front_matter_means_the_same_with_either_yaml_loader(text: str) -> None:
    try:
        expected = yaml.load(text, Loader=_FrontMatterLoader)  # noqa: S506 - safe loader
    except yaml.YAMLError as exc:
        with pytest.raises(type(exc)):
            _load_yaml(text)
    else:
        assert _load_yaml(text) == expected


def test_stored_records_equal_the_records_the_rest_of_the_code_reads(
    settings,  # type: ignore[no-untyped-def]
) -> None:
    from apps.catalog.importing import _stored_records
    from apps.catalog.storyfiles.mapping import record_from_story
    from apps.catalog.terms import DatabaseTerms
    from tests.conftest import REPO_FIXTURES

    settings.STORIES_FIXTURES_DIR = REPO_FIXTURES
    run()
    orders = DatabaseTerms().orders()
    stories = list(Story.objects.for_detail())
    assert len(stories) > 50
    stored = _stored_records([story.slug for story in stories], orders)
    for story in stories:
        assert stored[story.slug][1] == record_from_story(story, **orders), story.slug
    assert any(record.symptoms for _, record in stored.values())


def test_a_second_process_parses_the_same_records_and_problems(
    fixture_tree: FixtureTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.catalog.storyfiles import parsing

    for number in range(1, 8):
        write(fixture_tree, number)
    write(fixture_tree, 8, url=2)  # a duplicate source URL
    fixture_tree.story("2019-zzz-no-date.md", **{"date: 2019-01-15\n": ""})

    def read() -> tuple[list[StoryRecord], list[Problem], int]:
        catalogue, stories = stream_catalogue(fixture_tree.root, base=fixture_tree.root)
        records = list(stories)
        return records, sorted(catalogue.problems), catalogue.files_read

    serial = read()
    monkeypatch.setattr(parsing, "PARALLEL_FROM", 1)
    monkeypatch.setattr(parsing, "_CHUNK", 2)
    parallel = read()
    assert parallel == serial
    assert len(serial[0]) == 7
    assert [p.field for p in serial[1]] == ["sources[0].url", "date"]
    assert serial[2] == 9


def test_summaries_not_stored_come_rendered_from_either_process(
    fixture_tree: FixtureTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.catalog.storyfiles import parsing

    for number in range(1, 5):
        write(fixture_tree, number)
    run()
    write(fixture_tree, 2, summary="Now *emphasised*.")
    write(fixture_tree, 5)

    def read() -> dict[str, tuple[str, str] | None]:
        stored = importing.stored_summaries()
        assert len(stored) == 4
        _, stories = stream_catalogue(
            fixture_tree.root, base=fixture_tree.root, render_except=stored
        )
        return {record.slug: record.rendered for record in stories}

    serial = read()
    monkeypatch.setattr(parsing, "PARALLEL_FROM", 1)
    monkeypatch.setattr(parsing, "_CHUNK", 2)
    assert read() == serial
    assert serial == {
        slug(1): None,
        slug(2): rendered_fields("Now *emphasised*."),
        slug(3): None,
        slug(4): None,
        slug(5): rendered_fields("Story **5**, in our words."),
    }
    assert "stories: 1 created, 1 updated, 3 unchanged" in run()
    story = Story.objects.get(slug=slug(2))
    assert story.summary_html == "<p>Now <em>emphasised</em>.</p>"
    assert story.excerpt == "Now emphasised."


def test_source_urls_are_remembered_by_digest_and_a_shared_digest_is_no_duplicate(
    fixture_tree: FixtureTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.catalog.storyfiles import firstseen

    # Every URL gets the same digest: only the earlier file can tell a duplicate apart.
    monkeypatch.setattr(firstseen, "_digest", lambda url: 7)
    for number in range(1, 4):
        write(fixture_tree, number)
    catalogue, stories = stream_catalogue(fixture_tree.root, base=fixture_tree.root)
    assert [record.slug for record in stories] == [slug(1), slug(2), slug(3)]
    assert catalogue.problems == []

    write(fixture_tree, 4, url=1)
    catalogue, stories = stream_catalogue(fixture_tree.root, base=fixture_tree.root)
    assert [record.slug for record in stories] == [slug(1), slug(2), slug(3)]
    (problem,) = catalogue.problems
    assert problem.field == "sources[0].url"
    assert f"is already a source of stories/{slug(1)}.md" in problem.message


def test_first_seen_keeps_the_first_position_of_every_url_as_it_grows() -> None:
    from apps.catalog.storyfiles.firstseen import FirstSeen

    seen = FirstSeen()
    urls = [f"https://example.org/{number}" for number in range(5000)]
    assert [seen.setdefault(url, position) for position, url in enumerate(urls)] == list(
        range(5000)
    )
    assert [seen.setdefault(url, 9999) for url in urls] == list(range(5000))
    assert len(seen) == 5000


def test_story_ids_with_a_file_are_kept_as_bits() -> None:
    ids = importing._StoryIds()
    for pk in (1, 9, 64, 100_003):
        ids.add(pk)
    assert [pk for pk in range(100_010) if pk in ids] == [1, 9, 64, 100_003]
    assert len(ids.bits) < 100_003 // 4
