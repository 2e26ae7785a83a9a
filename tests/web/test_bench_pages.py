"""bench_pages: every endpoint the benchmark times answers, on the real catalogue."""

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.web.management.commands.bench_pages import weighted_percentile

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue() -> None:
    call_command("import_stories", stdout=StringIO(), stderr=StringIO())


def test_every_endpoint_answers_200_with_a_constant_query_count(
    catalogue: None, tmp_path: Path
) -> None:
    out = StringIO()
    call_command("bench_pages", repeat=1, max_seconds=0, json=tmp_path / "r.json", stdout=out)
    rows = json.loads((tmp_path / "r.json").read_text())
    names = {row["name"] for row in rows}
    assert {"home", "list-last", "story", "organization", "mitigation", "sitemap"} <= names
    assert {"submit-edit", "api-detail"} <= names
    assert [row["name"] for row in rows if row["status"] != 200] == []
    assert all(row["queries"] > 0 and row["bytes"] > 0 for row in rows)
    assert "| home `/` | 200 |" in out.getvalue()


def test_list_prints_names_and_paths_only(catalogue: None) -> None:
    out = StringIO()
    call_command("bench_pages", list=True, core=True, only="home,story", stdout=out)
    lines = [line.split("\t") for line in out.getvalue().splitlines()]
    assert [name for name, _ in lines] == ["home", "story"]
    assert lines[1][1].startswith("/stories/")


def test_search_mode_times_each_query_and_reports_the_api_count(
    catalogue: None, tmp_path: Path
) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("# comment\nndots\nzzqxvjw\n")
    out = StringIO()
    call_command("bench_pages", search=queries, repeat=1, max_seconds=0, stdout=out)
    text = out.getvalue()
    assert "| `ndots` | 200 |" in text
    assert "| `zzqxvjw` | 200 |" in text
    assert text.split("| `zzqxvjw` |")[1].splitlines()[0].rstrip().endswith("| 0 |")
    assert "All 2 queries, each weighted equally" in text


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_search_mode_times_a_static_baseline_between_the_queries(
    catalogue: None, tmp_path: Path
) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("ndots\netcd\n")
    served = tmp_path / "www"
    served.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = StringIO()
    try:
        call_command(
            "bench_pages",
            search=queries,
            repeat=1,
            max_seconds=0,
            baseline_url=f"http://127.0.0.1:{server.server_port}/",
            baseline_dir=served,
            stdout=out,
        )
    finally:
        server.shutdown()
        server.server_close()
    # The first query's page, served as it was rendered, timed after each query.
    assert b"ndots" in (served / "search.html").read_bytes()
    text = out.getvalue()
    assert f"static file from http://127.0.0.1:{server.server_port}/, 20 requests timed" in text


def test_weighted_percentile_counts_each_query_once() -> None:
    # One slow query timed twice, a fast one timed eight times: half the queries are slow.
    pairs = sorted([(100.0, 0.5)] * 2 + [(1.0, 0.125)] * 8)
    assert weighted_percentile(pairs, 0.5) == 1.0
    assert weighted_percentile(pairs, 0.51) == 100.0
    assert weighted_percentile(pairs, 0.95) == 100.0
