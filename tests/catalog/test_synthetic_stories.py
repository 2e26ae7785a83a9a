"""The synthetic-catalogue generator behind the benchmarks: real format, valid, varied, stable."""

import collections
import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.catalog.models import Story
from apps.catalog.storyfiles.parsing import SOURCE_KINDS, load_catalogue
from apps.catalog.storyfiles.serialization import story_to_text
from apps.catalog.storyfiles.synthetic import (
    StoryGenerator,
    generate_story_files,
    load_vocabulary,
    story_text,
)
from tests.conftest import REPO_FIXTURES


@pytest.fixture(scope="module")
def generator() -> StoryGenerator:
    return StoryGenerator(load_vocabulary(REPO_FIXTURES), seed=7)


def write_tree(tmp_path: Path, count: int, seed: int = 7) -> Path:
    out = tmp_path / f"tree-{count}-{seed}"
    call_command(
        "generate_stories", count=count, out=out, seed=seed, stdout=StringIO(), stderr=StringIO()
    )
    return out


def test_generated_tree_passes_the_validator_and_reads_back_as_written(tmp_path: Path) -> None:
    out = write_tree(tmp_path, 400)
    catalogue = load_catalogue(out, base=out)
    assert catalogue.problems == []
    assert len(catalogue.stories) == 400
    generator = StoryGenerator(load_vocabulary(REPO_FIXTURES), seed=7)
    by_slug = {story.slug: story for story in catalogue.stories}
    for index in (0, 1, 199, 399):
        record = generator.record(index)
        assert by_slug[record.slug] == record


def test_fast_writer_matches_the_canonical_serializer(generator: StoryGenerator) -> None:
    for index in range(600):
        record = generator.record(index)
        assert story_text(record) == story_to_text(record), record.slug


def test_same_seed_same_bytes_and_smaller_catalogue_is_a_prefix(tmp_path: Path) -> None:
    vocabulary = load_vocabulary(REPO_FIXTURES)
    first = list(generate_story_files(vocabulary, count=60, seed=3, folder=tmp_path / "a"))
    second = list(generate_story_files(vocabulary, count=30, seed=3, folder=tmp_path / "b"))
    other = list(generate_story_files(vocabulary, count=30, seed=4, folder=tmp_path / "c"))
    assert [p.read_bytes() for p in first[:30]] == [p.read_bytes() for p in second]
    assert {p.name for p in other}.isdisjoint(p.name for p in second)


def test_stories_vary_like_a_real_catalogue(generator: StoryGenerator) -> None:
    records = [generator.record(index) for index in range(2000)]
    assert {r.date_precision for r in records} == {"day", "month", "year"}
    assert min(r.date for r in records) >= datetime.date(2014, 1, 1)
    assert max(r.date for r in records) <= datetime.date(2026, 12, 31)
    assert {len(r.sources) for r in records} == {1, 2, 3, 4}
    assert {len(r.upstream) for r in records} == {0, 1, 2, 3}
    assert {len(r.mitigations) for r in records} == {0, 1, 2, 3}
    assert {len(r.symptoms) for r in records} == {0, 1, 2, 3}
    assert any(":53: i/o timeout" in s for r in records for s in r.symptoms)
    assert {s.kind for r in records for s in r.sources} == set(SOURCE_KINDS)
    assert all(s.url.startswith("https://synthetic.example/") for r in records for s in r.sources)
    assert all(u.url.startswith("https://github.com/") for r in records for u in r.upstream)
    # One GitHub number is an issue or a pull request, never both, as the importer expects.
    kinds: dict[str, set[str]] = collections.defaultdict(set)
    for url in {u.url for r in records for u in r.upstream}:
        owner_repo, kind, number = url.removeprefix("https://github.com/").rsplit("/", 2)
        kinds[f"{owner_repo}#{number}"].add(kind)
    assert len(kinds) > 300
    assert all(len(k) == 1 for k in kinds.values())
    assert all("\n\n" in r.summary for r in records), "summaries have several paragraphs"

    organizations = collections.Counter(r.organization for r in records)
    assert len(organizations) > 500
    assert organizations.most_common(1)[0][1] > 100  # Zipf: one organization writes a lot

    def share(word: str) -> float:
        return sum(word in f"{r.title} {r.summary}".casefold() for r in records) / len(records)

    assert 0.2 < share("etcd") < 0.6
    assert 0.2 < share("throttling") < 0.6
    assert share("velero") < 0.02


@pytest.mark.django_db
def test_import_loads_synthetic_and_real_stories_together(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "fixtures"
    call_command(
        "generate_stories",
        count=25,
        out=out,
        with_real_stories=True,
        stdout=StringIO(),
        stderr=StringIO(),
    )
    real = len(list((REPO_FIXTURES / "stories").glob("*.md")))
    settings.STORIES_FIXTURES_DIR = out
    call_command("import_stories", stdout=StringIO(), stderr=StringIO())
    assert Story.objects.public().count() == 25 + real
    again = StringIO()
    call_command("import_stories", stdout=again, stderr=StringIO())
    assert "Nothing changed" in again.getvalue()
    synthetic = Story.objects.filter(sources__url__startswith="https://synthetic.example/")
    assert synthetic.distinct().count() == 25


def test_refuses_to_mix_with_existing_story_files_unless_replacing(tmp_path: Path) -> None:
    out = write_tree(tmp_path, 5)
    with pytest.raises(CommandError, match="already holds 5 story file"):
        call_command("generate_stories", count=5, out=out, stdout=StringIO())
    call_command("generate_stories", count=3, out=out, replace=True, stdout=StringIO())
    assert len(list((out / "stories").glob("*.md"))) == 3


def test_refuses_to_write_into_the_real_fixtures(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="must not be the real fixtures"):
        call_command("generate_stories", count=1, out=settings.STORIES_FIXTURES_DIR)
