"""Facts about upstream issues shipped with the catalogue: fixtures/upstream/issues.yaml.

The GitHub sync needs the network and is off by default, so a fresh install would show
every upstream issue as "not checked yet". The facts file holds what was last read from
each thread (title, state, dates, labels, milestone) with the day it was read, keyed by
the issue's URL; the import loads it and `sync_upstream --write-fixtures` rewrites it.
A fact nobody could verify is left out, and the site shows it as unknown.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from apps.catalog.links import InvalidURL, parse_upstream_url
from apps.catalog.models import UpstreamState
from apps.catalog.storyfiles.records import Problem

FACTS_PATH = Path("upstream") / "issues.yaml"
STATES = tuple(UpstreamState.values)
FIELDS = {"title", "state", "opened", "closed", "merged", "labels", "milestone", "as_of"}
HEADER = """\
# What each upstream issue or pull request said when it was last read, keyed by URL:
# from the GitHub API, or by hand from a copy of the thread. `as_of` is the day it was
# read; a field left out was not known then (unknown, not empty). Dates are UTC.
# The import loads these facts unless the database already holds newer ones;
# `manage.py sync_upstream --write-fixtures` rewrites this file from GitHub.
"""


@dataclass(frozen=True)
class UpstreamFacts:
    url: str
    as_of: datetime.date
    state: str = UpstreamState.UNKNOWN
    title: str = ""
    opened: datetime.datetime | None = None
    closed: datetime.datetime | None = None
    merged: datetime.datetime | None = None
    labels: tuple[str, ...] = ()
    milestone: str = ""


def _moment(value: Any) -> datetime.datetime:
    """A date or an ISO 8601 time as an aware UTC datetime (a bare date is midnight UTC)."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time())
    elif isinstance(value, str):
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError("expected a date (YYYY-MM-DD) or an ISO 8601 time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def _entry(url: str, data: Any, report: Any) -> UpstreamFacts | None:
    if not isinstance(data, dict):
        report(url, "expected a mapping of facts")
        return None
    for unknown in sorted(set(data) - FIELDS):
        report(f"{url}.{unknown}", "unknown field")
    try:
        as_of = _moment(data.get("as_of")).date()
    except ValueError as exc:
        report(f"{url}.as_of", f"is required: the day the facts were read ({exc})")
        return None
    state = data.get("state", UpstreamState.UNKNOWN)
    if state not in STATES:
        report(f"{url}.state", f"{state!r} is not one of {', '.join(STATES)}")
        state = UpstreamState.UNKNOWN
    moments: dict[str, datetime.datetime | None] = {}
    for name in ("opened", "closed", "merged"):
        try:
            moments[name] = None if data.get(name) is None else _moment(data[name])
        except ValueError as exc:
            report(f"{url}.{name}", str(exc))
            moments[name] = None
    if moments["merged"] and state != UpstreamState.MERGED:
        report(f"{url}.merged", f"a merge date with state {state!r}")
    labels = data.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        report(f"{url}.labels", "expected a list of label names")
        labels = []
    title, milestone = data.get("title") or "", data.get("milestone") or ""
    if not isinstance(title, str) or not isinstance(milestone, str):
        report(url, "title and milestone must be text")
        return None
    return UpstreamFacts(
        url=url,
        as_of=as_of,
        state=state,
        title=" ".join(title.split())[:500],
        labels=tuple(labels),
        milestone=milestone[:200],
        **moments,
    )


def load_upstream_facts(
    root: Path, display_root: Path | None = None
) -> tuple[dict[str, UpstreamFacts], list[Problem]]:
    """The facts file under `root` (the fixtures folder) by issue URL, and its problems.

    A missing file is no problem: the catalogue then simply ships no facts.
    """
    path = root / FACTS_PATH
    display = str(path.relative_to(display_root)) if display_root else str(path)
    problems: list[Problem] = []

    def report(where: str, message: str) -> None:
        problems.append(Problem(display, where, message))

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        report("file", f"unreadable: {exc}")
        return {}, problems
    if not isinstance(data, dict) or not isinstance(data.get("issues"), dict):
        report("issues", "expected a top-level mapping named 'issues', keyed by URL")
        return {}, problems
    facts: dict[str, UpstreamFacts] = {}
    for url, entry in data["issues"].items():
        try:
            canonical = parse_upstream_url(str(url)).url
        except InvalidURL as exc:
            report(str(url), f"not an upstream issue URL: {exc}")
            continue
        if canonical != url:
            report(str(url), f"write the URL as {canonical}")
        if canonical in facts:
            report(str(url), "listed twice")
        if (record := _entry(canonical, entry, report)) is not None:
            facts[canonical] = record
    return facts, problems


def _when(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment.astimezone(datetime.UTC)
    if moment.time() == datetime.time():
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def dump_upstream_facts(facts: dict[str, UpstreamFacts]) -> str:
    """The facts file's text: entries sorted by URL, unknown fields left out."""
    issues: dict[str, dict[str, Any]] = {}
    for url in sorted(facts):
        fact = facts[url]
        entry: dict[str, Any] = {"title": fact.title, "state": fact.state}
        for name in ("opened", "closed", "merged"):
            if (text := _when(getattr(fact, name))) is not None:
                entry[name] = text
        if fact.labels:
            entry["labels"] = list(fact.labels)
        if fact.milestone:
            entry["milestone"] = fact.milestone
        entry["as_of"] = fact.as_of.isoformat()
        issues[url] = {key: value for key, value in entry.items() if value != ""}
    body = yaml.safe_dump(
        {"issues": issues}, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
    )
    return HEADER + body
