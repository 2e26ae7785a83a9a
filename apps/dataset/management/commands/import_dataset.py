import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.importing import ImportRefused
from apps.dataset.loading import DatasetInvalid, dataset_import


class Command(BaseCommand):
    help = (
        "Load a dataset's catalogue.json (from /data/ or export_dataset) into the database, "
        "with the story-file rules, in one transaction: a mirror of the public catalogue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="catalogue.json of a snapshot.")

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            data = json.loads(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror})") from None
        except ValueError as exc:
            raise CommandError(f"{path}: not JSON ({exc})") from None
        try:
            report = dataset_import(data=data)
        except (DatasetInvalid, ImportRefused) as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"Nothing imported: {len(exc.problems)} problem(s).") from None
        for kind, counts in report.counts.items():
            self.stdout.write(
                f"{kind}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged"
            )
