"""/data/: the latest dataset, a page describing it, ETags and conditional GET."""

import hashlib
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from apps.catalog.models import Story
from apps.dataset.snapshot import latest_snapshot

pytestmark = pytest.mark.django_db


def test_before_any_export_the_page_says_so_and_files_are_a_clear_404(
    client: Client, dataset_dir: Path
) -> None:
    page = client.get("/data/")
    assert page.status_code == 200
    assert "No dataset has been exported yet" in page.content.decode()
    assert "states no licence" in page.content.decode()
    missing = client.get("/data/catalogue.json")
    assert missing.status_code == 404
    assert "No dataset has been exported yet" in missing.content.decode()


def test_the_page_describes_the_latest_snapshot(
    client: Client, catalogue: dict[str, Story], dataset_dir: Path
) -> None:
    call_command("export_dataset", stdout=io.StringIO())
    snapshot = latest_snapshot(dataset_dir)
    assert snapshot is not None
    text = client.get("/data/").content.decode()
    assert f"Latest snapshot: {snapshot.manifest['snapshot']}" in text
    assert f"{Story.objects.public().count()} stories" in text
    for name, digest in snapshot.checksums.items():
        assert f'href="/data/{name}"' in text
        assert digest in text
    assert "states no licence for the catalogue" in text
    assert catalogue["draft"].title not in text


def test_files_are_served_with_their_checksum_as_etag(
    client: Client, catalogue: dict[str, Story], dataset_dir: Path
) -> None:
    call_command("export_dataset", stdout=io.StringIO())
    snapshot = latest_snapshot(dataset_dir)
    assert snapshot is not None
    response = client.get("/data/catalogue.json")
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'
    again = client.get("/data/catalogue.json", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    stale = client.get("/data/catalogue.json", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200
    archive = client.get(f"/data/{snapshot.archive}")
    assert archive["Content-Type"] == "application/zip"
    assert "attachment" in archive["Content-Disposition"]
    assert client.get("/data/stories.csv")["Content-Type"] == "text/csv; charset=utf-8"
    assert client.head("/data/catalogue.json").status_code == 200
    for name in snapshot.checksums:
        assert client.get(f"/data/{name}").status_code == 200, name


def test_the_page_answers_304_until_the_next_export(
    client: Client, catalogue: dict[str, Story], dataset_dir: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    call_command("export_dataset", stdout=io.StringIO())
    etag = client.get("/data/")["ETag"]
    assert client.get("/data/", headers={"If-None-Match": etag}).status_code == 304
    # A new snapshot (another second) is a new page.
    snapshot = latest_snapshot(dataset_dir)
    assert snapshot is not None
    (dataset_dir / "LATEST").write_text("2000-01-01T000000Z\n")
    (dataset_dir / "2000-01-01T000000Z").symlink_to(snapshot.folder)
    (snapshot.folder / "SHA256SUMS").write_bytes(b"0" * 64 + b"  catalogue.json\n")
    assert client.get("/data/", headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize(
    "name", ["LATEST", "..", "%2e%2e%2fLATEST", "manifest.json.bak", "nope.json", ".LATEST.partial"]
)
def test_only_the_snapshot_files_are_served(
    client: Client, catalogue: dict[str, Story], dataset_dir: Path, name: str
) -> None:
    call_command("export_dataset", stdout=io.StringIO())
    response = client.get(f"/data/{name}")
    assert response.status_code == 404
    assert b"its files are listed at /data/" in response.content or response.status_code == 404


def test_writes_are_refused(client: Client, dataset_dir: Path) -> None:
    assert client.post("/data/").status_code == 405
    assert client.delete("/data/catalogue.json").status_code == 405
