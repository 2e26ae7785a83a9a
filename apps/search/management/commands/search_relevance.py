from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from apps.search.relevance import evaluate, load_judgements


class Command(BaseCommand):
    help = (
        "Print recall@10, success@3 and MRR of search over the judged queries in "
        "tests/search/relevance.yaml, on the configured database (import the catalogue first)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--misses", action="store_true", help="List queries below 1.0 recall.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = evaluate(load_judgements())
        if options["misses"]:
            for outcome in report.outcomes:
                if outcome.recall < 1 or not outcome.success_at_3:
                    missing = [s for s in outcome.judgement.relevant if s not in outcome.ranked]
                    self.stdout.write(
                        f"{outcome.recall:.2f} {outcome.reciprocal_rank:.2f} "
                        f"{outcome.judgement.query!r}: missing {', '.join(missing) or '-'}; "
                        f"top 3 {outcome.ranked[:3]}"
                    )
        self.stdout.write(f"{connection.vendor}: {report.summary()}")
