import shutil
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.storyfiles.synthetic import generate_story_files, load_vocabulary


class Command(BaseCommand):
    help = (
        "Write a fixtures tree of synthetic stories for benchmarks: the taxonomy and "
        "mitigations copied from STORIES_FIXTURES_DIR, and COUNT generated story files in "
        "the real format under OUT/stories/. Deterministic for a seed; point "
        "STORIES_FIXTURES_DIR at OUT to validate or import it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="Stories to generate.")
        parser.add_argument("--out", type=Path, required=True, help="Fixtures folder to write.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--with-real-stories",
            action="store_true",
            help="Also copy the real story files, so the synthetic ones are added to them.",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete story files already in OUT/stories/ first.",
        )

    def handle(
        self,
        *args: Any,
        count: int,
        out: Path,
        seed: int,
        with_real_stories: bool,
        replace: bool,
        **options: Any,
    ) -> None:
        if count < 0:
            raise CommandError("--count must be 0 or more.")
        source: Path = settings.STORIES_FIXTURES_DIR
        if out.resolve() == source.resolve():
            raise CommandError(f"--out must not be the real fixtures folder ({source}).")
        stories = out / "stories"
        existing = sorted(stories.glob("*.md")) if stories.is_dir() else []
        if existing and not replace:
            raise CommandError(
                f"{stories} already holds {len(existing)} story file(s); "
                "pass --replace to delete them first."
            )
        try:
            vocabulary = load_vocabulary(source)
        except ValueError as exc:
            raise CommandError(f"the fixtures in {source} have problems: {exc}") from None

        started = time.perf_counter()
        for path in existing:
            path.unlink()
        for folder in ("taxonomy", "mitigations"):
            shutil.copytree(source / folder, out / folder, dirs_exist_ok=True)
        stories.mkdir(parents=True, exist_ok=True)
        real = sorted((source / "stories").glob("*.md")) if with_real_stories else []
        for path in real:
            shutil.copy2(path, stories / path.name)
        written = sum(
            1 for _ in generate_story_files(vocabulary, count=count, seed=seed, folder=stories)
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {written} synthetic stories (seed {seed})"
                + (f" and copied {len(real)} real ones" if real else "")
                + f" to {stories} in {time.perf_counter() - started:.1f} s."
            )
        )
