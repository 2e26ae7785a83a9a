"""A celery beat scheduler that acts only while it holds the scheduler lease.

Run several beat processes for availability: one holds the lease and dispatches; the
others keep trying and take over once the holder stops renewing (crash, partition,
shutdown). A holder that has not renewed within the lease duration re-checks before it
dispatches anything, so a paused process cannot act on a lease it has lost.
"""

import datetime
import logging
import os
import socket
import time
import uuid
from typing import Any

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import close_old_connections
from prometheus_client import Counter

from apps.core.lease import lease_acquire_or_renew, lease_release

logger = logging.getLogger(__name__)
LEASE_NAME = "celery-beat"
LEASE_RENEWALS = Counter(
    "kfs_scheduler_lease_attempts",
    "Scheduler lease acquire-or-renew attempts by this process, by outcome "
    "(leader, standby, error).",
    ["outcome"],
)


class LeaderScheduler(PersistentScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_duration = datetime.timedelta(seconds=settings.SCHEDULER_LEASE_SECONDS)
        self.renew_every = float(settings.SCHEDULER_RENEW_SECONDS)
        self.is_leader = False
        self._renewed_at = float("-inf")
        self._next_attempt = 0.0
        super().__init__(*args, **kwargs)

    def _refresh_lease(self) -> None:
        close_old_connections()
        try:
            leader = lease_acquire_or_renew(
                name=LEASE_NAME, holder=self.holder, duration=self.lease_duration
            )
        except Exception:  # a database hiccup must not kill beat
            logger.exception("scheduler lease: could not reach the database")
            LEASE_RENEWALS.labels("error").inc()
            leader = False
        LEASE_RENEWALS.labels("leader" if leader else "standby").inc()
        now = time.monotonic()
        if leader:
            self._renewed_at = now
        if leader != self.is_leader:
            logger.info("scheduler lease: %s is %s", self.holder, "leader" if leader else "standby")
        self.is_leader = leader
        self._next_attempt = now + self.renew_every

    def tick(self, *args: Any, **kwargs: Any) -> float:
        now = time.monotonic()
        stale = now - self._renewed_at >= self.lease_duration.total_seconds()
        if now >= self._next_attempt or (self.is_leader and stale):
            self._refresh_lease()
        if not self.is_leader:
            return min(self.renew_every, self.max_interval)
        return min(super().tick(*args, **kwargs), self.renew_every)

    def close(self) -> None:
        if self.is_leader:
            try:
                lease_release(name=LEASE_NAME, holder=self.holder)
            except Exception:
                logger.exception("scheduler lease: could not release")
        super().close()
