"""The API's JSON parser: refuses bodies no story could hold before any view sees them."""

import json
import re
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

# A story body is four levels deep (story → sources → source → url); 32 leaves room for
# any reasonable client while a hostile one fails in microseconds instead of exhausting
# the interpreter's recursion limit (json raises RecursionError near 1,000 levels).
MAX_DEPTH = 32
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


class StrictJSONParser(JSONParser):
    """JSON nested at most MAX_DEPTH levels, with no lone UTF-16 surrogate in any string.

    "\\ud800" is valid JSON but no text: it cannot be stored in PostgreSQL or written back
    out as UTF-8. Both problems are a 400; a surrogate's field is named by its JSON path.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"The body is not valid {encoding}: {exc.reason}.") from None
        _check_depth(text)
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except RecursionError:  # unmatched brackets that _check_depth left to the decoder
            raise ParseError(f"JSON nested more than {MAX_DEPTH} levels deep.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        # Decoded, an escaped pair is one character; only an escape can leave half a pair.
        surrogates = _surrogate_paths(data) if _SURROGATE_ESCAPE_RE.search(text) else []
        if surrogates:
            message = "Contains a lone UTF-16 surrogate (e.g. \\ud800), which is not text."
            raise ValidationError({path: [message] for path in surrogates})
        return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
_SURROGATE_ESCAPE_RE = re.compile(r"\\u[dD][89a-fA-F]")
_EMPTY_PAIR_RE = re.compile(r"\[\]|\{\}")


def _check_depth(text: str) -> None:
    """Refuse deep nesting before the recursive decoder sees it, at C speed: strip the
    strings, keep the brackets, and peel off one level of empty pairs per pass."""
    skeleton = _NOT_BRACKET_RE.sub("", _STRING_RE.sub("", text))
    for _ in range(MAX_DEPTH):
        peeled = _EMPTY_PAIR_RE.sub("", skeleton)
        if peeled == skeleton:
            return  # all peeled, or brackets that do not match: the decoder says so
        skeleton = peeled
    if _EMPTY_PAIR_RE.search(skeleton):
        raise ParseError(f"JSON nested more than {MAX_DEPTH} levels deep.")


def _surrogate_paths(data: Any, limit: int = 20) -> list[str]:
    """JSON paths (`sources[0].title`, `summary`) of strings and keys with a lone
    surrogate; the first `limit` found are enough to say what is wrong."""
    found: list[str] = []
    pending: list[tuple[str, Any]] = [("", data)]
    while pending and len(found) < limit:
        where, value = pending.pop()
        if isinstance(value, str):
            if _SURROGATE_RE.search(value):
                found.append(where or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                path = f"{where}.{key}" if where else str(key)
                if _SURROGATE_RE.search(key):
                    found.append(_SURROGATE_RE.sub("\ufffd", path))
                else:
                    pending.append((path, item))
        elif isinstance(value, list):
            pending.extend((f"{where}[{index}]", item) for index, item in enumerate(value))
    return sorted(found)
