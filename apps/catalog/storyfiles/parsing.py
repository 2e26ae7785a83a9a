"""Reading story and mitigation files into records, collecting every problem at once."""

import calendar
import datetime
import multiprocessing
import os
import re
from array import array
from collections import deque
from collections.abc import Container, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import accumulate, islice
from pathlib import Path
from typing import Any, Protocol, overload

import yaml

from apps.catalog.links import InvalidURL, canonicalize_url, check_http_url, parse_upstream_url
from apps.catalog.models import SourceKind, Verification
from apps.catalog.rendering import markup_problems, rendered_fields
from apps.catalog.storyfiles.firstseen import FirstSeen
from apps.catalog.storyfiles.plaintext import text_problems
from apps.catalog.storyfiles.records import (
    MitigationLinkRecord,
    MitigationRecord,
    Problem,
    ReferenceLink,
    SourceRecord,
    StoryRecord,
    UpstreamRecord,
)
from apps.catalog.storyfiles.taxonomy import SLUG_RE, Taxonomy, load_taxonomy
from apps.core.limits import (
    MAX_LINK_NOTE,
    MAX_ORGANIZATION,
    MAX_SLUG,
    MAX_SYMPTOM,
    MAX_SYMPTOMS,
    MAX_TITLE,
)

SOURCE_KINDS = tuple(SourceKind.values)
VERIFICATION_LEVELS = tuple(Verification.values)
STORY_FILE_RE = re.compile(r"^(?P<year>[0-9]{4})-[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
DATE_RE = re.compile(r"^(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?$")

STORY_FIELDS = {
    "title", "organization", "date", "sources", "components", "platforms", "impact",
    "upstream", "mitigations", "verified", "symptoms",
}  # fmt: skip
MITIGATION_FIELDS = {"title", "components", "links"}
EARLIEST_YEAR = 2014  # Kubernetes was first released in 2014.


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so parse_date can explain what is wrong."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _FastFrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same loader on libyaml when PyYAML was built with it: about 8 times faster."""

    yaml_implicit_resolvers = _FrontMatterLoader.yaml_implicit_resolvers


def _load_yaml(text: str) -> Any:
    # libyaml accepts a tab after "key:" and refuses surrogate escapes such as "\ud800"
    # that the Python loader reads (and text_problems then names). Where the two could
    # differ, the Python loader decides, so a file means the same thing on either.
    if "\t" not in text:
        try:
            return yaml.load(text, Loader=_FastFrontMatterLoader)  # noqa: S506 - safe loader
        except yaml.YAMLError:
            pass
    return yaml.load(text, Loader=_FrontMatterLoader)  # noqa: S506 - safe loader


class FileUnreadable(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def split_front_matter(raw: bytes) -> tuple[dict[str, Any], str]:
    """Decode a file and split its YAML front matter from its Markdown body."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileUnreadable(
            "encoding", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise FileUnreadable("front matter", "the file must start with a line '---'")
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise FileUnreadable("front matter", "no closing '---' line after the front matter")
    try:
        meta = _load_yaml(text[4 : end + 1])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}" if mark else "front matter"
        raise FileUnreadable(where, f"YAML error: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(meta, dict):
        raise FileUnreadable("front matter", "expected key: value pairs between the '---' lines")
    return meta, text[end + 5 :]


def parse_date(value: Any) -> tuple[datetime.date, str]:
    """Parse YYYY, YYYY-MM or YYYY-MM-DD into (first day of the period, precision)."""
    if isinstance(value, datetime.datetime):
        raise ValueError("give a date (YYYY, YYYY-MM or YYYY-MM-DD), not a date and time")
    if isinstance(value, datetime.date):
        return value, "day"
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("expected YYYY, YYYY-MM or YYYY-MM-DD")
    match = DATE_RE.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match["year"], match["month"], match["day"]
    try:
        parsed = datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date ({exc})") from None
    precision = "day" if day else "month" if month else "year"
    return parsed, precision


def _period_end(date: datetime.date, precision: str) -> datetime.date:
    if precision == "year":
        return date.replace(month=12, day=31)
    if precision == "month":
        return date.replace(day=calendar.monthrange(date.year, date.month)[1])
    return date


@dataclass
class Checker:
    """Collects problems for one file."""

    display: str
    problems: list[Problem] = field(default_factory=list)

    def problem(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.display, field_name, message))

    def text(self, meta: dict[str, Any], key: str, *, required: bool, limit: int) -> str:
        value = meta.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(key, "is required")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.problem(key, "expected text")
            return ""
        text = " ".join(str(value).split())
        if len(text) > limit:
            self.problem(key, f"is longer than {limit} characters")
        return text

    def slug_list(
        self, meta: dict[str, Any], key: str, known: dict[str, int], *, what: str, required: bool
    ) -> tuple[str, ...]:
        value = meta.get(key)
        if value in (None, []):
            if required:
                self.problem(key, f"at least one {what} is required")
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(key, f"expected a list of {what} slugs")
            return ()
        slugs: list[str] = []
        for item in value:
            if not isinstance(item, str) or item not in known:
                self.problem(key, f"unknown {what} {item!r}")
            elif item in slugs:
                self.problem(key, f"{what} {item!r} is listed twice")
            else:
                slugs.append(item)
        return tuple(sorted(slugs, key=known.__getitem__))

    def entries(self, meta: dict[str, Any], key: str) -> list[tuple[str, Any]]:
        """The items of an optional list field, each with its field path for messages."""
        value = meta.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(key, "expected a list")
            return []
        return [(f"{key}[{index}]", item) for index, item in enumerate(value)]

    def note_entry(self, where: str, item: Any, key: str) -> tuple[str, str] | None:
        """A bare value or a mapping {key: value, note: text}."""
        if isinstance(item, str):
            return item.strip(), ""
        if not isinstance(item, dict):
            self.problem(where, f"expected a {key} or a mapping with {key} and note")
            return None
        unknown = set(item) - {key, "note"}
        if unknown:
            self.problem(where, f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
        value, note = item.get(key), item.get("note") or ""
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{where}.{key}", "is required")
            return None
        if not isinstance(note, str):
            self.problem(f"{where}.note", "expected text")
            note = ""
        note = " ".join(note.split())
        if len(note) > MAX_LINK_NOTE:
            self.problem(f"{where}.note", f"is longer than {MAX_LINK_NOTE} characters")
        return value.strip(), note


def symptom_problems(
    value: Any, key: str = "symptoms"
) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """The symptoms of a story (one line of text each, verbatim), and (path, problem) pairs.

    Story files, web submissions and API edits share these rules: at most MAX_SYMPTOMS
    entries of at most MAX_SYMPTOM characters, each non-empty, on one line, listed once.
    Only the ends are trimmed: the inside of a log line stays as the source wrote it.
    """
    if value is None or value == []:
        return (), []
    if not isinstance(value, list):
        return (), [(key, "expected a list of text, one symptom per entry")]
    problems: list[tuple[str, str]] = []
    if len(value) > MAX_SYMPTOMS:
        problems.append((key, f"at most {MAX_SYMPTOMS} entries are allowed"))
    symptoms: list[str] = []
    for index, item in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(item, str):
            problems.append((where, "expected text (put numbers and dates in quotes)"))
            continue
        problems += [(where, message) for message in _plain_problems(item)]
        text = item.strip()
        if not text:
            problems.append((where, "is empty"))
        elif "\n" in text or "\r" in text or "\t" in text:
            problems.append((where, "must be one line (no tabs or line breaks)"))
        elif len(text) > MAX_SYMPTOM:
            problems.append((where, f"is longer than {MAX_SYMPTOM} characters"))
        elif text in symptoms:
            problems.append((where, f"{text!r} is listed twice"))
        else:
            symptoms.append(text)
    return tuple(symptoms), problems


def _plain_problems(text: str) -> list[str]:
    return [message for _, message in text_problems(text)]


class TermOrders(Protocol):
    """Where known slugs come from: the taxonomy files, or the database for web submissions."""

    def component_order(self) -> dict[str, int]: ...
    def platform_order(self) -> dict[str, int]: ...
    def impact_order(self) -> dict[str, int]: ...


def story_from_file(
    path: Path,
    *,
    taxonomy: TermOrders,
    mitigation_slugs: Iterable[str],
    display: str | None = None,
    today: datetime.date | None = None,
) -> tuple[StoryRecord | None, list[Problem]]:
    check = Checker(display or str(path))
    name_match = STORY_FILE_RE.match(path.name)
    if not name_match:
        check.problem(
            "file name", "must be <year>-<organization>-<title>.md in lowercase letters, digits, -"
        )
    elif len(path.stem) > MAX_SLUG:
        check.problem("file name", f"is longer than {MAX_SLUG} characters")
    try:
        meta, body = split_front_matter(path.read_bytes())
    except FileUnreadable as exc:
        check.problem(exc.field, exc.message)
        return None, check.problems
    except OSError as exc:
        check.problem("file", f"cannot be read ({exc.strerror})")
        return None, check.problems
    for key in sorted(set(map(str, meta)) - STORY_FIELDS):
        check.problem(key, f"unknown field (allowed: {', '.join(sorted(STORY_FIELDS))})")
    record = story_from_meta(
        meta,
        body,
        slug=path.stem,
        check=check,
        taxonomy=taxonomy,
        mitigation_slugs=mitigation_slugs,
        today=today,
    )
    if record is not None and name_match and int(name_match["year"]) != record.date.year:
        check.problem(
            "file name", f"starts with {name_match['year']} but the date is in {record.date.year}"
        )
    if check.problems:
        return None, check.problems
    return replace(record, path=path) if record else None, []


def _check_date(
    meta: dict[str, Any], check: Checker, today: datetime.date
) -> tuple[datetime.date, str]:
    date, precision = datetime.date.min, "day"
    if meta.get("date") is None:
        check.problem("date", "is required")
    else:
        try:
            date, precision = parse_date(meta["date"])
        except ValueError as exc:
            check.problem("date", str(exc))
        else:
            if date.year < EARLIEST_YEAR:
                check.problem("date", f"{date.year} is before Kubernetes existed")
            elif date > today:
                check.problem("date", "is in the future")
    return date, precision


def _check_sources(meta: dict[str, Any], check: Checker) -> list[SourceRecord]:
    sources: list[SourceRecord] = []
    if not meta.get("sources"):
        check.problem("sources", "at least one source is required")
    for where, item in check.entries(meta, "sources"):
        if not isinstance(item, dict):
            check.problem(where, "expected a mapping with url and kind")
            continue
        unknown = set(map(str, item)) - {"url", "kind", "title"}
        if unknown:
            check.problem(where, f"unknown keys: {', '.join(sorted(unknown))}")
        url = item.get("url")
        try:
            url = check_http_url(url)  # type: ignore[arg-type]
        except InvalidURL as exc:
            check.problem(f"{where}.url", f"{url!r} {exc}")
            continue
        if any(canonicalize_url(s.url) == canonicalize_url(url) for s in sources):
            check.problem(f"{where}.url", f"{url} is listed twice")
            continue
        kind = item.get("kind")
        if kind not in SOURCE_KINDS:
            check.problem(f"{where}.kind", f"{kind!r} is not one of: {', '.join(SOURCE_KINDS)}")
            continue
        source_title = item.get("title") or ""
        if not isinstance(source_title, str):
            check.problem(f"{where}.title", "expected text")
            source_title = ""
        source_title = " ".join(source_title.split())
        if len(source_title) > MAX_TITLE:
            check.problem(f"{where}.title", f"is longer than {MAX_TITLE} characters")
        sources.append(SourceRecord(url=url, kind=kind, title=source_title))
    return sources


def _check_upstream(meta: dict[str, Any], check: Checker) -> list[UpstreamRecord]:
    upstream: list[UpstreamRecord] = []
    for where, item in check.entries(meta, "upstream"):
        entry = check.note_entry(where, item, "url")
        if entry is None:
            continue
        try:
            ref = parse_upstream_url(entry[0])
        except InvalidURL as exc:
            check.problem(where, f"{entry[0]!r} {exc}")
            continue
        if any(u.url == ref.url for u in upstream):
            check.problem(where, f"{ref.url} is listed twice")
            continue
        upstream.append(UpstreamRecord(url=ref.url, note=entry[1]))
    return upstream


def _check_mitigations(
    meta: dict[str, Any], check: Checker, known_mitigations: set[str]
) -> list[MitigationLinkRecord]:
    mitigations: list[MitigationLinkRecord] = []
    for where, item in check.entries(meta, "mitigations"):
        entry = check.note_entry(where, item, "slug")
        if entry is None:
            continue
        if entry[0] not in known_mitigations:
            check.problem(where, f"unknown mitigation {entry[0]!r} (no fixtures/mitigations file)")
        elif any(m.slug == entry[0] for m in mitigations):
            check.problem(where, f"mitigation {entry[0]!r} is listed twice")
        else:
            mitigations.append(MitigationLinkRecord(slug=entry[0], note=entry[1]))
    return mitigations


def _check_symptoms(meta: dict[str, Any], check: Checker) -> tuple[str, ...]:
    # Control characters were reported above, with the rest of the front matter.
    symptoms, symptom_issues = symptom_problems(meta.get("symptoms"))
    reported = {where for where, _ in text_problems(meta.get("symptoms"), "symptoms")}
    for where, message in symptom_issues:
        if where not in reported:
            check.problem(where, message)
    return symptoms


def _check_summary(body: str, check: Checker) -> str:
    summary = body.strip()
    if not summary:
        check.problem("summary", "the Markdown body after the front matter is empty")
    else:
        for problem in markup_problems(summary):
            check.problem("summary", problem)
    return summary


def story_from_meta(
    meta: dict[str, Any],
    body: str,
    *,
    slug: str,
    check: Checker,
    taxonomy: TermOrders,
    mitigation_slugs: Iterable[str],
    today: datetime.date | None = None,
) -> StoryRecord | None:
    """The record for front matter and a Markdown body, or None with problems in `check`.

    Story files and web submissions are checked by this one function.
    """
    problems_before = len(check.problems)
    for where, message in [*text_problems(meta), *text_problems(body, "summary")]:
        check.problem(where, message)
    title = check.text(meta, "title", required=True, limit=MAX_TITLE)
    organization = check.text(meta, "organization", required=False, limit=MAX_ORGANIZATION)

    date, precision = _check_date(meta, check, today or datetime.date.today())

    sources = _check_sources(meta, check)
    components = check.slug_list(
        meta, "components", taxonomy.component_order(), what="component", required=True
    )
    platforms = check.slug_list(
        meta, "platforms", taxonomy.platform_order(), what="platform", required=False
    )
    impacts = check.slug_list(
        meta, "impact", taxonomy.impact_order(), what="impact", required=False
    )

    upstream = _check_upstream(meta, check)
    mitigations = _check_mitigations(meta, check, set(mitigation_slugs))
    symptoms = _check_symptoms(meta, check)

    verified = meta.get("verified")
    if verified not in VERIFICATION_LEVELS:
        check.problem("verified", f"{verified!r} is not one of: {', '.join(VERIFICATION_LEVELS)}")

    summary = _check_summary(body, check)

    if len(check.problems) > problems_before:
        return None
    return StoryRecord(
        slug=slug,
        title=title,
        organization=organization,
        date=date,
        date_precision=precision,
        sources=tuple(sources),
        components=components,
        platforms=platforms,
        impacts=impacts,
        upstream=tuple(upstream),
        mitigations=tuple(mitigations),
        verified=str(verified),
        summary=summary,
        symptoms=symptoms,
    )


def mitigation_from_file(
    path: Path, *, taxonomy: Taxonomy, display: str | None = None
) -> tuple[MitigationRecord | None, list[Problem]]:
    check = Checker(display or str(path))
    if not SLUG_RE.match(path.stem):
        check.problem("file name", "must be <slug>.md in lowercase letters, digits and -")
    try:
        meta, body = split_front_matter(path.read_bytes())
    except FileUnreadable as exc:
        check.problem(exc.field, exc.message)
        return None, check.problems
    for key in sorted(set(map(str, meta)) - MITIGATION_FIELDS):
        check.problem(key, f"unknown field (allowed: {', '.join(sorted(MITIGATION_FIELDS))})")
    for where, message in [*text_problems(meta), *text_problems(body, "body")]:
        check.problem(where, message)
    title = check.text(meta, "title", required=True, limit=MAX_TITLE)
    components = check.slug_list(
        meta, "components", taxonomy.component_order(), what="component", required=True
    )
    links: list[ReferenceLink] = []
    for where, item in check.entries(meta, "links"):
        if not isinstance(item, dict) or "url" not in item:
            check.problem(where, "expected a mapping with url and title")
            continue
        try:
            url = check_http_url(item["url"])
        except InvalidURL as exc:
            check.problem(f"{where}.url", f"{item['url']!r} {exc}")
            continue
        link_title = item.get("title") or ""
        links.append(ReferenceLink(url=url, title=" ".join(str(link_title).split())))
    if not body.strip():
        check.problem("body", "the Markdown body after the front matter is empty")
    for problem in markup_problems(body.strip()):
        check.problem("body", problem)
    if check.problems:
        return None, check.problems
    return (
        MitigationRecord(
            slug=path.stem,
            title=title,
            components=components,
            links=tuple(links),
            body=body.strip(),
            path=path,
        ),
        [],
    )


@dataclass
class Catalogue:
    """Everything under fixtures/, parsed, with every problem found."""

    taxonomy: Taxonomy
    mitigations: list[MitigationRecord] = field(default_factory=list)
    stories: list[StoryRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files_read: int = 0
    files_found: int = 0
    root: Path | None = None


def _story_paths(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix == ".md" and p.is_file()))
        else:
            found.append(path)
    return found


class _Locations:
    """Resolved paths and display names, resolving each folder once rather than each file."""

    def __init__(self, base: Path) -> None:
        self.base = base.resolve()
        self._folders: dict[Path, Path] = {}

    def resolve(self, path: Path) -> Path:
        if path.is_symlink():
            return path.resolve()
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = path.parent.resolve()
        return folder / path.name

    def display(self, path: Path) -> str:
        try:
            return str(self.resolve(path).relative_to(self.base))
        except ValueError:
            return str(path)


def load_catalogue(
    root: Path, *, story_paths: Iterable[Path] | None = None, base: Path | None = None
) -> Catalogue:
    """Parse the taxonomy, the mitigations and story files under `root` (the fixtures folder).

    With `story_paths`, those files (or folders) are checked as well as the stories under
    `root`, and problems are reported only for the selected files (duplicates: when at
    least one side is selected).
    """
    catalogue, stories = _open_catalogue(root, story_paths=story_paths, base=base)
    catalogue.stories.extend(stories)
    catalogue.problems.sort()
    return catalogue


def stream_catalogue(
    root: Path, *, base: Path | None = None, render_except: Container[str] | None = None
) -> tuple[Catalogue, Iterator[StoryRecord]]:
    """The taxonomy and mitigations under `root`, and its stories read one file at a time.

    Memory stays flat however many files there are. Each file's problems are appended to
    `catalogue.problems` as the iterator reaches it, so the catalogue is fully checked
    once the iterator is exhausted; `catalogue.files_found` is known from the start.
    With `render_except`, each story whose summary is not in it comes rendered
    (`StoryRecord.rendered`), by the process that parses it.
    """
    return _open_catalogue(root, story_paths=None, base=base, render_except=render_except)


def _open_catalogue(
    root: Path,
    *,
    story_paths: Iterable[Path] | None,
    base: Path | None,
    render_except: Container[str] | None = None,
) -> tuple[Catalogue, Iterator[StoryRecord]]:
    base = base or Path.cwd()
    where = _Locations(base)
    taxonomy = load_taxonomy(root, display_root=base)
    catalogue = Catalogue(taxonomy=taxonomy, problems=list(taxonomy.problems), root=root)

    mitigation_dir = root / "mitigations"
    for path in sorted(mitigation_dir.glob("*.md")) if mitigation_dir.is_dir() else []:
        record, problems = mitigation_from_file(
            path, taxonomy=taxonomy, display=where.display(path)
        )
        catalogue.problems.extend(problems)
        if record:
            catalogue.mitigations.append(record)
    slugs = {m.slug for m in catalogue.mitigations} | {p.stem for p in mitigation_dir.glob("*.md")}

    if story_paths is None:
        # Every story file of one folder: names only, so memory stays small at any size.
        files: Sequence[Path] = _FolderFiles(root / "stories")
        catalogue.files_found = len(files)
        return catalogue, _read_stories(catalogue, files, None, slugs, where, render_except)

    selected = {p.resolve() for p in _story_paths(story_paths)}
    missing = [p for p in story_paths if not p.exists()]
    for path in missing:
        catalogue.problems.append(Problem(str(path), "file", "does not exist"))
    all_paths = {where.resolve(p): p for p in _story_paths([root / "stories"])}
    for path in _story_paths(story_paths):
        if path.exists():
            all_paths.setdefault(path.resolve(), path)
    catalogue.files_found = len(all_paths)
    files = [path for _, path in sorted(all_paths.items())]
    return catalogue, _read_stories(catalogue, files, selected or None, slugs, where, render_except)


class _FolderFiles(Sequence[Path]):
    """The Markdown files of a folder in name order, holding their names only: one string
    of them all and where each ends (about 80 bytes a file rather than 130 in a list)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        names = (
            sorted(
                entry.name
                for entry in os.scandir(folder)
                if entry.name.endswith(".md") and entry.name != ".md" and entry.is_file()
            )
            if folder.is_dir()
            else []
        )
        self._names = "".join(names)
        self._ends = array("q", accumulate(map(len, names)))

    def __len__(self) -> int:
        return len(self._ends)

    def _name(self, index: int) -> str:
        start = self._ends[index - 1] if index > 0 else 0
        return self._names[start : self._ends[index]]

    @overload
    def __getitem__(self, index: int) -> Path: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Path]: ...
    def __getitem__(self, index: int | slice) -> Path | Sequence[Path]:
        if isinstance(index, slice):
            return [self.folder / self._name(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.folder / self._name(index)


def _read_stories(
    catalogue: Catalogue,
    files: Sequence[Path],
    selected: set[Path] | None,
    mitigation_slugs: set[str],
    where: _Locations,
    render_except: Container[str] | None = None,
) -> Iterator[StoryRecord]:
    """Each valid story once, in file order, collecting problems (duplicates too) on the way.

    With `selected`, only those files' stories and problems count (duplicates: when either
    side is selected). Earlier files are remembered by position, not by path, and their
    source URLs by digest (FirstSeen), so memory hardly grows with the number of files.
    """

    def chosen(position: int) -> bool:
        return selected is None or where.resolve(files[position]) in selected

    def names_url(position: int, canonical: str) -> bool:
        """Whether the story of that earlier file has this source (FirstSeen keeps digests)."""
        path = files[position]
        story, _ = story_from_file(
            path, taxonomy=catalogue.taxonomy, mitigation_slugs=mitigation_slugs
        )
        return story is not None and any(
            canonicalize_url(source.url) == canonical for source in story.sources
        )

    seen_urls = FirstSeen()
    # The names of one folder's files differ, and so do their slugs: nothing to remember.
    seen_slugs: dict[str, int] | None = None if isinstance(files, _FolderFiles) else {}
    parsed = _parse_files(
        files, _Reader(catalogue.taxonomy, mitigation_slugs, where, render_except)
    )
    for position, path in enumerate(files):
        in_selection = chosen(position)
        display = where.display(path)
        story, problems = next(parsed)
        catalogue.files_read += 1
        if in_selection:
            catalogue.problems.extend(problems)
        if story is None:
            continue
        if seen_slugs is not None:
            if story.slug in seen_slugs:
                if in_selection or (selected is not None and chosen(seen_slugs[story.slug])):
                    catalogue.problems.append(
                        Problem(display, "file name", f"slug {story.slug!r} is used twice")
                    )
                continue
            seen_slugs[story.slug] = position
        duplicate = False
        for index, source in enumerate(story.sources):
            canonical = canonicalize_url(source.url)
            other = seen_urls.setdefault(canonical, position)
            if other == position or not names_url(other, canonical):
                continue
            if in_selection or (selected is not None and chosen(other)):
                catalogue.problems.append(
                    Problem(
                        display,
                        f"sources[{index}].url",
                        f"{source.url} is already a source of {where.display(files[other])}",
                    )
                )
            duplicate = True
        if in_selection and not duplicate:
            yield story


@dataclass(frozen=True)
class _Reader:
    """How each story file is read: story_from_file, then its summary rendered unless the
    summary is in `render_except` (None: never)."""

    taxonomy: Taxonomy
    mitigation_slugs: set[str]
    where: _Locations
    render_except: Container[str] | None

    def __call__(self, path: Path) -> tuple[StoryRecord | None, list[Problem]]:
        story, problems = story_from_file(
            path,
            taxonomy=self.taxonomy,
            mitigation_slugs=self.mitigation_slugs,
            display=self.where.display(path),
        )
        stored = self.render_except
        if story is not None and stored is not None and story.summary not in stored:
            story = replace(story, rendered=rendered_fields(story.summary))
        return story, problems


# From this many files on, a second process parses while this one writes: on two or more
# cores that takes parsing (about half of an unchanged re-import) and the rendering of
# new summaries off the critical path.
PARALLEL_FROM = 2000
_CHUNK = 250
_AHEAD = 3  # chunks parsed ahead of the reader: memory stays bounded
_worker: _Reader | None = None


def _parse_files(
    files: Sequence[Path], read: _Reader
) -> Iterator[tuple[StoryRecord | None, list[Problem]]]:
    """`read` for each file in order, in a forked process when that is worth it."""
    global _worker
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if len(files) < PARALLEL_FROM or (os.cpu_count() or 1) < 2 or not forkable:
        yield from map(read, files)
        return
    # Fork, not spawn: the child has the taxonomy already and never touches the database.
    _worker = read
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        chunks = (list(files[start : start + _CHUNK]) for start in range(0, len(files), _CHUNK))
        pending = deque(pool.submit(_parse_chunk, chunk) for chunk in islice(chunks, _AHEAD))
        try:
            while pending:
                done = pending.popleft().result()
                for chunk in islice(chunks, 1):
                    pending.append(pool.submit(_parse_chunk, chunk))
                yield from done
        finally:
            for future in pending:
                future.cancel()


def _parse_chunk(paths: list[Path]) -> list[tuple[StoryRecord | None, list[Problem]]]:
    if _worker is None:
        raise RuntimeError("_parse_chunk runs in a process forked by _parse_files")
    return list(map(_worker, paths))
