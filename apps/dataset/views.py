"""/data/: the latest snapshot of the public catalogue, a page describing it, and its files.

Every response carries an ETag (the page's is that of the snapshot, the files' their
SHA-256), so a client that sends it back as If-None-Match gets a 304 until a new export.
"""

import hashlib

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotFound
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from apps.dataset.content import FORMAT_VERSION
from apps.dataset.snapshot import LICENCE_NOTES, SUMS, latest_snapshot

NO_DATASET = (
    "No dataset has been exported yet. The site's administrators create one with "
    "`manage.py export_dataset`."
)
CONTENT_TYPES = {
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".zip": "application/zip",
}


@require_safe
def data_page(request: HttpRequest) -> HttpResponse:
    snapshot = latest_snapshot(settings.DATASET_DIR)
    # The page shows the snapshot, and the header who is signed in.
    etag = '"{}"'.format(
        hashlib.sha256(
            f"{snapshot.etag if snapshot else 'none'}:{FORMAT_VERSION}:{request.user.pk}".encode()
        ).hexdigest()[:32]
    )
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    files = []
    if snapshot is not None:
        sizes = {f["name"]: f["bytes"] for f in snapshot.manifest.get("files", [])}
        for name, digest in snapshot.checksums.items():
            path = snapshot.path(name)
            size = sizes.get(name) or (path.stat().st_size if path and path.exists() else None)
            files.append({"name": name, "sha256": digest, "bytes": size})
    response = render(
        request,
        "dataset/data.html",
        {
            "snapshot": snapshot,
            "files": files,
            "counts": [
                (name.replace("_", " "), number)
                for name, number in (
                    snapshot.manifest.get("counts", {}) if snapshot else {}
                ).items()
            ],
            "no_dataset": NO_DATASET,
            "licence_notes": LICENCE_NOTES,
            "sums": SUMS,
        },
    )
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def data_file(request: HttpRequest, name: str) -> HttpResponseBase:
    snapshot = latest_snapshot(settings.DATASET_DIR)
    if snapshot is None:
        return HttpResponseNotFound(NO_DATASET, content_type="text/plain; charset=utf-8")
    path = snapshot.path(name)
    if path is None or not path.is_file():
        return HttpResponseNotFound(
            f"The latest dataset ({snapshot.manifest.get('snapshot')}) has no file {name!r}; "
            "its files are listed at /data/.",
            content_type="text/plain; charset=utf-8",
        )
    etag = f'"{snapshot.checksums[name]}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    response = FileResponse(
        path.open("rb"),
        content_type=CONTENT_TYPES.get(path.suffix, "text/plain; charset=utf-8"),
        as_attachment=path.suffix == ".zip",
        filename=name,
    )
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response
