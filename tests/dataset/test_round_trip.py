"""A snapshot re-imported into an empty database gives the same public catalogue (run on
SQLite and, with DATABASE_URL, PostgreSQL)."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.catalog.models import (
    Component,
    ComponentArea,
    ImpactKind,
    Mitigation,
    Organization,
    Platform,
    Story,
    UpstreamIssue,
)
from apps.dataset.content import public_catalogue
from apps.dataset.snapshot import latest_snapshot

pytestmark = pytest.mark.django_db

CATALOGUE_MODELS = (Story, Organization, UpstreamIssue, Mitigation, Component, ComponentArea)


def empty_the_catalogue() -> None:
    for model in (*CATALOGUE_MODELS, Platform, ImpactKind):
        model.objects.all().delete()
    assert not any(model.objects.exists() for model in (*CATALOGUE_MODELS, Platform, ImpactKind))


def test_an_export_imported_into_an_empty_database_is_the_same_catalogue(
    catalogue: dict[str, Story], dataset_dir: Path
) -> None:
    UpstreamIssue.objects.filter(pk=UpstreamIssue.objects.order_by("url").first().pk).update(  # type: ignore[union-attr]
        state="merged", title="Fix the thing"
    )
    call_command("export_dataset", stdout=io.StringIO())
    snapshot = latest_snapshot(dataset_dir)
    assert snapshot is not None
    before = json.loads((snapshot.folder / "catalogue.json").read_bytes())
    assert any(issue["state"] == "merged" for issue in before["upstream_issues"])

    empty_the_catalogue()
    call_command("import_dataset", str(snapshot.folder / "catalogue.json"), stdout=io.StringIO())

    assert public_catalogue() == before
    assert Story.objects.count() == Story.objects.public().count() == len(before["stories"])
    # The mirror is searchable and browsable like the original.
    assert Story.objects.public().get(slug=before["stories"][0]["slug"]).summary_html


def test_a_broken_document_imports_nothing_and_says_where(
    catalogue: dict[str, Story], dataset_dir: Path, tmp_path: Path
) -> None:
    call_command("export_dataset", stdout=io.StringIO())
    snapshot = latest_snapshot(dataset_dir)
    assert snapshot is not None
    document = json.loads((snapshot.folder / "catalogue.json").read_bytes())
    document["stories"][3]["components"] = ["no-such-component"]
    document["stories"][5]["date"] = "someday"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    empty_the_catalogue()
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing imported: 2 problem"):
        call_command("import_dataset", str(broken), stdout=io.StringIO(), stderr=err)
    assert "stories[3].components: unknown component 'no-such-component'" in err.getvalue()
    assert "stories[5].date:" in err.getvalue()
    assert not Story.objects.exists() and not Component.objects.exists()

    broken.write_text('{"format_version": "0.1"}')
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_dataset", str(broken), stdout=io.StringIO(), stderr=io.StringIO())
    broken.write_text("not json")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("import_dataset", str(broken), stdout=io.StringIO())
