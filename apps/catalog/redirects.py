"""Old slugs that moved: fixtures/redirects.yaml maps them to their new slug.

A slug is a permanent address, so when the catalogue renames or merges something (an
organization listed twice under two spellings, say) its old address answers 301 with
the new one instead of 404. The file is small and read once per process.
"""

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from apps.catalog.slugs import SLUG_RE
from apps.catalog.storyfiles.records import Problem

REDIRECTS_PATH = Path("redirects.yaml")
KINDS = ("stories", "organizations", "components", "mitigations")
Redirects = dict[str, dict[str, str]]


def load_redirects(root: Path, display: str | None = None) -> tuple[Redirects, list[Problem]]:
    """{kind: {old slug: new slug}} from the file under `root` (the fixtures folder)."""
    path = root / REDIRECTS_PATH
    where = display or str(path)
    problems: list[Problem] = []

    def report(field: str, message: str) -> None:
        problems.append(Problem(where, field, message))

    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}, []
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        return {}, [Problem(where, "file", f"unreadable: {exc}")]
    if not isinstance(data, dict):
        return {}, [Problem(where, "file", f"expected a mapping with keys {', '.join(KINDS)}")]
    redirects: Redirects = {}
    for kind, entries in data.items():
        if kind not in KINDS:
            problems.append(
                Problem(where, str(kind), f"unknown kind (allowed: {', '.join(KINDS)})")
            )
            continue
        if not isinstance(entries, dict):
            report(kind, "expected old-slug: new-slug pairs")
            continue
        for old, new in entries.items():
            if not (isinstance(old, str) and isinstance(new, str)) or not (
                SLUG_RE.match(old) and SLUG_RE.match(new)
            ):
                problems.append(
                    Problem(where, f"{kind}.{old}", f"{old!r} -> {new!r} is not a slug pair")
                )
            elif old == new or new in entries:
                problems.append(
                    Problem(where, f"{kind}.{old}", "must point at a slug that does not move")
                )
            else:
                redirects.setdefault(kind, {})[old] = new
    return redirects, problems


@cache
def _redirects(root: str) -> Redirects:
    return load_redirects(Path(root))[0]


def moved_to(kind: str, slug: str) -> str | None:
    """The slug that `slug` of this kind moved to, if it moved."""
    return _redirects(str(settings.STORIES_FIXTURES_DIR)).get(kind, {}).get(slug)
