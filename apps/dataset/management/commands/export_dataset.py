from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.dataset.snapshot import write_snapshot


class Command(BaseCommand):
    help = (
        "Write a dated snapshot of the public catalogue (published stories only) as JSON with "
        "its JSON Schema and as CSV tables, with a zip, SHA-256 checksums and licence notes, "
        "and make it the dataset the site serves at /data/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Folder of snapshots (default: DATASET_DIR, ./var/dataset).",
        )

    def handle(self, *args: Any, out: Path | None, **options: Any) -> None:
        root = out or settings.DATASET_DIR
        try:
            snapshot = write_snapshot(root)
        except FileExistsError as exc:
            raise CommandError(f"{exc}; run it again in a second.") from None
        counts = ", ".join(f"{n} {name}" for name, n in snapshot.manifest["counts"].items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Snapshot {snapshot.manifest['snapshot']} ({counts}) in {snapshot.folder}."
            )
        )
