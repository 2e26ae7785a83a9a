"""Print the site benchmark's Markdown table from the files bench/run collected.

Standard library only: it runs outside Django. Inputs, all in one run folder:
  endpoints.tsv         name<TAB>path, in the order to print
  inprocess.json        bench_pages --json output (uncached in-process latency, SQL queries)
  wrk/<name>.app.txt    wrk --latency against gunicorn
  wrk/<name>.static.txt wrk --latency against nginx serving the page's saved bytes
  wrk/<name>.cache.txt  wrk --latency through Varnish (deploy/varnish/default.vcl), with
  wrk/<name>.cache.before, .after  Varnish's "hits misses passes fetches" counters around
                        that run (fetches: requests Varnish sent to gunicorn)
  wrk/<name>.cache.fill  seconds the request that filled the cache before that run took
  rss.before, rss.after RSS in KiB of each gunicorn worker, one a line
  import.time, reimport.time  /usr/bin/time -v output of import_stories (optional)
  meta.txt              lines printed above the table
"""

import json
import re
import sys
from pathlib import Path

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def wrk_numbers(path: Path) -> dict[str, float]:
    """req/s, p50 and p99 (ms) and errors (non-2xx/3xx plus socket errors) from wrk output."""
    if not path.exists():
        return {}
    text = path.read_text()
    found: dict[str, float] = {"errors": 0.0}
    match = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if match:
        found["rps"] = float(match[1])
    for label, key in (("50%", "p50"), ("99%", "p99")):
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
        if match:
            found[key] = float(match[1]) * UNITS_MS[match[2]]
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if match:
        found["errors"] += int(match[1])
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if match:
        # Sync gunicorn workers close every connection, so "read" errors are reconnects.
        found["errors"] += int(match[1]) + int(match[3]) + int(match[4])
    return found


def time_numbers(path: Path) -> str:
    if not path.exists():
        return "not run"
    text = path.read_text()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    status = re.search(r"Exit status: (\d+)", text)
    seconds = 0.0
    for part in (wall[1] if wall else "0").split(":"):
        seconds = seconds * 60 + float(part)
    failed = f", exit status {status[1]}" if status and status[1] != "0" else ""
    peak = f", peak RSS {int(rss[1]) / 1024:.0f} MiB" if rss else ""
    return f"{seconds:.1f} s{peak}{failed}"


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def rss_line(run: Path) -> str:
    def read(name: str) -> list[int]:
        path = run / name
        return [int(v) for v in path.read_text().split()] if path.exists() else []

    before, after = read("rss.before"), read("rss.after")
    if not before:
        return "not measured"

    def mib(values: list[int]) -> str:
        return "/".join(f"{v / 1024:.0f}" for v in values) + " MiB"

    return f"{mib(before)} before, {mib(after)} after"


def cache_counts(run: Path, name: str) -> list[int]:
    """Varnish's hits, misses, passes and fetches from gunicorn during the cached run."""
    before, after = (run / "wrk" / f"{name}.cache.{when}" for when in ("before", "after"))
    if not before.exists() or not after.exists():
        return []
    counts = [
        b - a
        for a, b in zip(
            map(int, before.read_text().split()), map(int, after.read_text().split()), strict=True
        )
    ]
    return counts + [-1] * (4 - len(counts))  # older runs did not count fetches


def hit_share(run: Path, name: str) -> str:
    """Share of the requests of the cached run that Varnish answered from memory."""
    counts = cache_counts(run, name)
    total = sum(counts[:3])
    return f"{100 * counts[0] / total:.2f}" if total else "-"


def fetches(run: Path, name: str) -> str:
    """Requests Varnish sent to gunicorn during the cached run (background refreshes too)."""
    counts = cache_counts(run, name)
    return str(counts[3]) if counts and counts[3] >= 0 else "-"


def fill_ms(run: Path, name: str) -> str:
    path = run / "wrk" / f"{name}.cache.fill"
    try:
        return ms(float(path.read_text()) * 1000)
    except (OSError, ValueError):
        return "-"


def ratio(numerator: dict[str, float], denominator: dict[str, float], digits: int) -> str:
    if numerator.get("rps") and denominator.get("rps"):
        return f"{numerator['rps'] / denominator['rps']:.{digits}f}"
    return "-"


def main(run: Path) -> None:
    endpoints = [line.split("\t", 1) for line in (run / "endpoints.tsv").read_text().splitlines()]
    inprocess = {row["name"]: row for row in json.loads((run / "inprocess.json").read_text())}
    meta = run / "meta.txt"
    if meta.exists():
        print(meta.read_text().rstrip() + "\n")
    print(
        "| endpoint | req/s | p50 ms | p99 ms | errors | static req/s | ratio to static "
        "| cache fill ms | cached req/s | cached p50 ms | cached p99 ms | cached errors "
        "| cache hits % | site fetches | cached ratio to static | in-process p50 ms "
        "| in-process p99 ms | SQL queries | KiB |"
    )
    print("|---|" + "---:|" * 18)
    for name, path in endpoints:
        app = wrk_numbers(run / "wrk" / f"{name}.app.txt")
        static = wrk_numbers(run / "wrk" / f"{name}.static.txt")
        cached = wrk_numbers(run / "wrk" / f"{name}.cache.txt")
        own = inprocess.get(name, {})
        status = "" if own.get("status", 200) == 200 else f" [{own.get('status')}]"
        print(
            f"| {name} `{path}`{status} | {app.get('rps', 0):.1f} | {ms(app.get('p50'))} "
            f"| {ms(app.get('p99'))} | {app.get('errors', 0):.0f} | {static.get('rps', 0):.0f} "
            f"| {ratio(app, static, 4)} | {fill_ms(run, name)} | {cached.get('rps', 0):.0f} "
            f"| {ms(cached.get('p50'))} "
            f"| {ms(cached.get('p99'))} | {cached.get('errors', 0):.0f} | {hit_share(run, name)} "
            f"| {fetches(run, name)} "
            f"| {ratio(cached, static, 2)} | {ms(own.get('p50_ms'))} | {ms(own.get('p99_ms'))} "
            f"| {own.get('queries', '-')} | {own.get('bytes', 0) / 1024:.0f} |"
        )
    print(
        f"\nimport_stories: {time_numbers(run / 'import.time')}; "
        f"re-import, nothing changed: {time_numbers(run / 'reimport.time')}"
    )
    print(f"gunicorn worker RSS: {rss_line(run)}")


if __name__ == "__main__":
    if sys.argv[1] == "--import":  # --import PREFIX: PREFIX.import.time, PREFIX.reimport.time
        prefix = sys.argv[2]
        print(
            f"import_stories: {time_numbers(Path(prefix + '.import.time'))}; "
            f"re-import, nothing changed: {time_numbers(Path(prefix + '.reimport.time'))}"
        )
    else:
        main(Path(sys.argv[1]))
