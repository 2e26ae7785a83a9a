import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.catalog.models import UpstreamIssue
from apps.catalog.storyfiles.upstreamfacts import (
    FACTS_PATH,
    dump_upstream_facts,
    load_upstream_facts,
)
from apps.catalog.upstream_facts import facts_from_database
from apps.linkcheck import upstream


class Command(BaseCommand):
    help = (
        "Fetch the state, title, labels and milestone of every upstream issue linked to a "
        "published story from the GitHub API. Stops early, leaving the rest for the next "
        "run, when GitHub's rate limit resets later than UPSTREAM_RATE_LIMIT_MAX_WAIT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--issue",
            type=int,
            action="append",
            dest="issue_ids",
            metavar="ID",
            help="Sync only the upstream issue with this id (repeatable).",
        )
        parser.add_argument(
            "--write-fixtures",
            action="store_true",
            help="Afterwards, write every synced issue's facts to fixtures/upstream/issues.yaml "
            "(entries for other issues are kept).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though UPSTREAM_SYNC_ENABLED is off.",
        )

    def handle(
        self,
        *args: Any,
        issue_ids: list[int] | None,
        force: bool,
        write_fixtures: bool = False,
        **options: Any,
    ) -> None:
        if not settings.UPSTREAM_SYNC_ENABLED and not force:
            raise CommandError(
                "Upstream sync is disabled: it calls the GitHub API at "
                f"{settings.GITHUB_API_URL}. Set UPSTREAM_SYNC_ENABLED=1, or pass --force "
                "to run it once anyway."
            )
        if issue_ids:
            found = set(UpstreamIssue.objects.filter(pk__in=issue_ids).values_list("pk", flat=True))
            if missing := sorted(set(issue_ids) - found):
                raise CommandError(f"No upstream issue with id {', '.join(map(str, missing))}")
            ids = list(dict.fromkeys(issue_ids))
        else:
            ids = list(UpstreamIssue.objects.public().order_by("pk").values_list("pk", flat=True))

        verbosity = options.get("verbosity", 1)
        show_progress = sys.stderr.isatty() and verbosity > 0

        def progress(items: Sequence[int]) -> Iterable[int]:
            return tqdm(items, desc="Upstream issues", unit="issue", disable=not show_progress)

        counts = upstream.sync_issues(ids, progress=progress)
        if write_fixtures:
            written = self._write_fixtures()

        if verbosity < 1:
            return
        if write_fixtures:
            self.stdout.write(f"{written} upstream issue(s) written to {FACTS_PATH}")
        self.stdout.write(
            f"{counts[upstream.UPDATED]} updated, "
            f"{counts[upstream.UNCHANGED]} unchanged (304), "
            f"{counts[upstream.FAILED]} failed, "
            f"{counts[upstream.SKIPPED]} skipped (not on GitHub), "
            f"{counts[upstream.RATE_LIMITED]} rate-limited"
        )
        if counts[upstream.FAILED]:
            self.stdout.write(
                self.style.WARNING(
                    "Failures are recorded on each issue (last_error; see the admin)."
                )
            )
        if counts.rate_limited_until:
            self.stdout.write(
                self.style.WARNING(
                    f"GitHub's rate limit is used up until "
                    f"{counts.rate_limited_until:%Y-%m-%d %H:%M:%S} UTC: "
                    f"{counts[upstream.RATE_LIMITED]} issue(s) left for the next run."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS("Upstream sync finished."))

    def _write_fixtures(self) -> int:
        root = Path(settings.STORIES_FIXTURES_DIR)
        known, problems = load_upstream_facts(root)
        if problems:
            raise CommandError(
                "Not writing the facts file, it has problems: "
                + "; ".join(str(problem) for problem in problems)
            )
        facts = facts_from_database(known)
        path = root / FACTS_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_upstream_facts(facts), encoding="utf-8")
        return len(facts)
