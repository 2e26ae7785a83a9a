"""Query strings of list pages (filters, sort, status tabs), shared by every face."""

from django.http import QueryDict


def with_params(params: QueryDict, **changes: str | list[str] | None) -> str:
    """The query string with parameters set (a list sets several values; None removes
    the parameter), always back on the first page."""
    updated = params.copy()
    updated.pop("page", None)
    for name, value in changes.items():
        if value is None:
            updated.pop(name, None)
        elif isinstance(value, list):
            updated.setlist(name, value)
        else:
            updated[name] = value
    return f"?{updated.urlencode()}"
