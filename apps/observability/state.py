"""The scrape-time view of the database state, and the exposition /metrics answers.

Apart from apps.observability.metrics, which any process imports early (the cache backend,
Celery's signals), so that only the /metrics view reads models.
"""

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from apps.catalog.models import Source
from apps.core.beat import LEASE_NAME
from apps.core.models import OutboxEntry, SchedulerLease
from apps.observability.metrics import recording_registry


class DatabaseStateCollector:
    """Gauges read from the database at scrape time: the outbox, the scheduler lease and
    broken links. If the database cannot answer, kfs_database_up is 0 and the rest absent."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "kfs_database_up", "1 when the database answered this scrape's state queries."
        )
        try:
            families = list(self._families())
        except Exception:  # a scrape during a database outage still answers
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        now = timezone.now()
        pending = OutboxEntry.objects.pending().aggregate(
            oldest=Min("created_at"), count=Count("pk")
        )
        depth = GaugeMetricFamily("kfs_outbox_pending", "Outbox entries not yet sent.")
        depth.add_metric([], pending["count"])
        age = GaugeMetricFamily(
            "kfs_outbox_oldest_pending_age_seconds",
            "Age of the oldest unsent outbox entry (0 when none is pending).",
        )
        oldest = pending["oldest"]
        age.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        yield depth
        yield age

        lease = SchedulerLease.objects.filter(name=LEASE_NAME).first()
        held = lease is not None and lease.expires_at > now
        holder = GaugeMetricFamily(
            "kfs_scheduler_lease_held", "1 while some beat process holds an unexpired lease."
        )
        holder.add_metric([], 1 if held else 0)
        info = GaugeMetricFamily(
            "kfs_scheduler_lease_holder",
            "The process holding the lease (value 1).",
            labels=["holder"],
        )
        if lease is not None and held:
            info.add_metric([lease.holder], 1)
        renewed = GaugeMetricFamily(
            "kfs_scheduler_lease_renewal_age_seconds",
            "Seconds since the lease was last taken or renewed (absent before the first).",
        )
        transitions = GaugeMetricFamily(
            "kfs_scheduler_lease_transitions",
            "How many times the lease changed hands (from the lease row).",
        )
        if lease is not None:
            renewed.add_metric([], (now - lease.renewed_at).total_seconds())
            transitions.add_metric([], lease.transitions)
        yield from (holder, info, renewed, transitions)

        broken = GaugeMetricFamily(
            "kfs_sources_broken", "Sources of published stories whose link is marked broken."
        )
        broken.add_metric([], Source.objects.public().filter(is_broken=True).count())
        yield broken


def exposition() -> bytes:
    """The text exposition of every metric, as /metrics answers it."""
    recorded = generate_latest(recording_registry())
    return recorded + generate_latest(DatabaseStateCollector())  # type: ignore[arg-type]
