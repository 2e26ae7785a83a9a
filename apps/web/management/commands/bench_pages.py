import statistics
import time
import tracemalloc
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

PAGES = [
    "/",
    "/stories/",
    "/stories/?q=throttled",
    '/stories/?q="ndots:5"+-aws',
    "/stories/?component=etcd&platform=aws",
    "/stories/2019-zalando-total-dns-outage/",
    "/components/etcd/",
    "/trends/",
    "/feeds/search.atom?q=etcd",
    "/api/v1/stories/",
    "/api/v1/stories/?q=dns",
    "/api/v1/stories/2019-zalando-total-dns-outage/",
    "/submit/",
    "/submit/edit/2019-zalando-total-dns-outage/",
]


class Command(BaseCommand):
    help = (
        "Time the main pages in-process against the configured database and print median "
        "and p95 latency, SQL queries and peak Python memory per request."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=30)

    def handle(self, *args: Any, repeat: int, **options: Any) -> None:
        client = Client()
        self.stdout.write(
            f"database: {connection.vendor}; {repeat} requests per page after one warm-up"
        )
        self.stdout.write(
            f"{'page':48} {'median ms':>9} {'p95 ms':>7} {'queries':>7} {'peak KiB':>8}"
        )
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            for url in PAGES:
                client.get(url)
                timings = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - start) * 1000)
                with CaptureQueriesContext(connection) as queries:
                    tracemalloc.start()
                    client.get(url)
                    _, peak = tracemalloc.get_traced_memory()
                    tracemalloc.stop()
                timings.sort()
                p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
                self.stdout.write(
                    f"{url[:48]:48} {statistics.median(timings):9.1f} {p95:7.1f} "
                    f"{len(queries):7d} {peak / 1024:8.0f}  [{response.status_code}]"
                )
