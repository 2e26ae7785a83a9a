from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.affected.rangefile import ranges_path, ranges_to_text, read_ranges
from apps.catalog.storyfiles.parsing import load_catalogue
from apps.catalog.storyfiles.records import Problem


class Command(BaseCommand):
    help = (
        "Check fixtures/upstream/ranges.yaml: its shape, versions, evidence, that every "
        "issue is linked from a story, and that the file is in canonical form."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        root = settings.STORIES_FIXTURES_DIR
        path = ranges_path(root)
        parsed = read_ranges(path)
        problems = list(parsed.problems)
        linked = {link.url for story in load_catalogue(root).stories for link in story.upstream}
        problems += [
            Problem(str(path), "url", f"{issue.url} is not linked from any story")
            for issue in parsed.issues
            if issue.url not in linked
        ]
        if (
            path.exists()
            and not problems
            and path.read_text(encoding="utf-8") != ranges_to_text(parsed.issues)
        ):
            problems.append(
                Problem(str(path), "file", "not in canonical form; import, then run export_ranges")
            )
        for problem in sorted(problems):
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in {path}")
        ranges = sum(len(issue.ranges) for issue in parsed.issues)
        self.stdout.write(
            self.style.SUCCESS(f"{len(parsed.issues)} issue(s), {ranges} range(s): no problems.")
        )
