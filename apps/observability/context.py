"""The request ID of the work in progress, for log lines and for tasks it enqueues.

A request takes the ID its caller sent in X-Request-ID when that is well formed (a proxy
or load balancer in front may have chosen it), or a new one; a Celery task takes the ID
of the request that enqueued it from its message headers. One context variable holds it,
so every log line written meanwhile, in any module, can name it.
"""

import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators, at most 128: enough for UUIDs and the IDs proxies
# make, and nothing that could forge a log field or a second header line.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def well_formed(value: str) -> bool:
    return _WELL_FORMED.fullmatch(value) is not None


def new_request_id() -> str:
    return uuid.uuid4().hex
