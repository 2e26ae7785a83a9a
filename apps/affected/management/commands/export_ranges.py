from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from apps.affected.loading import ranges_from_database
from apps.affected.rangefile import ranges_path, ranges_to_text
from apps.catalog.storyfiles.serialization import write_if_changed


class Command(BaseCommand):
    help = (
        "Write the version ranges of upstream issues to fixtures/upstream/ranges.yaml "
        "(byte-stable: unchanged ranges leave the file untouched)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=None, help="File to write instead.")

    def handle(self, *args: Any, out: Path | None, **options: Any) -> None:
        path = out or ranges_path(settings.STORIES_FIXTURES_DIR)
        path.parent.mkdir(parents=True, exist_ok=True)
        issues = ranges_from_database()
        written = write_if_changed(path, ranges_to_text(issues))
        state = "written" if written else "unchanged"
        self.stdout.write(
            self.style.SUCCESS(f"{len(issues)} issue(s) with ranges, {state}: {path}")
        )
