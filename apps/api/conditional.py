"""Conditional GET (ETag, Last-Modified, 304) and optimistic concurrency (If-Match)."""

import datetime
import hashlib
import json
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, parse_http_date_safe
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.exceptions import PreconditionFailed, PreconditionRequired


def representation_etag(data: Any, *, version: int | None = None) -> str:
    digest = hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()
    ).hexdigest()[:24]
    return f'"v{version}.{digest}"' if version is not None else f'"{digest}"'


def version_from_etag(etag: str) -> int | None:
    tag = etag.strip().removeprefix("W/").strip('"')
    head, _, _ = tag.partition(".")
    if head.startswith("v") and head[1:].isdigit():
        return int(head[1:])
    return None


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def _last_modified(data: Any) -> datetime.datetime | None:
    items = data.get("results") if isinstance(data, dict) and "results" in data else [data]
    stamps = [
        parse_datetime(item["updated_at"])
        for item in items or []
        if isinstance(item, dict) and isinstance(item.get("updated_at"), str)
    ]
    found = [stamp for stamp in stamps if stamp is not None]
    return max(found) if found else None


class ConditionalGetMixin:
    """Adds ETag and Last-Modified to successful GETs and answers 304 when unchanged."""

    def etag_version(self, data: Any) -> int | None:
        return None

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        data = getattr(response, "data", None)
        if data is None:
            return response
        etag = representation_etag(data, version=self.etag_version(data))
        response["ETag"] = etag
        modified = _last_modified(data)
        if modified is not None:
            response["Last-Modified"] = http_date(modified.timestamp())
        if _not_modified(request, etag, modified):
            response.status_code = 304
            response.data = None
        return response


def _not_modified(request: Request, etag: str, modified: datetime.datetime | None) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return "*" in _tags(if_none_match) or etag in _tags(if_none_match)
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return bool(modified and since is not None and int(modified.timestamp()) <= since)


def require_if_match(request: Request, current_etag: str) -> int:
    """The version the client last saw, checked against the current ETag.

    No If-Match: 428. An ETag that is not the current one: 412.
    """
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    tags = _tags(header)
    if current_etag not in tags:
        raise PreconditionFailed()
    version = version_from_etag(current_etag)
    if version is None:
        raise PreconditionFailed()
    return version


def require_version_match(request: Request, current_version: int) -> int:
    """If-Match for a resource whose ETag leads with the version that guards its writes.

    Any ETag of the current version matches: the representation also shows hints drawn
    from other resources (a diff against the live story, duplicate URLs), and those may
    change without making the client's view of this resource stale.
    No If-Match: 428. Another version: 412.
    """
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    if not any(version_from_etag(tag) == current_version for tag in _tags(header)):
        raise PreconditionFailed()
    return current_version
