"""Run inside a Django process started by test_dead_services.py, whose environment points
CELERY_BROKER_URL (and maybe CACHE_URL) at a closed or silent port. Submits on the web with
an email, approves on the moderation page and by the API, and prints each request's status
and duration as JSON on the last line of its output."""

import json
import sys
import threading
import time
import traceback
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client
from django.test.utils import setup_test_environment
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.catalog.models import ImpactKind
from apps.catalog.refresh import QUEUED_KEY
from apps.core import outbox
from apps.submissions.models import Submission
from config import cache as cache_backend
from tests.factories import (
    ComponentAreaFactory,
    ComponentFactory,
    MitigationFactory,
    PlatformFactory,
)
from tests.submissions.conftest import make_payload
from tests.submissions.webforms import form_data


def _taxonomy() -> None:
    area = ComponentAreaFactory(slug="networking", name="Networking")
    ComponentFactory(slug="dns", name="DNS", area=area, position=0)
    ComponentFactory(slug="coredns", name="CoreDNS", area=area, position=1)
    PlatformFactory(slug="aws", name="AWS")
    ImpactKind.objects.get_or_create(slug="outage", defaults={"name": "Outage"})
    MitigationFactory(slug="node-local-dns", title="NodeLocal DNSCache")


def _timed(call: Any) -> tuple[Any, float]:
    # As if each request came long after the last failure: no pause skips the wait on the
    # unreachable broker or cache, so the timeouts themselves are measured.
    outbox._paused_until = 0.0
    cache_backend._paused_until = 0.0
    # A request still running after 3 s leaves its stack on stderr, to show where. Read
    # from Python (not faulthandler's watchdog, which can crash a busy process as it walks
    # the frames without the GIL).
    caller = threading.get_ident()
    watchdog = threading.Timer(3.0, _print_stack_of, args=(caller,))
    watchdog.start()
    started = time.monotonic()
    response = call()
    elapsed = time.monotonic() - started
    watchdog.cancel()
    return response, elapsed


def _print_stack_of(thread_id: int) -> None:
    frame = sys._current_frames().get(thread_id)
    if frame is not None:
        print("Still running after 3 s:", file=sys.stderr)
        traceback.print_stack(frame, file=sys.stderr)


def _payload(number: int) -> dict[str, Any]:
    return make_payload(
        title=f"Story {number}: CoreDNS ran out of memory",
        sources=[{"url": f"https://blog.example.org/dead-broker-{number}", "kind": "postmortem"}],
    )


def _round(browser: Client, moderation: Client, api: APIClient, first: int) -> dict[str, Any]:
    """Submit on the web with an email, approve on the moderation page; again, approved by
    the API. Each request's status and seconds."""
    results: dict[str, Any] = {}
    response, elapsed = _timed(
        lambda: browser.post("/submit/", form_data(_payload(first), email="reader@example.org"))
    )
    web = Submission.objects.order_by("-pk").first()
    assert web is not None
    results["web_submit"] = {"status": response.status_code, "seconds": elapsed}
    response, elapsed = _timed(
        lambda: moderation.post(
            f"/moderation/{web.pk}/", {"action": "approve", "version": str(web.version)}
        )
    )
    results["web_approve"] = {"status": response.status_code, "seconds": elapsed}

    response, elapsed = _timed(
        lambda: browser.post("/submit/", form_data(_payload(first + 1), email="o@example.org"))
    )
    second = Submission.objects.order_by("-pk").first()
    assert second is not None and second.pk != web.pk
    results["web_submit_2"] = {"status": response.status_code, "seconds": elapsed}
    etag = api.get(f"/api/v1/submissions/{second.pk}/")["ETag"]
    response, elapsed = _timed(
        lambda: api.post(
            f"/api/v1/submissions/{second.pk}/approve/", {}, format="json", HTTP_IF_MATCH=etag
        )
    )
    results["api_approve"] = {"status": response.status_code, "seconds": elapsed}
    # The approvals left catalogue changes pending: the first reader asks for a refresh.
    cache.delete(QUEUED_KEY)
    response, elapsed = _timed(lambda: browser.get("/"))
    results["home"] = {"status": response.status_code, "seconds": elapsed}
    return results


def main() -> None:
    setup_test_environment()
    _taxonomy()
    moderator = User.objects.create_user("mona", password="pw-mona-long-enough")
    moderator.groups.add(Group.objects.get_or_create(name="moderator")[0])
    browser = Client()
    moderation = Client()
    moderation.force_login(moderator)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=moderator).key}")
    # A first round warms up imports and templates, which are not what is measured.
    _round(browser, moderation, api, first=1)
    print(json.dumps(_round(browser, moderation, api, first=3)))
