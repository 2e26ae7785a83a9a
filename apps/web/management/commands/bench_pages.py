import gc
import http.client
import json
import math
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlsplit

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from apps.catalog.models import Mitigation, Organization, Story, public_story_count
from apps.web.views.browse import StoryListView

# Endpoints beyond the benchmark's core set: search variants, feeds and forms.
EXTRA = [
    ("search-phrase", '/stories/?q="ndots:5"+-aws'),
    ("api-search", "/api/v1/stories/?q=dns"),
    ("feed-search", "/feeds/search.atom?q=etcd"),
    ("submit", "/submit/"),
]


@dataclass
class Result:
    name: str
    path: str
    status: int
    samples: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    queries: int
    bytes: int
    peak_kib: int
    timings: list[float] = field(default_factory=list, repr=False)
    api_count: int | None = None  # search mode: the `count` the API reports for the query


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: with fewer than 100 samples p99 is the slowest one."""
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


def weighted_percentile(sorted_pairs: list[tuple[float, float]], fraction: float) -> float:
    """The first value whose cumulative weight reaches `fraction` of the total."""
    total = sum(weight for _, weight in sorted_pairs)
    running = 0.0
    for value, weight in sorted_pairs:
        running += weight
        if running >= fraction * total - 1e-9:
            return value
    return sorted_pairs[-1][0]


class Baseline:
    """The same page's bytes served as a static file (by nginx, in `bench/run search`),
    timed between the queries over one kept-alive connection: the machine's drift during
    the run shows in it, and the search times can be read against it."""

    per_query = 10

    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = urlsplit(url), folder
        self.timings: list[float] = []
        self.connection: http.client.HTTPConnection | None = None

    def save(self, body: bytes) -> None:
        (self.folder / "search.html").write_bytes(body)

    def time(self) -> None:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                self.url.hostname or "127.0.0.1", self.url.port or 80, timeout=10
            )
        path = f"{self.url.path.rstrip('/')}/search.html"
        for _ in range(self.per_query):
            start = time.perf_counter()
            self.connection.request("GET", path)
            response = self.connection.getresponse()
            response.read()
            self.timings.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                raise CommandError(f"The baseline answered {response.status} at {path}.")


def api_count(query: str) -> int | None:
    params: dict[str, str | int] = {"q": query, "page_size": 1}
    response = Client().get("/api/v1/stories/", params)
    return response.json().get("count") if response.status_code == 200 else None


def endpoints(*, extra: bool) -> list[tuple[str, str]]:
    """The pages to measure, chosen from what the database holds (same rule at any size)."""
    stories = Story.objects.public()
    total = stories.count()
    if not total:
        raise CommandError("No published stories: import a catalogue first.")
    story = stories.order_by("slug").values_list("slug", flat=True)[total // 2]
    last = max(1, math.ceil(total / getattr(StoryListView, "paginate_by", 20)))
    organization = (
        Organization.objects.public()
        .annotate(n=public_story_count())
        .order_by("-n", "slug")
        .values_list("slug", flat=True)
        .first()
    )
    mitigation = (
        Mitigation.objects.public()
        .annotate(n=public_story_count())
        .order_by("-n", "slug")
        .values_list("slug", flat=True)
        .first()
    )
    found = [
        ("home", "/"),
        ("list", "/stories/"),
        ("list-middle", f"/stories/?page={(last + 1) // 2}"),
        ("list-last", f"/stories/?page={last}"),
        ("list-facet", "/stories/?component=etcd"),
        ("list-2-facets", "/stories/?component=etcd&platform=aws"),
        ("search", "/stories/?q=etcd"),
        ("story", f"/stories/{story}/"),
        ("component", "/components/etcd/"),
        ("mitigation", f"/mitigations/{mitigation}/" if mitigation else ""),
        ("organization", f"/organizations/{organization}/"),
        ("trends", "/trends/"),
        ("feed", "/feeds/stories.atom"),
        ("sitemap", "/sitemap.xml"),
        ("api-list", "/api/v1/stories/"),
        ("api-detail", f"/api/v1/stories/{story}/"),
    ]
    more = [*EXTRA, ("submit-edit", f"/submit/edit/{story}/")] if extra else []
    return [(name, path) for name, path in found + more if path]


class Command(BaseCommand):
    help = (
        "Time pages in-process (Django's test client) against the configured database and "
        "print p50/p95/p99 latency, SQL queries, bytes and peak Python memory per request. "
        "The cache is cleared before every request unless --warm. With --search FILE, time "
        "/stories/?q=… for each query in FILE instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=50, help="Timed requests per page.")
        parser.add_argument(
            "--max-seconds",
            type=float,
            default=20.0,
            help="Stop timing a page after this long (at least 5 requests).",
        )
        parser.add_argument("--only", default="", help="Comma-separated endpoint names.")
        parser.add_argument("--core", action="store_true", help="Leave out the extra pages.")
        parser.add_argument("--warm", action="store_true", help="Keep the cache between requests.")
        parser.add_argument("--list", action="store_true", help="Print name<TAB>path and stop.")
        parser.add_argument("--search", type=Path, help="File of search queries, one a line.")
        parser.add_argument("--json", type=Path, help="Also write the results as JSON here.")
        parser.add_argument(
            "--baseline-url",
            default="",
            help="With --search: a static file server (nginx) serving --baseline-dir, timed "
            "between the queries with the first query's page saved there.",
        )
        parser.add_argument("--baseline-dir", type=Path, help="The folder that server serves.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["search"]:
            lines = options["search"].read_text(encoding="utf-8").splitlines()
            queries = [q.strip() for q in lines if q.strip() and not q.startswith("#")]
            pages = [(q, f"/stories/?q={quote_plus(q)}") for q in queries]
        else:
            pages = endpoints(extra=not options["core"])
        if options["only"]:
            wanted = set(options["only"].split(","))
            pages = [(name, path) for name, path in pages if name in wanted]
        if options["list"]:
            for name, path in pages:
                self.stdout.write(f"{name}\t{path}")
            return

        baseline = None
        if options["baseline_url"]:
            if not options["search"] or not options["baseline_dir"]:
                raise CommandError("--baseline-url needs --search and --baseline-dir.")
            baseline = Baseline(options["baseline_url"], options["baseline_dir"])
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            results = []
            for name, path in pages:
                results.append(self.measure(name, path, **options))
                if baseline is not None:
                    if len(results) == 1:
                        baseline.save(Client().get(path).content)
                    baseline.time()
            if options["search"]:
                for result in results:
                    result.api_count = api_count(result.name)
        self.report(results, search=bool(options["search"]), warm=options["warm"])
        if baseline is not None and results:
            self.report_baseline(results, baseline)
        if options["json"]:
            rows = [{k: v for k, v in asdict(r).items() if k != "timings"} for r in results]
            options["json"].write_text(json.dumps(rows, indent=1))

    def measure(self, name: str, path: str, **options: Any) -> Result:
        client = Client()

        def get() -> Any:
            if not options["warm"]:
                for alias in settings.CACHES:
                    caches[alias].clear()
            return client.get(path)

        get()  # warm-up: imports, template compilation, connection
        # What start-up built stays out of full collections, as config/wsgi.py does in
        # the deployed workers.
        gc.freeze()
        timings: list[float] = []
        deadline = time.perf_counter() + options["max_seconds"]
        while len(timings) < options["repeat"] and (
            len(timings) < 5 or time.perf_counter() < deadline
        ):
            start = time.perf_counter()
            get()
            timings.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as queries:
            tracemalloc.start()
            response = get()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        timings.sort()
        body = b"".join(response) if response.streaming else response.content
        return Result(
            name=name,
            path=path,
            status=response.status_code,
            samples=len(timings),
            p50_ms=round(percentile(timings, 0.5), 1),
            p95_ms=round(percentile(timings, 0.95), 1),
            p99_ms=round(percentile(timings, 0.99), 1),
            queries=len(queries),
            bytes=len(body),
            peak_kib=round(peak / 1024),
            timings=timings,
        )

    def report_baseline(self, results: list[Result], baseline: Baseline) -> None:
        timings = sorted(baseline.timings)
        pooled = sorted((t, 1 / len(r.timings)) for r in results for t in r.timings)
        p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
        self.stdout.write(
            f"Baseline: the first query's page ({results[0].bytes / 1024:.0f} KiB) as a static "
            f"file from {baseline.url.geturl()}, {len(timings)} requests timed between the "
            f"queries: p50 {p50:.2f} ms, p95 {p95:.2f} ms; searches' p50 and p95 are "
            f"{weighted_percentile(pooled, 0.5) / p50:,.0f} and "
            f"{weighted_percentile(pooled, 0.95) / p95:,.0f} times those."
        )

    def report(self, results: list[Result], *, search: bool, warm: bool) -> None:
        stories = Story.objects.public().count()
        self.stdout.write(
            f"In-process, {connection.vendor}, {stories} public stories, "
            f"cache {'kept' if warm else 'cleared before each request'}, DEBUG={settings.DEBUG}\n"
        )
        head = "query" if search else "endpoint"
        extra = " API count |" if search else ""
        self.stdout.write(
            f"| {head} | status | p50 ms | p95 ms | p99 ms | n | SQL queries | KiB | peak KiB |"
            + extra
        )
        self.stdout.write(
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if search else "")
        )
        for r in results:
            label = f"`{r.name}`" if search else f"{r.name} `{r.path}`"
            self.stdout.write(
                f"| {label} | {r.status} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | "
                f"{r.samples} | {r.queries} | {r.bytes / 1024:.0f} | {r.peak_kib} |"
                + (f" {r.api_count} |" if search else "")
            )
        if search and results:
            # Each query weighs the same, however many requests fitted in --max-seconds.
            pooled = sorted((t, 1 / len(r.timings)) for r in results for t in r.timings)
            counts = sorted({r.queries for r in results})
            self.stdout.write(
                f"\nAll {len(results)} queries, each weighted equally: "
                f"p50 {weighted_percentile(pooled, 0.5):.1f} ms, "
                f"p95 {weighted_percentile(pooled, 0.95):.1f} ms, "
                f"p99 {weighted_percentile(pooled, 0.99):.1f} ms; SQL queries per search: "
                + (f"{counts[0]}" if len(counts) == 1 else f"{counts[0]} to {counts[-1]}")
            )
