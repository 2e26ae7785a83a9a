"""The one rule for a background task that meets an outage: retry it, never drop it.

A task that gives up on a database error loses its work for good: the outbox counts an entry
as done once the broker has it, and beat sends a periodic task once per period. A PostgreSQL
restart in the rehearsal (deploy/rehearsal.py) lost notification emails that way. So every
task that touches the database retries `DATABASE_OUTAGE` with exponential backoff, 10 times
over at most 17 minutes (1,023 s; jittered, about 8 on average). The retry runs on a fresh
connection (Celery's Django fixup closes an unusable one after each task); the task must be
safe to run again, as acks_late already requires.
"""

from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

# The database out of reach, restarting or failing over (a dropped connection is
# OperationalError on PostgreSQL, InterfaceError once Django has seen it closed).
DATABASE_OUTAGE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
MAX_RETRIES = 10
MAX_BACKOFF_SECONDS = 600


def task_retrying_outages(
    *also: type[Exception], max_retries: int = MAX_RETRIES, **options: Any
) -> Callable[[Callable[..., Any]], Any]:
    """`shared_task(acks_late=True)` that retries a database outage, and the errors in
    `also`, with backoff. Other options go to `shared_task` as they are."""
    return shared_task(  # type: ignore[no-any-return]
        acks_late=True,
        autoretry_for=(*DATABASE_OUTAGE, *also),
        max_retries=max_retries,
        retry_backoff=True,
        retry_backoff_max=MAX_BACKOFF_SECONDS,
        **options,
    )
