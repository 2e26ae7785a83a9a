from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.storyfiles.parsing import load_catalogue
from apps.catalog.storyfiles.serialization import (
    mitigation_to_text,
    story_to_text,
    write_if_changed,
)


class Command(BaseCommand):
    help = (
        "Rewrite story and mitigation files in the canonical layout that export_stories "
        "produces. With --check, only report files that are not canonical."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Change nothing; exit 1 if needed."
        )

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        catalogue = load_catalogue(settings.STORIES_FIXTURES_DIR)
        if catalogue.problems:
            for problem in catalogue.problems:
                self.stderr.write(str(problem))
            raise CommandError("Fix the problems above first (manage.py validate_stories).")
        pending = [
            (record.path, text)
            for record, text in [(s, story_to_text(s)) for s in catalogue.stories]
            + [(m, mitigation_to_text(m)) for m in catalogue.mitigations]
            if record.path is not None and record.path.read_bytes() != text.encode("utf-8")
        ]
        if check:
            for path, _ in pending:
                self.stderr.write(f"{path}: not in canonical layout")
            if pending:
                raise CommandError(f"{len(pending)} file(s) need `manage.py format_stories`.")
            self.stdout.write(self.style.SUCCESS("All files are in canonical layout."))
            return
        for path, text in pending:
            write_if_changed(path, text)
        self.stdout.write(self.style.SUCCESS(f"{len(pending)} file(s) rewritten."))
