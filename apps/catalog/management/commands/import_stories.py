import sys
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.catalog.exceptions import StoryVersionConflict
from apps.catalog.importing import ImportRefused, catalogue_import, stored_summaries
from apps.catalog.storyfiles.history import added_dates
from apps.catalog.storyfiles.parsing import stream_catalogue
from apps.catalog.storyfiles.records import StoryRecord
from apps.catalog.storyfiles.upstreamfacts import FACTS_PATH
from apps.catalog.upstream_facts import import_upstream_facts


class Command(BaseCommand):
    help = (
        "Load the taxonomy, mitigations and story files into the database in one "
        "transaction. Idempotent; never touches stories submitted through the web."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Delete stories that came from files which no longer exist.",
        )

    def handle(self, *args: Any, prune: bool, **options: Any) -> None:
        # Files are read one at a time while earlier ones are written: memory stays flat.
        # New summaries are rendered as they are read (in a second process from 2,000 files).
        catalogue, stories = stream_catalogue(
            settings.STORIES_FIXTURES_DIR, render_except=stored_summaries()
        )
        show_progress = sys.stderr.isatty() and options.get("verbosity", 1) > 0

        def progress(records: Iterable[StoryRecord]) -> Iterable[StoryRecord]:
            return tqdm(
                records,
                total=catalogue.files_found,
                desc="Stories",
                unit="story",
                disable=not show_progress or not catalogue.files_found,
            )

        try:
            report = catalogue_import(
                catalogue=catalogue,
                stories=stories,
                prune=prune,
                progress=progress,
                added=added_dates(settings.STORIES_FIXTURES_DIR / "stories"),
            )
        except ImportRefused as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"Nothing imported: {len(exc.problems)} problem(s). "
                "Fix them (see `manage.py validate_stories`) and run the import again."
            ) from None
        except StoryVersionConflict as exc:
            raise CommandError(
                f"Nothing imported: the story {exc.slug!r} changed while it ran (an edit on "
                "the site). Run the import again."
            ) from None

        facts = import_upstream_facts(settings.STORIES_FIXTURES_DIR)

        if options.get("verbosity", 1) < 1:
            return
        if facts:
            self.stdout.write(f"upstream issues: {facts} updated from {FACTS_PATH}")
        for kind, counts in report.counts.items():
            self.stdout.write(
                f"{kind}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged"
            )
        if report.pruned:
            self.stdout.write(f"stories deleted (file removed): {', '.join(report.pruned)}")
        if report.adopted:
            self.stdout.write(
                f"web stories now kept as files (their file matches): {', '.join(report.adopted)}"
            )
        if report.without_file:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(report.without_file)} file stor(ies) have no file any more "
                    f"(kept; use --prune to delete): {', '.join(report.without_file)}"
                )
            )
        if report.changed or facts:
            self.stdout.write(self.style.SUCCESS("Import finished."))
        else:
            self.stdout.write(
                self.style.SUCCESS("Nothing changed: the database matches the files.")
            )
