"""Post-processing of the generated OpenAPI document.

- every operation documents the error responses it can give, all in the one error shape;
- reads are open to anonymous clients (security `{}`), writes are not, and neither are
  reads marked with the `x-authentication-required` extension (e.g. submissions);
- slug filters list the values their filter accepts, so a client (or a fuzzer) knows what
  is valid, read from the public querysets: nothing unpublished is named;
- string parameters may not contain NUL, which the API rejects;
- request bodies that refuse unknown keys are closed (additionalProperties: false).
"""

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema_field

from apps.api.serializers import StrictFieldsMixin
from apps.catalog.filters import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    ComponentFilterSet,
    MitigationFilterSet,
    SlugFilter,
    StoryFilterSet,
    YearFilter,
)

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "detail": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "retry_after": {"type": "integer"},
    },
    "required": ["error", "detail", "fields"],
}
DESCRIPTIONS = {
    "304": "Not modified: the ETag or Last-Modified you sent is still current.",
    "400": "Invalid parameters or body; `fields` names each problem.",
    "401": "Authentication is required (session or `Authorization: Token …`).",
    "403": "Authenticated, but this role may not do that.",
    "404": "No such resource (or not published).",
    "405": "Method not allowed on this resource.",
    "409": "Conflicts with the current state of the resource.",
    "412": "If-Match does not match the current ETag: someone changed it meanwhile.",
    "428": "If-Match is required for this change.",
    "414": "The request line (URL and query) is longer than the server accepts (4 KiB).",
    "429": "Too many requests; `retry_after` and the Retry-After header say when to retry.",
}
READ = ("400", "401", "403", "404", "405", "429")
WRITE = ("400", "401", "403", "404", "405", "409", "412", "428", "429")


NO_NUL = "^[^\\u0000]*$"
# Set on an operation with extend_schema(extensions=...): its reads need an account.
AUTHENTICATED_READ = "x-authentication-required"
FILTERSETS = (StoryFilterSet, ComponentFilterSet, MitigationFilterSet)


def _describe_filters() -> None:
    """How the catalogue's filters appear in the schema (the catalogue knows no schema)."""
    year = {"type": "integer", "minimum": EARLIEST_YEAR, "maximum": LATEST_YEAR}
    extend_schema_field(year)(YearFilter)
    for filterset in FILTERSETS:
        for item in filterset.base_filters.values():
            if isinstance(item, SlugFilter):
                # Declared: drf-spectacular would look for field_name plus to_field_name
                # (slug__slug).
                extend_schema_field({"type": "string", "description": str(item.label)})(item)


_describe_filters()


def _slug_values() -> dict[str, list[str]]:
    """The values each slug filter accepts, read from the filter's own queryset: only what
    is public (an organization whose stories are all drafts is not named)."""
    values: dict[str, set[str]] = {}
    for filterset in FILTERSETS:
        for name, item in filterset.base_filters.items():
            if not isinstance(item, django_filters.ModelMultipleChoiceFilter):
                continue
            field = item.extra.get("to_field_name") or "pk"
            accepted = set(map(str, item.extra["queryset"].values_list(field, flat=True)))
            # One parameter name, several lists: offer only what every one of them accepts.
            values[name] = values[name] & accepted if name in values else accepted
    return {name: sorted(found) for name, found in values.items()}


def _constrain_parameters(result: dict[str, Any]) -> None:
    values = _slug_values()
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                target = schema.get("items", schema) if schema.get("type") == "array" else schema
                name = parameter.get("name")
                if parameter.get("in") == "query" and name in values and values[name]:
                    target.pop("pattern", None)
                    target["enum"] = values[name]
                elif target.get("type") == "string" and "enum" not in target:
                    target.setdefault("pattern", NO_NUL)


def _open_reads(result: dict[str, Any]) -> None:
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if operation.pop(AUTHENTICATED_READ, False):
                continue
            security = operation.get("security")
            if method in ("get", "head") and security is not None and {} not in security:
                security.append({})


def _strict_serializers(cls: type[Any] = StrictFieldsMixin) -> set[str]:
    found: set[str] = set()
    subclass: type[Any]
    for subclass in cls.__subclasses__():
        found.add(subclass.__name__.removesuffix("Serializer"))
        found |= _strict_serializers(subclass)
    return found


def _close_strict_bodies(result: dict[str, Any]) -> None:
    """Request bodies that refuse unknown keys say so."""
    strict = _strict_serializers()
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and name.removeprefix("Patched")[: -len("Request")] in strict:
            schema["additionalProperties"] = False


def postprocess(
    result: dict[str, Any], generator: Any, request: Any, public: Any
) -> dict[str, Any]:
    _constrain_parameters(result)
    _open_reads(result)
    _close_strict_bodies(result)
    _summarise(result)
    return add_error_responses(result)


ACTIONS = {"list": "List the published {}", "retrieve": "One published {}"}


def _summarise(result: dict[str, Any]) -> None:
    """Give every operation a readable summary: documentation tools (Redoc, Swagger UI)
    head each operation with it and fall back to the bare operationId
    (`v1_components_list`) without one. Views set their own where there is more to say."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or operation.get("summary"):
                continue
            words = operation.get("operationId", "").split("_")
            action, resource = words[-1], " ".join(words[1:-1])
            if action in ACTIONS and resource:
                if action == "retrieve":
                    resource = resource.removesuffix("s")
                operation["summary"] = ACTIONS[action].format(resource)


def add_error_responses(result: dict[str, Any]) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            codes = READ if method in ("get", "head") else WRITE
            responses = operation.setdefault("responses", {})
            if method == "get":
                responses.setdefault("304", {"description": DESCRIPTIONS["304"]})
            # Answered by the HTTP server in front of Django, in its own format.
            responses.setdefault("414", {"description": DESCRIPTIONS["414"]})
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
