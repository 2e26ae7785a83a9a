"""Characters no story may hold, whichever way it arrives (file, web form, API).

NUL cannot be stored in PostgreSQL; control characters other than tab and line breaks
cannot be written in XML (the feeds); a lone UTF-16 surrogate (a YAML or JSON escape
like "\\ud800") is not text at all and cannot be encoded as UTF-8.
"""

import re
from typing import Any

_NUL_RE = re.compile("\x00")
_CONTROL_RE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
CHECKS = (
    (_NUL_RE, "NUL characters are not allowed"),
    (_CONTROL_RE, "control characters are not allowed (tabs and line breaks are)"),
    (_SURROGATE_RE, "a lone UTF-16 surrogate (an escape like \\ud800) is not text"),
)


def text_problems(value: Any, where: str = "") -> list[tuple[str, str]]:
    """(JSON path, message) for every string, or mapping key, that holds such a character."""
    if isinstance(value, str):
        where = where or "payload"
        return [(where, message) for pattern, message in CHECKS if pattern.search(value)]
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            found += text_problems(str(key), path) or text_problems(item, path)
        return found
    if isinstance(value, list):
        return [
            problem
            for index, item in enumerate(value)
            for problem in text_problems(item, f"{where}[{index}]")
        ]
    return []
