"""The component taxonomy, platforms and impact kinds, read from fixtures/taxonomy/."""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from apps.catalog.slugs import SLUG_RE
from apps.catalog.storyfiles.records import Problem

# Who ran the control plane on a platform (see fixtures/taxonomy/platforms.yaml).
PLATFORM_KINDS = ("managed", "self-managed", "infrastructure")


def normalize_term(term: str) -> str:
    """How free text is compared with aliases: case and repeated white space ignored."""
    return " ".join(str(term).split()).casefold()


@dataclass(frozen=True)
class TermRecord:
    """A component, platform or impact kind."""

    slug: str
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    area: str = ""
    kind: str = ""  # platforms only: one of PLATFORM_KINDS


@dataclass(frozen=True)
class AreaRecord:
    slug: str
    name: str
    description: str
    components: tuple[TermRecord, ...]


@dataclass
class Taxonomy:
    areas: list[AreaRecord] = field(default_factory=list)
    platforms: list[TermRecord] = field(default_factory=list)
    impacts: list[TermRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def components(self) -> list[TermRecord]:
        return [component for area in self.areas for component in area.components]

    def component_order(self) -> dict[str, int]:
        return {c.slug: i for i, c in enumerate(self.components)}

    def platform_order(self) -> dict[str, int]:
        return {p.slug: i for i, p in enumerate(self.platforms)}

    def impact_order(self) -> dict[str, int]:
        return {p.slug: i for i, p in enumerate(self.impacts)}

    def component_for(self, term: str) -> str | None:
        """The component slug that free text (a slug, a name or an alias) stands for."""
        return _alias_map(self.components).get(normalize_term(term))

    def platform_for(self, term: str) -> str | None:
        return _alias_map(self.platforms).get(normalize_term(term))

    def impact_for(self, term: str) -> str | None:
        return _alias_map(self.impacts).get(normalize_term(term))


def _alias_map(terms: list[TermRecord]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for term in terms:
        for text in (term.slug, term.name, *term.aliases):
            mapping.setdefault(normalize_term(text), term.slug)
    return mapping


class _Reader:
    """Reads one taxonomy file, recording problems instead of stopping at the first."""

    def __init__(self, path: Path, display: str, problems: list[Problem]) -> None:
        self.display = display
        self.problems = problems
        self.data: Any = None
        try:
            self.data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.problem("file", "is missing")
        except UnicodeDecodeError as exc:
            self.problem("encoding", f"not valid UTF-8 (byte at offset {exc.start})")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else "yaml"
            self.problem(where, f"YAML error: {getattr(exc, 'problem', exc)}")

    def problem(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.display, field_name, message))

    def items(self, key: str) -> list[dict[str, Any]]:
        if self.data is None:
            return []
        if not isinstance(self.data, dict) or not isinstance(self.data.get(key), list):
            self.problem(key, f"expected a top-level list named {key!r}")
            return []
        entries = []
        for index, entry in enumerate(self.data[key]):
            if isinstance(entry, dict):
                entries.append(entry)
            else:
                self.problem(f"{key}[{index}]", "expected a mapping with slug and name")
        return entries

    def term(self, entry: dict[str, Any], where: str, area: str = "") -> TermRecord | None:
        slug, name = entry.get("slug"), entry.get("name")
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            self.problem(f"{where}.slug", f"{slug!r} is not a slug (lowercase letters, digits, -)")
            return None
        if not isinstance(name, str) or not name.strip():
            self.problem(f"{where}.name", "is required")
            return None
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str | int) for a in aliases):
            self.problem(f"{where}.aliases", "expected a list of strings")
            aliases = []
        return TermRecord(
            slug=slug,
            name=name.strip(),
            description=str(entry.get("description") or "").strip(),
            aliases=tuple(str(a) for a in aliases),
            area=area,
        )


def _check_unique(
    terms: list[TermRecord], display: str, kind: str, problems: list[Problem]
) -> None:
    slugs: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for term in terms:
        if term.slug in slugs:
            problems.append(Problem(display, term.slug, f"{kind} slug is defined twice"))
        slugs[term.slug] = term.slug
        for text in {normalize_term(t) for t in (term.slug, term.name, *term.aliases)}:
            owner = aliases.setdefault(text, term.slug)
            if owner != term.slug:
                problems.append(
                    Problem(display, term.slug, f"alias {text!r} also belongs to {owner!r}")
                )


def _with_platform_kind(term: TermRecord, kind: Any, where: str, reader: _Reader) -> TermRecord:
    if kind not in PLATFORM_KINDS:
        reader.problem(f"{where}.kind", f"{kind!r} is not one of {', '.join(PLATFORM_KINDS)}")
        return term
    return replace(term, kind=kind)


def load_taxonomy(root: Path, display_root: Path | None = None) -> Taxonomy:
    """Read fixtures/taxonomy/*.yaml under `root` (the fixtures folder)."""
    display_root = display_root or root.parent
    taxonomy = Taxonomy()
    folder = root / "taxonomy"

    def display(name: str) -> str:
        path = folder / name
        try:
            return str(path.relative_to(display_root))
        except ValueError:
            return str(path)

    components_file = display("components.yaml")
    reader = _Reader(folder / "components.yaml", components_file, taxonomy.problems)
    area_slugs: set[str] = set()
    for index, area in enumerate(reader.items("areas")):
        where = f"areas[{index}]"
        head = reader.term(area, where)
        if head is None:
            continue
        if head.slug in area_slugs:
            reader.problem(f"{where}.slug", f"area {head.slug!r} is defined twice")
        area_slugs.add(head.slug)
        entries = area.get("components")
        if not isinstance(entries, list) or not entries:
            reader.problem(f"{where}.components", "an area needs at least one component")
            entries = []
        components = []
        for position, entry in enumerate(entries):
            term = (
                reader.term(entry, f"{head.slug}.components[{position}]", area=head.slug)
                if isinstance(entry, dict)
                else None
            )
            if term is not None:
                components.append(term)
        taxonomy.areas.append(AreaRecord(head.slug, head.name, head.description, tuple(components)))
    _check_unique(taxonomy.components, components_file, "component", taxonomy.problems)

    for name, key, target in (
        ("platforms.yaml", "platforms", taxonomy.platforms),
        ("impacts.yaml", "impacts", taxonomy.impacts),
    ):
        file_display = display(name)
        reader = _Reader(folder / name, file_display, taxonomy.problems)
        for index, entry in enumerate(reader.items(key)):
            term = reader.term(entry, f"{key}[{index}]")
            if term is not None and key == "platforms":
                term = _with_platform_kind(term, entry.get("kind"), f"{key}[{index}]", reader)
            if term is not None:
                target.append(term)
        _check_unique(target, file_display, key[:-1], taxonomy.problems)
    return taxonomy
