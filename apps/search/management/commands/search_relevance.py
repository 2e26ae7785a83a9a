from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from apps.search.relevance import (
    ENGINES,
    agreement,
    evaluate,
    load_judgements,
    load_rankings,
    top3,
    write_rankings,
)


class Command(BaseCommand):
    help = (
        "Print recall@10, success@3 and MRR of search over the judged queries in "
        "tests/search/relevance.yaml, on the configured database (import the catalogue first)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--misses", action="store_true", help="List queries below 1.0 recall.")
        parser.add_argument(
            "--write-top3",
            action="store_true",
            help="Record this engine's first 3 results in tests/search/relevance_top3.yaml.",
        )

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
        if options["write_top3"]:
            write_rankings(connection.vendor, top3(report))
        rankings = load_rankings()
        if all(engine in rankings for engine in ENGINES):
            self.stdout.write(
                "engines agree (recorded first 3): "
                + agreement(rankings["sqlite"], rankings["postgresql"]).summary()
            )
