"""The deployment's Varnish (deploy/varnish/default.vcl) in front of a live server.

Needs varnishd (apt-get install varnish): skipped without it, a failure under
KFS_REQUIRE_SERVICES=1.
"""

import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from apps.catalog.models import Story
from apps.catalog.services import StoryChanges, story_edit
from apps.core import sharedcache
from apps.core.sharedcache import GENERATION_HEADER, GENERATION_KEY, current_generation
from apps.submissions.services import (
    story_retract,
    submission_approve,
    submission_create,
)
from tests.submissions.conftest import make_payload

VCL = Path(settings.BASE_DIR) / "deploy" / "varnish" / "default.vcl"
# What the VCL promises: nothing delivered is older than this after the write it missed.
FRESH_WITHIN = 1.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def vcl_for(host: str, port: int) -> str:
    """The repository's VCL with its backend pointed at `host:port` instead of compose's web."""
    text = VCL.read_text()
    text, found = re.subn(r'\.host = "[^"]*";', f'.host = "{host}";', text)
    text, found_port = re.subn(r'\.port = "[^"]*";', f'.port = "{port}";', text)
    assert found == found_port == 1, "deploy/varnish/default.vcl has one backend"
    return text


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Varnish:
    url: str

    def get(self, path: str, **headers: str) -> Answer:
        # Always http://127.0.0.1:<port>: no other scheme can reach urlopen.
        request = urllib.request.Request(self.url + path, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, raw, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, raw, body = error.code, error.headers, error.read()
        return Answer(status, {k.lower(): v for k, v in raw.items()}, body.decode())


@pytest.fixture
def varnish(live_server: Any, tmp_path: Path, settings: Any) -> Iterator[Varnish]:
    varnishd = shutil.which("varnishd") or (
        "/usr/sbin/varnishd" if Path("/usr/sbin/varnishd").exists() else None
    )
    if varnishd is None:
        pytest.skip("varnishd not found (apt-get install varnish)")
    backend = urlsplit(live_server.url)
    vcl = tmp_path / "default.vcl"
    vcl.write_text(vcl_for("127.0.0.1", backend.port or 80))
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [
            varnishd,
            "-F",
            "-j",
            "none",
            "-a",
            f"127.0.0.1:{port}",
            "-f",
            str(vcl),
            "-n",
            str(tmp_path / "varnish"),
            "-s",
            "malloc,32m",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    proxy = Varnish(f"http://127.0.0.1:{port}")
    # Writes tell this Varnish, as web and worker tell compose's `cache`.
    settings.SHARED_CACHE_BAN_URLS = [f"{proxy.url}/"]
    try:
        for _ in range(200):
            if process.poll() is not None:
                pytest.fail(f"varnishd exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                proxy.get(reverse("healthz"))
                break
            except OSError:
                time.sleep(0.05)
        yield proxy
    finally:
        sharedcache.wait_for_bans()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_anonymous_pages_are_answered_from_the_cache(varnish: Varnish, story: Story) -> None:
    first = varnish.get(story.get_absolute_url())
    second = varnish.get(story.get_absolute_url())
    assert first.status == second.status == 200
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert second.body == first.body
    # Browsers are told to ask again every time, and other shared caches (which no ban
    # reaches) to keep it a second; this Varnish keeps it until a write bans it.
    assert set(second.headers["cache-control"].replace(" ", "").split(",")) == {
        "public",
        "max-age=0",
        "s-maxage=1",
    }
    assert second.headers[GENERATION_HEADER.lower()] == str(current_generation())
    time.sleep(1.5)
    later = varnish.get(story.get_absolute_url())
    assert later.headers["x-cache"] == "hit" and int(later.headers["age"]) >= 1


def ban(varnish: Varnish, **headers: str) -> int:
    request = urllib.request.Request(varnish.url + "/", method="BAN", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_a_ban_drops_what_other_generations_stored_and_keeps_its_own(
    varnish: Varnish, story: Story
) -> None:
    old, new = reverse("web:home"), story.get_absolute_url()
    # The first reader after the fixture's writes refreshes the stored counts (no broker in
    # tests), which raises the generation while it renders: not stored, and no marker left.
    first = varnish.get(old)
    assert (first.headers["x-cache"], first.headers[GENERATION_HEADER.lower()]) == ("pass", "moved")
    assert varnish.get(old).headers["x-cache"] == "miss"
    generation = sharedcache._raise_generation()  # as a write commits
    assert varnish.get(new).headers["x-cache"] == "miss"
    assert ban(varnish, **{GENERATION_HEADER: str(generation)}) == 200
    assert varnish.get(old).headers["x-cache"] == "miss"
    assert varnish.get(new).headers["x-cache"] == "hit"


def test_only_the_sites_own_processes_may_ban(varnish: Varnish, story: Story) -> None:
    page = story.get_absolute_url()
    varnish.get(page)
    # Relayed by a proxy (the TLS one in production): refused, whoever asked.
    assert ban(varnish, **{"X-Forwarded-For": "203.0.113.9"}) == 403
    assert varnish.get(page).headers["x-cache"] == "hit"
    assert ban(varnish) == 200
    assert varnish.get(page).headers["x-cache"] == "miss"


def test_a_copy_stored_just_after_the_ban_is_dropped_by_the_repeat(
    varnish: Varnish, story: Story
) -> None:
    page = story.get_absolute_url()
    before = current_generation()
    sharedcache.catalogue_changed()  # a write commits: raised, banned, repeat on its way
    sharedcache.wait_for_bans(repeated=False)  # the first ban, sent from a thread
    after = current_generation()
    # A page rendered just before the write reaches Varnish only now, after the ban.
    cache.set(GENERATION_KEY, before, timeout=None)
    stale = varnish.get(page)
    cache.set(GENERATION_KEY, after, timeout=None)
    assert stale.headers["x-cache"] == "miss"
    assert stale.headers[GENERATION_HEADER.lower()] == str(before)
    assert varnish.get(page).headers["x-cache"] == "hit"  # stored after the first ban
    sharedcache.wait_for_bans()
    fresh = varnish.get(page)
    assert fresh.headers["x-cache"] == "miss"
    assert fresh.headers[GENERATION_HEADER.lower()] == str(after)


def test_https_and_plain_http_answers_are_kept_apart(varnish: Varnish, story: Story) -> None:
    # Behind the TLS proxy a plain-HTTP request is redirected; it must never get the HTTPS copy.
    page = story.get_absolute_url()
    assert varnish.get(page, **{"X-Forwarded-Proto": "https"}).headers["x-cache"] == "miss"
    assert varnish.get(page, **{"X-Forwarded-Proto": "https"}).headers["x-cache"] == "hit"
    assert varnish.get(page).headers["x-cache"] == "miss"


def test_nothing_behind_a_session_is_stored_or_served_from_the_cache(
    varnish: Varnish, story: Story, moderator: User
) -> None:
    cookie = session_cookie(moderator)
    page = story.get_absolute_url()
    anonymous = varnish.get(page)
    assert anonymous.headers["x-cache"] == "miss"
    # The moderator's copy comes from the site, never from what the anonymous visit stored...
    for _ in range(2):
        signed_in = varnish.get(page, Cookie=cookie)
        assert signed_in.headers["x-cache"] == "pass"
        assert "Retract this story" in signed_in.body and moderator.username in signed_in.body
        assert "private" in signed_in.headers["cache-control"]
    # ...and is never stored: anonymous visitors still get the anonymous page.
    again = varnish.get(page)
    assert again.headers["x-cache"] == "hit"
    assert "Retract this story" not in again.body and moderator.username not in again.body
    # Moderation pages are never stored, whoever asks.
    for path in (reverse("submissions:queue"), reverse("submissions:submit"), reverse("login")):
        for headers in ({"Cookie": cookie}, {}, {}):
            answer = varnish.get(path, **headers)
            assert answer.headers["x-cache"] != "hit", (path, headers)
            assert "private" in answer.headers["cache-control"], path


def test_a_tracking_page_is_never_stored(varnish: Varnish, story: Story) -> None:
    submission = submission_create(payload=make_payload(title="Tracked story"))
    path = submission.get_tracking_url()
    answers = [varnish.get(path) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert all(a.headers["x-cache"] != "hit" for a in answers)


class Hammer:
    """Keeps every URL hot in the cache from another thread, as real traffic would."""

    def __init__(self, varnish: Varnish, paths: list[str]) -> None:
        self.varnish, self.paths = varnish, paths
        self.hits = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            for path in self.paths:
                if self.varnish.get(path).headers.get("x-cache") == "hit":
                    self.hits += 1

    def __enter__(self) -> "Hammer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def assert_visible_within_a_second(
    varnish: Varnish, since: float, checks: dict[str, Callable[[Answer], bool]]
) -> None:
    """FRESH_WITHIN seconds after `since` (taken as the write returned, committed), every URL
    shows it. A stale answer is reported with its age and catalogue generation."""
    time.sleep(max(0.0, since + FRESH_WITHIN - time.monotonic()))
    stale = {}
    for path, check in checks.items():
        answer = varnish.get(path)
        if not check(answer):
            stale[path] = (
                answer.status,
                answer.headers.get("x-cache"),
                answer.headers.get("age"),
                answer.headers.get(GENERATION_HEADER.lower()),
            )
    assert not stale, f"still stale {FRESH_WITHIN} s after the write: {stale}"


# Writes here run while the live server answers Varnish's fetches; on SQLite's in-memory test
# database both threads would share one connection, which Django forbids doing at once.
@pytest.mark.postgres
def test_approval_edit_and_retraction_show_everywhere_within_a_second(
    varnish: Varnish, story: Story, moderator: User
) -> None:
    title = "CoreDNS ran out of memory during a deploy"
    slug_path = "/stories/2021-example-corp-coredns-ran-out-of-memory-during-a-deploy/"
    lists = [
        reverse("web:home"),
        reverse("web:story-list"),
        reverse("web:story-list") + "?component=coredns",
        reverse("web:component-detail", args=["coredns"]),
        reverse("web:feed-stories"),
        reverse("web:feed-component", args=["coredns"]),
        "/api/v1/stories/",
        "/api/v1/stories/?component=coredns",
    ]
    with Hammer(varnish, [*lists, slug_path]) as hammer:
        time.sleep(FRESH_WITHIN)  # every URL cached, and refreshed at least once
        assert all(title not in varnish.get(path).body for path in lists)
        assert varnish.get(slug_path).status == 404

        # Approval: the new story appears on every list and at its own address.
        submission = submission_create(payload=make_payload(title=title))
        published = submission_approve(
            submission=submission, moderator=moderator, expected_version=submission.version
        )
        since = time.monotonic()
        assert published.get_absolute_url() == slug_path
        api_path = f"/api/v1/stories/{published.slug}/"
        hammer.paths.append(api_path)
        assert_visible_within_a_second(
            varnish,
            since,
            {path: (lambda a: title in a.body) for path in lists}
            | {slug_path: lambda a: a.status == 200, api_path: lambda a: a.status == 200},
        )

        # Edit: the new title everywhere the story is shown.
        edited = "CoreDNS was OOM-killed when a deploy doubled the query rate"
        published = story_edit(
            story=published,
            editor=moderator,
            expected_version=published.version,
            changes=StoryChanges(title=edited),
        )
        since = time.monotonic()
        assert_visible_within_a_second(
            varnish,
            since,
            {path: (lambda a: edited in a.body) for path in [*lists, slug_path, api_path]},
        )

        # Retraction: gone from every list, and its addresses answer 404.
        story_retract(
            story=published, moderator=moderator, expected_version=published.version, reason="x"
        )
        since = time.monotonic()
        assert_visible_within_a_second(
            varnish,
            since,
            {path: (lambda a: edited not in a.body) for path in lists}
            | {slug_path: lambda a: a.status == 404, api_path: lambda a: a.status == 404},
        )
    assert hammer.hits > 0, "the cache answered nothing: the test proved nothing"
