"""Leader election for the periodic scheduler, on a database row."""

import datetime

from django.db.models import Case, F, Q, When
from django.utils import timezone

from apps.core.models import SchedulerLease


def lease_acquire_or_renew(*, name: str, holder: str, duration: datetime.timedelta) -> bool:
    """Take or keep the lease `name` for `duration`. True when `holder` now holds it.

    One conditional UPDATE decides, so of two contenders at most one wins, on SQLite and
    PostgreSQL alike. A lease held by another is the standby's normal state, not an error:
    it is answered without an INSERT, which PostgreSQL would log as a duplicate key on
    every attempt. Only the very first claim inserts, under the unique name.
    """
    now = timezone.now()
    claimed = (
        SchedulerLease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(expires_at__lte=now))
        .update(
            transitions=Case(
                When(holder=holder, then=F("transitions")), default=F("transitions") + 1
            ),
            acquired_at=Case(When(holder=holder, then=F("acquired_at")), default=now),
            holder=holder,
            renewed_at=now,
            expires_at=now + duration,
        )
    )
    if claimed:
        return True
    if SchedulerLease.objects.filter(name=name).exists():
        return False  # held by another, unexpired
    return _claim_first(name=name, holder=holder, now=now, duration=duration)


def _claim_first(
    *, name: str, holder: str, now: datetime.datetime, duration: datetime.timedelta
) -> bool:
    # The first claim ever. Two contenders started together both get here: the unique name
    # lets one row in, and the other's INSERT is skipped (ON CONFLICT DO NOTHING, INSERT OR
    # IGNORE), not refused with an error that PostgreSQL would log.
    SchedulerLease.objects.bulk_create(
        [
            SchedulerLease(
                name=name,
                holder=holder,
                acquired_at=now,
                renewed_at=now,
                expires_at=now + duration,
                transitions=1,
            )
        ],
        ignore_conflicts=True,
    )
    # Holder names are unique per process, so the row is ours only if this INSERT wrote it.
    return SchedulerLease.objects.filter(name=name, holder=holder).exists()


def lease_release(*, name: str, holder: str) -> None:
    """Give the lease up at once (on clean shutdown) so a standby need not wait."""
    SchedulerLease.objects.filter(name=name, holder=holder).update(expires_at=timezone.now())


def lease_holder(name: str) -> SchedulerLease | None:
    return SchedulerLease.objects.filter(name=name, expires_at__gt=timezone.now()).first()
