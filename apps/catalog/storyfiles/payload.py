"""The JSON form of a story (API bodies, web submissions): front-matter keys plus summary."""

import datetime
from typing import Any

from apps.catalog.storyfiles.parsing import Checker, TermOrders, story_from_meta
from apps.catalog.storyfiles.plaintext import text_problems
from apps.catalog.storyfiles.records import Problem, StoryRecord
from apps.core.limits import (
    MAX_COMPONENTS,
    MAX_IMPACTS,
    MAX_MITIGATIONS,
    MAX_PLATFORMS,
    MAX_SOURCES,
    MAX_SYMPTOMS,
    MAX_UPSTREAM,
)

# Checked before any entry is, so a long list costs one message, not one per entry.
LIST_LIMITS = {
    "sources": MAX_SOURCES,
    "upstream": MAX_UPSTREAM,
    "mitigations": MAX_MITIGATIONS,
    "symptoms": MAX_SYMPTOMS,
    "components": MAX_COMPONENTS,
    "platforms": MAX_PLATFORMS,
    "impact": MAX_IMPACTS,
}

# Keys a submitter may send; `verified` is the moderator's call, made on approval.
PAYLOAD_FIELDS = (
    "title", "organization", "date", "sources", "components", "symptoms", "platforms", "impact",
    "upstream", "mitigations", "summary",
)  # fmt: skip


def date_text(record: StoryRecord) -> str:
    if record.date_precision == "year":
        return f"{record.date:%Y}"
    if record.date_precision == "month":
        return f"{record.date:%Y-%m}"
    return record.date.isoformat()


def record_to_payload(record: StoryRecord) -> dict[str, Any]:
    """A record as JSON-ready data with the story-file keys."""
    return {
        "title": record.title,
        "organization": record.organization,
        "date": date_text(record),
        "sources": [{"url": s.url, "kind": s.kind, "title": s.title} for s in record.sources],
        "components": list(record.components),
        "symptoms": list(record.symptoms),
        "platforms": list(record.platforms),
        "impact": list(record.impacts),
        "upstream": [{"url": u.url, "note": u.note} for u in record.upstream],
        "mitigations": [{"slug": m.slug, "note": m.note} for m in record.mitigations],
        "summary": record.summary,
    }


def record_from_payload(
    payload: Any,
    *,
    slug: str,
    verified: str,
    taxonomy: TermOrders,
    mitigation_slugs: set[str],
    today: datetime.date | None = None,
) -> tuple[StoryRecord | None, list[Problem]]:
    """Check a JSON story with the story-file rules; problems name the JSON key."""
    check = Checker("payload")
    if not isinstance(payload, dict):
        check.problem("payload", "expected a JSON object with the story-file keys")
        return None, check.problems
    for key in sorted(set(map(str, payload)) - set(PAYLOAD_FIELDS)):
        check.problem(key, f"unknown field (allowed: {', '.join(PAYLOAD_FIELDS)})")
    for where, message in text_problems(payload):
        check.problem(where, message)
    for key, limit in LIST_LIMITS.items():
        value = payload.get(key)
        if isinstance(value, list) and len(value) > limit:
            check.problem(key, f"at most {limit} entries are allowed")
    if check.problems:
        return None, check.problems
    summary = payload.get("summary")
    if summary is not None and not isinstance(summary, str):
        check.problem("summary", "expected text")
        summary = ""
    meta = {key: value for key, value in payload.items() if key != "summary"}
    meta["verified"] = verified
    record = story_from_meta(
        meta,
        summary or "",
        slug=slug,
        check=check,
        taxonomy=taxonomy,
        mitigation_slugs=mitigation_slugs,
        today=today,
    )
    if check.problems:
        return None, check.problems
    return record, []
