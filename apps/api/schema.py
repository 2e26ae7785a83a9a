"""Every operation documents the error responses it can give, all in the one error shape."""

from typing import Any

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
    "429": "Too many requests; `retry_after` and the Retry-After header say when to retry.",
}
READ = ("400", "401", "403", "404", "405", "429")
WRITE = ("400", "401", "403", "404", "405", "409", "412", "428", "429")


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: Any
) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            codes = READ if method in ("get", "head") else WRITE
            responses = operation.setdefault("responses", {})
            if method == "get":
                responses.setdefault("304", {"description": DESCRIPTIONS["304"]})
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
