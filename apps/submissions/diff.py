"""Field-by-field differences between two stories in their JSON form."""

import difflib
from dataclasses import dataclass, field
from typing import Any

LABELS = {
    "title": "Title",
    "organization": "Organization",
    "date": "Date",
    "sources": "Sources",
    "components": "Components",
    "symptoms": "What you would have seen",
    "platforms": "Platforms",
    "impact": "Impact",
    "upstream": "Upstream issues",
    "mitigations": "Mitigations",
    "summary": "Summary",
}


@dataclass(frozen=True)
class Line:
    op: str  # " " same, "-" removed, "+" added
    text: str


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    changed: bool
    lines: list[Line] = field(default_factory=list)


def _lines(name: str, value: Any) -> list[str]:
    """One line per list entry (or per text line), so diffs stay readable."""
    if value is None:
        return []
    if name == "summary":
        return str(value).splitlines()
    if name == "sources":
        return [
            " · ".join(
                part for part in (s.get("url", ""), s.get("kind", ""), s.get("title", "")) if part
            )
            for s in value
        ]
    if name == "upstream":
        return [" — ".join(p for p in (u.get("url", ""), u.get("note", "")) if p) for u in value]
    if name == "mitigations":
        return [" — ".join(p for p in (m.get("slug", ""), m.get("note", "")) if p) for m in value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def story_diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldChange]:
    """Every field of `after`, marked changed or not, with a line diff against `before`.

    With no `before` (a new story), every line is an addition.
    """
    changes = []
    for name, label in LABELS.items():
        old = _lines(name, (before or {}).get(name))
        new = _lines(name, after.get(name))
        lines = []
        for op in difflib.ndiff(old, new):
            if op.startswith("? "):
                continue
            lines.append(Line(op[0], op[2:]))
        changes.append(FieldChange(name, label, old != new, lines))
    return changes
