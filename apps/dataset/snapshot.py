"""Dated snapshots of the public catalogue on disk, and the latest one for the site to serve.

A snapshot is a folder named by its UTC time (`2026-12-01T143012Z`) under DATASET_DIR with
the JSON document, its JSON Schema, one CSV file per table, a README with the licence
notes, a manifest, one zip of them all and SHA256SUMS. It is written under a temporary
name and renamed, and `LATEST` names it only then, so a reader never sees half of one.
"""

import csv
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from apps.dataset.content import FORMAT_VERSION, csv_tables, public_catalogue
from apps.dataset.schema import CATALOGUE_SCHEMA, SCHEMA_ID

NAME = "k8s-failure-stories"
LATEST = "LATEST"
SUMS = "SHA256SUMS"
MANIFEST = "manifest.json"
_STAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z$")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# What the repository says, and does not say, about reuse. Nothing here is invented: the
# repository states no licence for the catalogue's content.
LICENCE_NOTES = (
    "The repository states no licence for the catalogue's content (story summaries, "
    "mitigations, taxonomy). Its package metadata (pyproject.toml) names Apache-2.0 for the "
    "software, and says nothing of the content. Sources are linked, not included: they "
    "belong to their authors. Summaries are written in the project's own words from public "
    "sources. Until a content licence is stated, ask the project before republishing."
)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    """The value, with an apostrophe before text a spreadsheet would take for a formula."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8")


def counts(catalogue: dict[str, Any]) -> dict[str, int]:
    return {
        "stories": len(catalogue["stories"]),
        "sources": sum(len(s["sources"]) for s in catalogue["stories"]),
        "components": sum(len(a["components"]) for a in catalogue["areas"]),
        "mitigations": len(catalogue["mitigations"]),
        "upstream_issues": len(catalogue["upstream_issues"]),
    }


def write_snapshot(root: Path, *, now: datetime.datetime | None = None) -> "Snapshot":
    """Export the public catalogue into a new snapshot under `root` and make it the latest."""
    now = (
        (now or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC).replace(microsecond=0)
    )
    stamp = f"{now:%Y-%m-%dT%H%M%SZ}"
    catalogue = public_catalogue()
    files: dict[str, bytes] = {
        "catalogue.json": _json(catalogue),
        SCHEMA_ID: _json(CATALOGUE_SCHEMA),
    }
    for table, (header, rows) in csv_tables(catalogue).items():
        files[f"{table}.csv"] = _csv(header, rows)
    manifest = {
        "name": NAME,
        "format_version": FORMAT_VERSION,
        "snapshot": stamp,
        "generated_at": now.isoformat().replace("+00:00", "Z"),
        "counts": counts(catalogue),
        "licence": LICENCE_NOTES,
        "files": [
            {"name": name, "bytes": len(data), "sha256": _sha256(data)}
            for name, data in files.items()
        ],
    }
    files["README.md"] = render_to_string(
        "dataset/README.md", {"manifest": manifest, "tables": list(csv_tables(catalogue))}
    ).encode("utf-8")
    files[MANIFEST] = _json(manifest)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in files.items():
            info = zipfile.ZipInfo(f"{NAME}-{stamp}/{name}", now.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(info, data)
    files[f"{NAME}-{stamp}.zip"] = archive.getvalue()
    files[SUMS] = "".join(f"{_sha256(data)}  {name}\n" for name, data in files.items()).encode()

    root.mkdir(parents=True, exist_ok=True)
    partial = root / f".partial-{stamp}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    for name, data in files.items():
        (partial / name).write_bytes(data)
    final = root / stamp
    if final.exists():
        shutil.rmtree(partial)
        raise FileExistsError(f"a snapshot named {stamp} exists already in {root}")
    partial.rename(final)
    pointer = root / f".{LATEST}.partial"
    pointer.write_text(stamp + "\n", encoding="utf-8")
    os.replace(pointer, root / LATEST)
    snapshot = latest_snapshot(root)
    if snapshot is None:  # pragma: no cover - written just above
        raise RuntimeError(f"the snapshot just written in {final} cannot be read back")
    return snapshot


@dataclass(frozen=True)
class Snapshot:
    """The latest snapshot as the site serves it: its files, checksums and manifest."""

    folder: Path
    manifest: dict[str, Any]
    checksums: dict[str, str]  # file name -> SHA-256
    etag: str  # of the whole snapshot: the checksum of SHA256SUMS

    @property
    def archive(self) -> str:
        return f"{NAME}-{self.manifest['snapshot']}.zip"

    def path(self, name: str) -> Path | None:
        """The file of this snapshot with that name; None for any other name."""
        if not _FILE.match(name) or name not in self.checksums:
            return None
        return self.folder / name


def latest_snapshot(root: Path) -> Snapshot | None:
    """The snapshot LATEST names, or None when none has been exported (or it is unreadable)."""
    try:
        stamp = (root / LATEST).read_text(encoding="utf-8").strip()
        if not _STAMP.match(stamp):
            return None
        folder = root / stamp
        sums = (folder / SUMS).read_bytes()
        manifest = json.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    checksums = {}
    for line in sums.decode("utf-8", "replace").splitlines():
        digest, _, name = line.partition("  ")
        if digest and name:
            checksums[name] = digest
    checksums[SUMS] = _sha256(sums)
    return Snapshot(folder=folder, manifest=manifest, checksums=checksums, etag=_sha256(sums))
