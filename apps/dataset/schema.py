"""The published JSON Schema of `catalogue.json` (draft 2020-12), served at /data/schema.json."""

from typing import Any

from apps.catalog.models import (
    SourceKind,
    UpstreamKind,
    UpstreamState,
    UpstreamTracker,
    Verification,
)
from apps.dataset.content import FORMAT_VERSION

SCHEMA_ID = "catalogue.schema.json"


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


TEXT = {"type": "string"}
SLUG = {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"}
URL = {"type": "string", "format": "uri", "pattern": "^https?://"}
SLUGS = {"type": "array", "items": SLUG}
TEXTS = {"type": "array", "items": TEXT}

CATALOGUE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "Kubernetes Failure Stories: the public catalogue",
    **_object(
        {
            "format_version": {"const": FORMAT_VERSION},
            "areas": {
                "type": "array",
                "items": _object(
                    {
                        "slug": SLUG,
                        "name": TEXT,
                        "description": TEXT,
                        "components": {
                            "type": "array",
                            "items": _object(
                                {"slug": SLUG, "name": TEXT, "description": TEXT, "aliases": TEXTS}
                            ),
                        },
                    },
                    "A component area and its components, in the taxonomy's order.",
                ),
            },
            "platforms": {
                "type": "array",
                "items": _object({"slug": SLUG, "name": TEXT, "aliases": TEXTS}),
            },
            "impacts": {
                "type": "array",
                "items": _object(
                    {"slug": SLUG, "name": TEXT, "description": TEXT, "aliases": TEXTS}
                ),
            },
            "mitigations": {
                "type": "array",
                "items": _object(
                    {
                        "slug": SLUG,
                        "title": TEXT,
                        "components": SLUGS,
                        "links": {
                            "type": "array",
                            "items": _object({"url": URL, "title": TEXT}),
                        },
                        "body": {**TEXT, "description": "Markdown (CommonMark)."},
                    }
                ),
            },
            "upstream_issues": {
                "type": "array",
                "items": _object(
                    {
                        "url": URL,
                        "tracker": {"enum": list(UpstreamTracker.values)},
                        "owner": TEXT,
                        "repo": TEXT,
                        "number": {"type": "integer", "minimum": 1},
                        "kind": {"enum": list(UpstreamKind.values)},
                        "state": {"enum": list(UpstreamState.values)},
                        "title": TEXT,
                    },
                    "Issues and pull requests linked to at least one published story.",
                ),
            },
            "stories": {
                "type": "array",
                "items": _object(
                    {
                        "slug": SLUG,
                        "url": {**URL, "description": "The story's page on the site."},
                        "verified": {"enum": list(Verification.values)},
                        "title": TEXT,
                        "organization": TEXT,
                        "date": {
                            "type": "string",
                            "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
                            "description": "When the source was published: YYYY, YYYY-MM or "
                            "YYYY-MM-DD, as precise as known.",
                        },
                        "sources": {
                            "type": "array",
                            "minItems": 1,
                            "items": _object(
                                {
                                    "url": URL,
                                    "kind": {"enum": list(SourceKind.values)},
                                    "title": TEXT,
                                }
                            ),
                        },
                        "components": {**SLUGS, "minItems": 1},
                        "symptoms": {
                            **TEXTS,
                            "description": "What you would have seen, verbatim from the source.",
                        },
                        "platforms": SLUGS,
                        "impact": SLUGS,
                        "upstream": {
                            "type": "array",
                            "items": _object({"url": URL, "note": TEXT}),
                        },
                        "mitigations": {
                            "type": "array",
                            "items": _object({"slug": SLUG, "note": TEXT}),
                        },
                        "summary": {**TEXT, "description": "Markdown (CommonMark), our own words."},
                    },
                    "A published story, with the keys of its story file.",
                ),
            },
        }
    ),
}
