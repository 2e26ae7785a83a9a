from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.models import Story
from apps.catalog.storyfiles.mapping import record_from_story
from apps.catalog.storyfiles.serialization import story_to_text, write_if_changed
from apps.catalog.storyfiles.taxonomy import load_taxonomy


class Command(BaseCommand):
    help = (
        "Write published stories as story files (byte-stable: unchanged stories leave "
        "their files untouched)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", action="append", default=[], help="Only this story.")
        parser.add_argument(
            "--web",
            action="store_true",
            help="Only stories approved on the web (not yet kept as files).",
        )
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Folder to write into (default: fixtures/stories/).",
        )

    def handle(
        self, *args: Any, slug: list[str], web: bool, out: Path | None, **options: Any
    ) -> None:
        out = out or settings.STORIES_FIXTURES_DIR / "stories"
        stories = Story.objects.public().for_detail().order_by("slug")
        if web:
            stories = stories.filter(origin=Story.Origin.WEB)
        if slug:
            stories = stories.filter(slug__in=slug)
            missing = sorted(set(slug) - {s.slug for s in stories})
            if missing:
                raise CommandError(f"No published story with slug: {', '.join(missing)}")
        taxonomy = load_taxonomy(settings.STORIES_FIXTURES_DIR)
        orders = {
            "component_order": taxonomy.component_order(),
            "platform_order": taxonomy.platform_order(),
            "impact_order": taxonomy.impact_order(),
        }
        out.mkdir(parents=True, exist_ok=True)
        written = unchanged = 0
        for story in stories:
            text = story_to_text(record_from_story(story, **orders))
            if write_if_changed(out / f"{story.slug}.md", text):
                written += 1
            else:
                unchanged += 1
        self.stdout.write(
            self.style.SUCCESS(f"{written} file(s) written, {unchanged} unchanged, in {out}.")
        )
