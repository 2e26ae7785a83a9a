"""`fixtures/upstream/ranges.yaml`: read, check and write the version ranges file.

The file lists upstream issues by URL, each with its OSV ranges and the evidence every
range was read from. Reading gives plain records and every problem as `file:field:
problem`; writing gives the canonical text, so export after import reproduces the file
byte for byte.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from apps.affected.ranges import FROM_THE_START, Range
from apps.affected.versions import PRODUCTS, VersionError, parse_version
from apps.catalog.links import InvalidURL, check_http_url, parse_upstream_url
from apps.catalog.storyfiles.records import Problem

RANGES_FILE = Path("upstream") / "ranges.yaml"
MAX_NOTE_LENGTH = 500
_RANGE_KEYS = ("product", "component", "events", "evidence", "note")
_END_EVENTS = ("fixed", "last_affected")

HEADER = """\
# Affected and fixed versions of upstream issues, in the OSV model.
#
# Each range is one product's events: `introduced` (the first affected version; "0"
# for every version before the fix), then `fixed` (the first version without the bug)
# or `last_affected` (the last version known to have it), or neither (no fix known).
# A fix backported to several release lines is one range per line. `component` names
# the Kubernetes component when the fix is component-specific (kubelet, kube-proxy).
# `evidence` is the address the range was read from: the fixing pull request, a
# release note, a changelog or an issue comment. Record only what the evidence says;
# an issue not listed here has unknown affected versions.
"""


@dataclass(frozen=True)
class IssueRanges:
    url: str
    ranges: tuple[Range, ...]


@dataclass
class RangeFile:
    issues: list[IssueRanges]
    problems: list[Problem]


def ranges_path(root: Path) -> Path:
    return root / RANGES_FILE


def read_ranges(path: Path, *, display: str | None = None) -> RangeFile:
    """Parse the ranges file at `path` (a missing file is an empty list)."""
    where = display or str(path)
    if not path.exists():
        return RangeFile([], [])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return RangeFile([], [Problem(where, "file", f"is not valid YAML: {exc}")])
    return parse_ranges(data, where=where)


def parse_ranges(data: Any, *, where: str) -> RangeFile:
    problems: list[Problem] = []
    issues: list[IssueRanges] = []

    def problem(field: str, message: str) -> None:
        problems.append(Problem(where, field, message))

    if data is None:
        return RangeFile([], [])
    if (
        not isinstance(data, dict)
        or set(data) != {"issues"}
        or not isinstance(data["issues"], list)
    ):
        problem("file", "expected a mapping with one key, `issues`, holding a list")
        return RangeFile([], problems)
    seen: set[str] = set()
    for index, item in enumerate(data["issues"]):
        at = f"issues[{index}]"
        if not isinstance(item, dict) or set(item) != {"url", "ranges"}:
            problem(at, "expected a mapping with `url` and `ranges`")
            continue
        try:
            url = parse_upstream_url(item["url"]).url
        except InvalidURL as exc:
            problem(f"{at}.url", f"{item['url']!r} {exc}")
            continue
        if url != item["url"]:
            problem(f"{at}.url", f"write the canonical form {url}")
        if url in seen:
            problem(f"{at}.url", f"{url} is listed twice")
        seen.add(url)
        if not isinstance(item["ranges"], list) or not item["ranges"]:
            problem(
                f"{at}.ranges",
                "expected a non-empty list (leave out an issue whose ranges are unknown)",
            )
            continue
        ranges = [
            _parse_range(raw, f"{at}.ranges[{n}]", problem) for n, raw in enumerate(item["ranges"])
        ]
        issues.append(IssueRanges(url=url, ranges=tuple(r for r in ranges if r is not None)))
    return RangeFile(issues, problems)


def _parse_range(raw: Any, at: str, problem: Any) -> Range | None:
    if not isinstance(raw, dict):
        problem(at, "expected a mapping")
        return None
    unknown = sorted(set(raw) - set(_RANGE_KEYS), key=str)
    if unknown:
        problem(at, f"unknown key(s): {', '.join(map(str, unknown))}")
        return None
    product = raw.get("product")
    if product not in PRODUCTS:
        problem(f"{at}.product", f"{product!r} is not one of: {', '.join(PRODUCTS)}")
        return None
    component = raw.get("component", "")
    note = raw.get("note", "")
    if not isinstance(component, str) or not isinstance(note, str):
        problem(at, "`component` and `note` must be text")
        return None
    if len(note) > MAX_NOTE_LENGTH:
        problem(f"{at}.note", f"is longer than {MAX_NOTE_LENGTH} characters")
    try:
        evidence = check_http_url(raw.get("evidence"))  # type: ignore[arg-type]
    except InvalidURL as exc:
        problem(f"{at}.evidence", f"every range needs the address it was read from: {exc}")
        return None
    events = _parse_events(raw.get("events"), product, f"{at}.events", problem)
    if events is None:
        return None
    return Range(product=product, component=component, evidence=evidence, note=note, **events)


def _parse_events(raw: Any, product: str, at: str, problem: Any) -> dict[str, str] | None:
    shape = "a list of `introduced` then at most one `fixed` or `last_affected`"
    if (
        not isinstance(raw, list)
        or not 1 <= len(raw) <= 2
        or not all(isinstance(e, dict) and len(e) == 1 for e in raw)
        or "introduced" not in raw[0]
        or (len(raw) == 2 and next(iter(raw[1])) not in _END_EVENTS)
    ):
        problem(at, f"expected {shape}")
        return None
    events: dict[str, str] = {}
    for event in raw:
        ((name, value),) = event.items()
        if not isinstance(value, str):
            problem(f"{at}.{name}", f'write the version in quotes, e.g. "{value}"')
            return None
        if not (name == "introduced" and value == FROM_THE_START):
            try:
                parsed = parse_version(product, value)
            except VersionError as exc:
                problem(f"{at}.{name}", str(exc))
                return None
            if parsed.suffix:
                problem(f"{at}.{name}", f"{value!r}: write the upstream version without a suffix")
                return None
        events[name] = value
    start = events["introduced"]
    end = events.get("fixed") or events.get("last_affected")
    if end and start != FROM_THE_START:
        low, high = parse_version(product, start).value, parse_version(product, end).value
        if low > high or (low == high and "fixed" in events):
            problem(at, f"introduced {start} is not before {end}")
            return None
    return events


def ranges_to_text(issues: Iterable[IssueRanges]) -> str:
    """The canonical text of the ranges file: issues in tracker, repository, number order."""
    ordered = sorted(issues, key=lambda issue: _issue_order(issue.url))
    data = {
        "issues": [{"url": i.url, "ranges": [_range_data(r) for r in i.ranges]} for i in ordered]
    }
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + "\n" + body


def _issue_order(url: str) -> tuple[str, str, str, int]:
    ref = parse_upstream_url(url)
    return (ref.tracker, ref.owner.lower(), ref.repo.lower(), ref.number)


def _range_data(item: Range) -> dict[str, Any]:
    data: dict[str, Any] = {"product": item.product}
    if item.component:
        data["component"] = item.component
    events: list[dict[str, str]] = [{"introduced": item.introduced}]
    if item.fixed:
        events.append({"fixed": item.fixed})
    elif item.last_affected:
        events.append({"last_affected": item.last_affected})
    data["events"] = events
    data["evidence"] = item.evidence
    if item.note:
        data["note"] = item.note
    return data


class _Dumper(yaml.SafeDumper):
    """Indented lists, and every version quoted so `1.20` never turns into a number."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _quoted_version(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if value[:1].isdigit() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _quoted_version)
