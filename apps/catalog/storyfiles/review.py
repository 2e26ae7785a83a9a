"""The pull-request check: the story and mitigation files a change touches, their problems
at file and line, titles and sources that repeat the catalogue, and a preview of each story.

`manage.py story_report` runs it, in CI on a pull request and locally (`make check-pr`).
"""

import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from apps.catalog.links import InvalidURL, canonicalize_url, check_http_url
from apps.catalog.storyfiles.parsing import FileUnreadable, load_catalogue, split_front_matter
from apps.catalog.storyfiles.records import StoryRecord
from apps.catalog.storyfiles.taxonomy import Taxonomy

# Titles this alike (difflib ratio, after normalising) are shown as a possible duplicate.
SIMILAR_TITLE_RATIO = 0.85
_NOT_WORD = re.compile(r"[\W_]+")
_INDEX = re.compile(r"^(?P<key>[^\[.]+)(?:\[(?P<index>[0-9]+)\])?$")
_YAML_LINE = re.compile(r"^line (?P<line>[0-9]+)$")


class GitError(Exception):
    """git could not answer (not a repository, unknown revision)."""


@dataclass(frozen=True, order=True)
class Finding:
    """One problem or warning at a file and line (1-based)."""

    path: str
    line: int
    field: str
    message: str
    level: str = "error"  # error | warning

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"

    def annotation(self) -> str:
        """The GitHub Actions workflow command that shows this finding on the diff."""
        properties = ",".join(
            f"{key}={_escape_property(value)}"
            for key, value in (("file", self.path), ("line", str(self.line)), ("title", self.field))
        )
        return f"::{self.level} {properties}::{_escape_data(self.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _git(repository: Path, *args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            ["git", "-C", str(repository), *args],  # noqa: S607 - git from PATH, as a developer runs it
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout


def changed_files(repository: Path, since: str, folders: Iterable[Path]) -> list[Path]:
    """Files under `folders` added or changed since the merge base of `since` and HEAD,
    committed or not (untracked files count); deleted files are left out."""
    top = Path(_git(repository, "rev-parse", "--show-toplevel").strip())
    base = _git(repository, "merge-base", since, "HEAD").strip()
    relative = [str(folder.resolve().relative_to(top.resolve())) for folder in folders]
    names = _git(
        top, "diff", "--name-only", "--no-renames", "--diff-filter=d", base, "--", *relative
    ).splitlines()
    names += _git(top, "ls-files", "--others", "--exclude-standard", "--", *relative).splitlines()
    return sorted({top / name for name in names if name.endswith(".md")})


def field_line(text: str, field: str) -> int:
    """The line of a file that a problem's field names (`sources[1].url`, `summary`, `line 7`).

    Fields of the front matter are found in its YAML; the body's, at its first line.
    Anything not found points at line 1, so an annotation is never lost.
    """
    match = _YAML_LINE.match(field)
    if match:
        return int(match["line"])
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0] != "---":
        return 1
    try:
        end = lines.index("---", 1)
    except ValueError:
        return 1
    if field in ("summary", "body"):
        return min(end + 2, len(lines))
    try:
        node = yaml.compose("\n".join(lines[1:end]), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return 1
    line = 1
    for part in field.split("."):
        step = _INDEX.match(part)
        if step is None or not isinstance(node, yaml.MappingNode):
            break
        value = next((v for k, v in node.value if k.value == step["key"]), None)
        key = next((k for k, _ in node.value if k.value == step["key"]), None)
        if key is None or value is None:
            break
        line, node = key.start_mark.line + 2, value
        if step["index"] is not None:
            if not isinstance(node, yaml.SequenceNode) or int(step["index"]) >= len(node.value):
                break
            node = node.value[int(step["index"])]
            line = node.start_mark.line + 2
    return line


def normalized_title(title: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", title.casefold()).split())


@dataclass
class Report:
    """What a change holds: findings for the changed files and the stories to preview."""

    findings: list[Finding]
    stories: list[StoryRecord]
    files: list[Path]
    taxonomy: Taxonomy
    mitigation_titles: dict[str, str]

    @property
    def failed(self) -> bool:
        return any(finding.level == "error" for finding in self.findings)


@dataclass(frozen=True)
class _Listed:
    """What the duplicate checks need of a story file, read even when the file is invalid."""

    display: str
    title: str
    sources: tuple[str, ...]  # canonical URLs


def _listing(folder: Path, display: Callable[[Path], str]) -> list[_Listed]:
    listed = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        try:
            meta, _ = split_front_matter(path.read_bytes())
        except (FileUnreadable, OSError):
            continue
        sources = meta.get("sources")
        urls = []
        for item in sources if isinstance(sources, list) else []:
            try:
                urls.append(canonicalize_url(check_http_url(item.get("url"))))
            except (AttributeError, InvalidURL):
                continue
        title = meta.get("title")
        listed.append(_Listed(display(path), title if isinstance(title, str) else "", tuple(urls)))
    return listed


def review_files(root: Path, files: Iterable[Path], *, base: Path) -> Report:
    """Check changed story and mitigation files against the whole catalogue under `root`.

    Problems are reported only for the given files. A source URL that another story file
    holds is an error on the changed file, whichever of the two comes first; a title equal
    to another story's, once case and punctuation are ignored, is an error, and a title
    alike (SIMILAR_TITLE_RATIO) a warning.
    """
    files = sorted({path.resolve() for path in files if path.exists()})
    stories_dir = (root / "stories").resolve()
    story_files = [path for path in files if path.parent == stories_dir]

    def display(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            return str(path)

    wanted = {display(path) for path in files}
    # With no story among the files, every story is read and only mitigations' problems kept.
    catalogue = load_catalogue(root, story_paths=story_files or None, base=base)
    texts = {display(path): path.read_text(encoding="utf-8", errors="replace") for path in files}
    findings = [
        Finding(p.path, field_line(texts[p.path], p.field), p.field, p.message)
        for p in catalogue.problems
        if p.path in wanted
    ]
    stories = [s for s in catalogue.stories if s.path is not None and display(s.path) in wanted]
    listed = _listing(stories_dir, display)
    found = {(finding.path, finding.field) for finding in findings}
    for finding in _duplicate_findings(listed, wanted, texts):
        if (finding.path, finding.field) not in found:
            findings.append(finding)
    return Report(
        findings=sorted(set(findings)),
        stories=stories,
        files=files,
        taxonomy=catalogue.taxonomy,
        mitigation_titles={m.slug: m.title for m in catalogue.mitigations},
    )


def _duplicate_findings(
    listed: list[_Listed], wanted: set[str], texts: dict[str, str]
) -> list[Finding]:
    findings = []
    for mine in (item for item in listed if item.display in wanted):
        text = texts[mine.display]
        title_line = field_line(text, "title")
        normalized = normalized_title(mine.title)
        for other in listed:
            if other.display == mine.display:
                continue
            for index, url in enumerate(mine.sources):
                if url in other.sources:
                    where = f"sources[{index}].url"
                    findings.append(
                        Finding(
                            mine.display,
                            field_line(text, where),
                            where,
                            f"{url} is already a source of {other.display}",
                        )
                    )
            theirs = normalized_title(other.title)
            if not normalized or not theirs:
                continue
            if theirs == normalized:
                findings.append(
                    Finding(
                        mine.display,
                        title_line,
                        "title",
                        f"{other.display} has the same title: {other.title}",
                    )
                )
            elif SequenceMatcher(None, normalized, theirs).ratio() >= SIMILAR_TITLE_RATIO:
                findings.append(
                    Finding(
                        mine.display,
                        title_line,
                        "title",
                        f"is much like the title of {other.display} ({other.title}): "
                        "is it the same story?",
                        level="warning",
                    )
                )
    return findings
