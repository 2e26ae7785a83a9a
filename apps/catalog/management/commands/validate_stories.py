from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.redirects import REDIRECTS_PATH, load_redirects
from apps.catalog.storyfiles.editorial import editorial_problems
from apps.catalog.storyfiles.parsing import load_catalogue
from apps.catalog.storyfiles.records import Problem
from apps.catalog.storyfiles.upstreamfacts import load_upstream_facts


class Command(BaseCommand):
    help = (
        "Check story files (default: all of fixtures/stories/, with the taxonomy and "
        "mitigations) and print every problem as file:field: problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="Story files or folders.")
        parser.add_argument(
            "--source-copies",
            type=Path,
            default=None,
            help="Folder of stored source copies as <story slug>.txt: summary sentences "
            "repeating their source word for word are reported.",
        )

    def handle(
        self, *args: Any, paths: list[Path], source_copies: Path | None = None, **options: Any
    ) -> None:
        root = Path(settings.STORIES_FIXTURES_DIR)
        catalogue = load_catalogue(root, story_paths=paths or None)
        _facts, fact_problems = load_upstream_facts(root, display_root=root.parent)
        catalogue.problems.extend(fact_problems)
        catalogue.problems.extend(load_redirects(root, str(REDIRECTS_PATH))[1])
        if source_copies is not None and not source_copies.is_dir():
            raise CommandError(f"--source-copies: {source_copies} is not a folder")
        editorial = editorial_problems(catalogue.stories, source_copies=source_copies)
        catalogue.problems.extend(_for_selected(editorial, paths))
        for problem in catalogue.problems:
            self.stderr.write(str(problem))
        if catalogue.problems:
            raise CommandError(
                f"{len(catalogue.problems)} problem(s) in {catalogue.files_read} story file(s)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(catalogue.stories)} story file(s) and {len(catalogue.mitigations)} "
                "mitigation(s) are valid."
            )
        )


def _for_selected(problems: list[Problem], paths: list[Path]) -> list[Problem]:
    """Problems in the files named on the command line (folders select all files)."""
    if not paths or any(path.is_dir() for path in paths):
        return problems
    names = {path.name for path in paths}
    return [problem for problem in problems if Path(problem.path).name in names]
