import sys
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.catalog.models import Source, Story
from apps.linkcheck.health import check_sources


class Command(BaseCommand):
    help = (
        "Check the source links of published stories (or of the stories named with --story) "
        "now, in this process, and record their health. Reaches the network: refuses unless "
        "LINKCHECK_ENABLED is on or --force is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--story",
            action="append",
            default=[],
            metavar="SLUG",
            help="Only this story's sources, whatever its status (repeatable).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even though LINKCHECK_ENABLED is off."
        )

    def handle(self, *args: Any, story: list[str], force: bool, **options: Any) -> None:
        if not settings.LINKCHECK_ENABLED and not force:
            raise CommandError(
                "Link checking is off (LINKCHECK_ENABLED=false) because it reaches the "
                "network. Set LINKCHECK_ENABLED=true, or pass --force to run it anyway."
            )
        if story:
            stories = Story.objects.filter(slug__in=story)
            missing = sorted(set(story) - set(stories.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"No story with slug: {', '.join(missing)}")
        else:
            stories = Story.objects.public()
        ids = list(
            Source.objects.filter(story__in=stories)
            .order_by("story__slug", "position", "pk")
            .values_list("pk", flat=True)
        )
        verbosity = options.get("verbosity", 1)
        show_progress = sys.stderr.isatty() and verbosity > 0

        def progress(items: list[int]) -> Iterable[int]:
            return tqdm(items, desc="Links", unit="link", disable=not show_progress or not items)

        counts = check_sources(ids, progress=progress)
        if verbosity < 1:
            return
        summary = (
            f"{len(ids)} link(s) checked: {counts['ok']} ok, {counts['failed']} failed "
            f"({counts['broken']} broken, {counts['blocked']} blocked)"
        )
        if counts["errors"]:
            summary += f", {counts['errors']} not checked because of an unexpected error"
        clean = not counts["failed"] and not counts["errors"]
        self.stdout.write((self.style.SUCCESS if clean else self.style.WARNING)(summary + "."))
