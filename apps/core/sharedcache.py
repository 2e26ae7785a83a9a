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
sent, as in tests and development without Varnish). A ban that cannot be delivered is
logged; Varnish's own lifetime for a page (minutes) bounds how long it could then be stale.
The generation lives in the Django cache: with several processes it must be a shared one
(Redis), as the rate limits already require. When it cannot be read, nothing is shared.
"""

import logging
import threading
import time
import urllib.error
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

_lock = threading.Lock()
_repeat: threading.Timer | None = None
_changed_since_ban = False


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
    send_ban(generation)


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
    send_ban(current_generation())


def send_ban(generation: int | None) -> bool:
    """Ask every shared cache to drop what is not of `generation` (everything with None).
    True when each one said it did."""
    ok = True
    for url in settings.SHARED_CACHE_BAN_URLS:
        headers = {GENERATION_HEADER: str(generation)} if generation is not None else {}
        request = urllib.request.Request(url, method="BAN", headers=headers)  # noqa: S310
        for attempt in (1, 2):
            try:
                with urllib.request.urlopen(request, timeout=BAN_TIMEOUT_SECONDS) as response:  # noqa: S310
                    response.read()
                break
            except (OSError, urllib.error.URLError) as error:
                if attempt == 2:
                    ok = False
                    logger.error("shared cache %s did not take the ban: %s", url, error)
    return ok


def wait_for_bans(timeout: float = 5.0) -> None:
    """Block until no repeated ban is pending (tests, and commands about to exit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            timer: Any = _repeat
        if timer is None:
            return
        timer.join(max(0.0, deadline - time.monotonic()))
