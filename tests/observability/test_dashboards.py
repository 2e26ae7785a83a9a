"""The example alert rules and Grafana dashboard name only metrics /metrics exposes."""

import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client

from tests.observability.conftest import LOCAL

pytestmark = pytest.mark.django_db

DEPLOY = Path(settings.BASE_DIR) / "deploy"
METRIC = re.compile(r"\bkfs_[a-z0-9_]+\b")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
}


def alert_expressions() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text(encoding="utf-8"))
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "kfs.json").read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def exposed_names(client: Client) -> set[str]:
    """Every series name /metrics can produce, from its TYPE lines: a counter or histogram
    with no observation yet is declared there all the same."""
    text = client.get("/metrics", **LOCAL).content.decode()
    names = set()
    for family, kind in re.findall(r"^# TYPE (kfs_\S+) (\w+)$", text, re.MULTILINE):
        base = family.removesuffix("_total") if kind == "counter" else family
        names.update(base + suffix for suffix in SUFFIXES[kind])
    return names


@pytest.mark.parametrize(
    "source", [alert_expressions, dashboard_expressions], ids=["alerts", "dashboard"]
)
def test_every_metric_named_is_exposed(client: Client, metrics_on, source) -> None:  # type: ignore[no-untyped-def]
    exposed = exposed_names(client)
    named = {name for expr in source() for name in METRIC.findall(expr)}
    assert named, "no kfs_ metric found: the file's layout changed"
    assert named <= exposed, f"not exposed by /metrics: {sorted(named - exposed)}"


def test_every_alert_has_a_summary_and_severity() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text(encoding="utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
            assert rule["annotations"]["summary"], rule["alert"]


def test_the_dashboard_covers_the_deliverables() -> None:
    exprs = " ".join(dashboard_expressions())
    for name in (
        "kfs_http_request_duration_seconds_bucket",
        "kfs_http_responses_total",
        "kfs_http_request_db_queries_sum",
        "kfs_cache_reads_total",
        "kfs_celery_tasks_total",
        "kfs_outbox_oldest_pending_age_seconds",
        "kfs_scheduler_lease_held",
        "kfs_linkcheck_results_total",
        "kfs_upstream_sync_results_total",
    ):
        assert name in exprs, name
