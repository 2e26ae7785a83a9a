"""Telling the shared cache that the catalogue changed, so it can keep pages until then.

Varnish (`deploy/varnish/default.vcl`) keeps an anonymous catalogue answer for minutes
instead of a second: a page that takes seconds to render at 100k stories is rendered once,
not every second. In exchange, every write that can change a public answer bans the stored
copies. The steps, and why each is there:

1. Every public answer carries `X-Catalogue-Generation: N`, the catalogue generation read
   (from the Django cache, shared by every process) when its request began. Varnish keeps
   only answers that carry one (`CacheHeadersMiddleware` in apps/core/cacheheaders.py).
2. A write calls `catalogue_changed()` inside its transaction (signals on the catalogue's
   models, the import, the search index, the aggregate refresh). Once it commits, the
   generation is raised and Varnish is sent `BAN` with the new generation: every stored
   answer of another generation is dropped, and the next reader gets a fresh render.
3. A render that began before the commit and ends after the raise carries an old
   generation: the middleware sees the generation moved while it ran and does not let any
   shared cache keep that answer.
4. A render that ended just before the raise may still be on its way into Varnish when the
   ban arrives, and be stored after it. Each ban is therefore sent again
   `REPEAT_BAN_SECONDS` later: it drops that copy too. Writes in between are covered by the
   repeat (which bans at the newest generation), so a burst of writes costs a ban every
   half second, not one per write.

So a write is on every page, feed and API answer at once, and at worst
`REPEAT_BAN_SECONDS` later. Bans are sent only to `SHARED_CACHE_BAN_URLS` (none: nothing is
sent, as in tests and development without Varnish).

No ban is sent on the request path: a thread of the process that committed sends the first
one at once, and a timer the repeat, so a moderator's approval never waits on an unreachable
Varnish (two attempts of `BAN_TIMEOUT_SECONDS` each). Not a Celery task: a worker busy with a
link-check run would hold the ban back past the second promised above, and without a
broker the task would run on the request path again. A ban neither attempt delivered is
handed to the worker (`apps.core.tasks.ban_shared_cache`), which retries it with backoff
while Varnish can still hold the stale pages; without a broker it is only logged. Varnish's
own lifetime for a page (minutes) bounds how long a page could then be stale.
The generation lives in the Django cache: with several processes it must be a shared one
(Redis), as the rate limits already require. When it cannot be read, nothing is shared.
"""

import logging
import threading
import time
import urllib.request
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "sharedcache:catalogue-generation"
GENERATION_HEADER = "X-Catalogue-Generation"
# Its value on an answer during which the generation moved (never stored).
GENERATION_MOVED = "moved"
REPEAT_BAN_SECONDS = 0.5
BAN_TIMEOUT_SECONDS = 0.5
RETRY_TASK = "apps.core.tasks.ban_shared_cache"
RETRY_PENDING_KEY = "sharedcache:ban-retry-pending:"
# As long as the worker's retries last (apps/core/tasks.py), so one that gave up lets the
# next failure hand over a new one.
RETRY_PENDING_SECONDS = 600

_lock = threading.Lock()
_repeat: threading.Timer | None = None
_changed_since_ban = False
_senders: set[threading.Thread] = set()


def current_generation() -> int | None:
    """The catalogue generation, started on first use; None when the cache is unreachable."""
    try:
        value = cache.get(GENERATION_KEY)
        if value is None:
            # Unique across restarts of an emptied cache, so no stored answer matches it.
            cache.add(GENERATION_KEY, time.time_ns() // 1000, timeout=None)
            value = cache.get(GENERATION_KEY)
    except Exception:  # a cache backend that fails open returns None instead
        logger.warning("could not read the catalogue generation", exc_info=True)
        return None
    return value if isinstance(value, int) else None


def _raise_generation() -> int | None:
    try:
        if current_generation() is None:
            return None
        return int(cache.incr(GENERATION_KEY))
    except Exception:
        logger.warning("could not raise the catalogue generation", exc_info=True)
        return None


def catalogue_changed() -> None:
    """Call inside (or outside) the transaction of a write that can change a public answer."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _after_commit()
        return
    # One callback per transaction, however many rows it writes (a savepoint rolled back
    # takes its callbacks with it, so this looks at what is still queued).
    if any(entry[1] is _after_commit for entry in connection.run_on_commit):
        return
    transaction.on_commit(_after_commit, robust=True)


def _after_commit() -> None:
    global _repeat, _changed_since_ban
    generation = _raise_generation()
    if not settings.SHARED_CACHE_BAN_URLS:
        return
    with _lock:
        if _repeat is not None:
            _changed_since_ban = True  # the repeat already on its way covers this write
            return
        _repeat = _start_repeat()
        # Not a daemon either; off the request path, so a Varnish that does not answer
        # delays no one.
        sender = threading.Thread(target=_send_tracked, args=(generation,), name="shared-cache-ban")
        _senders.add(sender)
        sender.start()


def _send_tracked(generation: int | None) -> None:
    """send_ban, from a thread that wait_for_bans waits for until it is done."""
    try:
        send_ban(generation)
    finally:
        with _lock:
            _senders.discard(threading.current_thread())


def _start_repeat() -> threading.Timer:
    # Not a daemon: a command that writes and exits still sends its repeat.
    timer = threading.Timer(REPEAT_BAN_SECONDS, _repeat_ban)
    timer.start()
    return timer


def _repeat_ban() -> None:
    global _repeat, _changed_since_ban
    with _lock:
        _repeat = _start_repeat() if _changed_since_ban else None
        _changed_since_ban = False
        _senders.add(threading.current_thread())
    _send_tracked(current_generation())


def ban(url: str, generation: int | None) -> None:
    """Ask the shared cache at `url` to drop what is not of `generation` (everything with
    None). Raises OSError when it did not say it did."""
    headers = {GENERATION_HEADER: str(generation)} if generation is not None else {}
    request = urllib.request.Request(url, method="BAN", headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=BAN_TIMEOUT_SECONDS) as response:  # noqa: S310
        response.read()


def send_ban(generation: int | None) -> bool:
    """Ban in every shared cache, twice at most each; hand what failed to the worker.
    True when each one took the ban."""
    ok = True
    for url in settings.SHARED_CACHE_BAN_URLS:
        for attempt in (1, 2):
            try:
                ban(url, generation)
                break
            except OSError as error:  # urllib.error.URLError is one
                if attempt == 2:
                    ok = False
                    logger.error("shared cache %s did not take the ban: %s", url, error)
                    _retry_later(url)
    return ok


def _retry_later(url: str) -> None:
    """Hand an undelivered ban to the worker, unless a retry for `url` is already pending:
    it bans at the generation of its next attempt, which covers this write too. So a
    Varnish down during an import costs one retrying task, not two a second."""
    from celery import current_app

    if current_app.conf.task_always_eager:
        return  # no worker to come back later; an eager task would retry at once
    # The cache fails open (config/cache.py): out of reach, it reads as a retry pending.
    if not cache.add(RETRY_PENDING_KEY + url, 1, timeout=RETRY_PENDING_SECONDS):
        return
    try:
        current_app.send_task(RETRY_TASK, args=[url], countdown=1, retry=False, ignore_result=True)
    except Exception as exc:  # the broker out of reach too (the ban's failure is logged)
        cache.delete(RETRY_PENDING_KEY + url)
        logger.warning("shared cache %s: could not hand the ban to the worker: %s", url, exc)


def retried(url: str) -> None:
    """The worker's retry for `url` got its ban through: the next failure needs a new one."""
    cache.delete(RETRY_PENDING_KEY + url)


def wait_for_bans(timeout: float = 5.0, *, repeated: bool = True) -> None:
    """Block until the first bans (and, with `repeated`, the repeats) pending are sent
    (tests, and commands about to exit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            pending: list[Any] = [*_senders, *([_repeat] if repeated and _repeat else [])]
        if not pending:
            return
        pending[0].join(max(0.0, deadline - time.monotonic()))
