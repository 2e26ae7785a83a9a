from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.storyfiles.parsing import load_catalogue
from apps.catalog.storyfiles.upstreamfacts import load_upstream_facts


class Command(BaseCommand):
    help = (
        "Check story files (default: all of fixtures/stories/, with the taxonomy and "
        "mitigations) and print every problem as file:field: problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="Story files or folders.")

    def handle(self, *args: Any, paths: list[Path], **options: Any) -> None:
        root = Path(settings.STORIES_FIXTURES_DIR)
        catalogue = load_catalogue(root, story_paths=paths or None)
        _facts, fact_problems = load_upstream_facts(root, display_root=root.parent)
        catalogue.problems.extend(fact_problems)
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
