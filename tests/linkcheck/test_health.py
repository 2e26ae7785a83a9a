"""Recording link health, the check_links command, and where readers and admins see it."""

import datetime
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.catalog.models import Source, Story
from apps.linkcheck import health
from apps.linkcheck.fetch import FetchResult
from apps.linkcheck.health import archived_url, check_source, check_sources
from tests.factories import SourceFactory, StoryFactory
from tests.linkcheck.test_fetch import FakeServer, Network

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    return Network(monkeypatch)


@pytest.fixture
def server(network: Network, settings) -> Iterator[FakeServer]:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = True
    settings.LINKCHECK_ENABLED = False
    settings.LINKCHECK_CONNECT_TIMEOUT = 1
    settings.LINKCHECK_READ_TIMEOUT = 1
    settings.LINKCHECK_MAX_REDIRECTS = 5
    settings.LINKCHECK_BROKEN_AFTER = 3
    fake = FakeServer()
    fake.on("/ok")
    fake.on("/missing", 404)
    fake.redirect("/moved", "/ok")
    yield fake
    fake.stop()


def source_at(url: str, **fields: object) -> Source:
    return SourceFactory(url=url, canonical_url=url, **fields)


def test_success_records_the_check(server: FakeServer) -> None:
    source = source_at(server.url("/moved"))
    before = timezone.now()
    checked = check_source(source.pk)
    assert checked is not None
    source.refresh_from_db()
    assert source.last_checked_at is not None and source.last_checked_at >= before
    assert source.last_status_code == 200
    assert source.final_url == server.url("/ok")
    assert (source.consecutive_failures, source.is_broken, source.last_error) == (0, False, "")
    assert checked.final_url == source.final_url


def test_failures_count_up_and_mark_broken_after_n(server: FakeServer) -> None:
    source = source_at(server.url("/missing"))
    for expected in (1, 2):
        check_source(source.pk)
        source.refresh_from_db()
        assert (source.consecutive_failures, source.is_broken) == (expected, False)
    check_source(source.pk)
    source.refresh_from_db()
    assert (source.consecutive_failures, source.is_broken) == (3, True)
    assert source.last_status_code == 404
    assert source.last_error == "HTTP 404 Not Found"
    assert source.final_url == server.url("/missing")


def test_success_resets_a_broken_link(server: FakeServer) -> None:
    source = source_at(
        server.url("/ok"),
        consecutive_failures=7,
        is_broken=True,
        last_status_code=500,
        last_error="HTTP 500 Internal Server Error",
    )
    check_source(source.pk)
    source.refresh_from_db()
    assert (source.consecutive_failures, source.is_broken, source.last_error) == (0, False, "")
    assert source.last_status_code == 200


def test_blocked_address_is_a_failure(server: FakeServer, network: Network, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = False
    settings.LINKCHECK_BROKEN_AFTER = 1
    source = source_at(server.url("/ok"))
    check_source(source.pk)
    source.refresh_from_db()
    assert source.is_broken
    assert source.last_status_code is None
    assert source.last_error == "refused to connect to 127.0.0.1: a loopback address"
    assert network.connections == []


def test_timeout_is_a_failure(server: FakeServer) -> None:
    source = source_at(server.on("/slow", delay=3))
    check_source(source.pk)
    source.refresh_from_db()
    assert source.consecutive_failures == 1
    assert source.last_error == "127.0.0.1 did not answer within 1 s"


def test_saves_only_the_health_fields(server: FakeServer) -> None:
    source = source_at(server.url("/ok"))
    with CaptureQueriesContext(connection) as queries:
        check_source(source.pk)
    (update,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert '"title"' not in update and '"url"' not in update
    assert '"last_checked_at"' in update


def test_missing_id_is_a_no_op(network: Network) -> None:
    assert check_source(987654) is None
    assert network.connections == []


def test_url_changed_during_the_check_is_not_recorded(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = source_at(server.url("/missing"))

    def fetch_while_edited(url: str) -> FetchResult:
        Source.objects.filter(pk=source.pk).update(url=server.url("/ok"))
        return FetchResult(url=url, final_url=url, status_code=404, reason="Not Found")

    monkeypatch.setattr(health, "fetch_url", fetch_while_edited)
    check_source(source.pk)
    source.refresh_from_db()
    assert source.last_checked_at is None
    assert source.consecutive_failures == 0


def test_check_sources_counts_and_carries_on(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_BROKEN_AFTER = 1
    ok = source_at(server.url("/ok"))
    missing = source_at(server.url("/missing"))
    exploding = source_at(server.url("/explode"))
    after = source_at(server.url("/moved"))
    real_fetch = health.fetch_url

    def fetch(url: str) -> FetchResult:
        if url.endswith("/explode"):
            raise RuntimeError("bug")
        return real_fetch(url)

    monkeypatch.setattr(health, "fetch_url", fetch)
    seen: list[list[int]] = []

    def progress(ids: list[int]) -> list[int]:
        seen.append(ids)
        return ids

    ids = [ok.pk, missing.pk, exploding.pk, 123456, after.pk]
    counts = check_sources(ids, progress=progress)
    assert seen == [ids]
    assert counts == {"ok": 2, "failed": 1, "broken": 1, "errors": 1, "missing": 1}
    after.refresh_from_db()
    assert after.last_status_code == 200


def test_archived_url() -> None:
    assert (
        archived_url("https://example.org/post?id=1")
        == "https://web.archive.org/web/*/https://example.org/post?id=1"
    )


# The command -------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("check_links", *args, stdout=out)
    return out.getvalue()


def test_command_refuses_when_disabled(server: FakeServer, network: Network) -> None:
    source_at(server.url("/ok"))
    with pytest.raises(CommandError, match=r"LINKCHECK_ENABLED=false.*--force"):
        run()
    assert network.connections == []
    assert server.requests == []


def test_command_summary(server: FakeServer, network: Network, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_BROKEN_AFTER = 1
    story = StoryFactory(sources=False)
    source_at(server.url("/ok"), story=story)
    source_at(server.url("/moved"), story=story)
    source_at(server.url("/missing"), story=story)
    network.add("metadata.test", "169.254.169.254")
    source_at("http://metadata.test/latest/", story=story)
    draft = source_at(server.url("/ok?draft"), story=StoryFactory(status=Story.Status.DRAFT))

    output = run("--force")
    assert output == "4 link(s) checked: 2 ok, 2 failed (2 broken, 1 blocked).\n"
    draft.refresh_from_db()
    assert draft.last_checked_at is None
    assert "169.254.169.254" not in network.connections


def test_command_for_one_story_when_enabled(server: FakeServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ENABLED = True
    wanted = source_at(server.url("/ok"), story=StoryFactory(sources=False, slug="wanted"))
    other = source_at(server.url("/missing"))
    assert run("--story", "wanted") == "1 link(s) checked: 1 ok, 0 failed (0 broken, 0 blocked).\n"
    wanted.refresh_from_db()
    other.refresh_from_db()
    assert wanted.last_status_code == 200
    assert other.last_checked_at is None


def test_command_unknown_story(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ENABLED = True
    with pytest.raises(CommandError, match="No story with slug: nope"):
        run("--story", "nope")


# Where it shows ----------------------------------------------------------------------


def sources_section(html: str) -> str:
    return html.split('<ul class="sources">', 1)[1].split("</ul>", 1)[0]


def test_story_page_shows_link_health_in_sources_only(client: Client) -> None:
    story = StoryFactory(sources=False)
    checked_at = datetime.datetime(2024, 3, 9, 12, tzinfo=datetime.UTC)
    SourceFactory(story=story, url="https://example.org/never", canonical_url="https://a.test/1")
    SourceFactory(
        story=story,
        url="https://example.org/fine",
        canonical_url="https://a.test/2",
        last_checked_at=checked_at,
        last_status_code=200,
    )
    SourceFactory(
        story=story,
        url="https://example.org/gone",
        canonical_url="https://a.test/3",
        last_checked_at=checked_at,
        last_status_code=404,
        consecutive_failures=3,
        is_broken=True,
    )
    html = client.get(story.get_absolute_url()).content.decode()
    items = sources_section(html).split("<li>")[1:]
    never, fine, gone = (item for item in items)
    assert "link-health" not in never
    assert 'checked <time datetime="2024-03-09T12:00:00+00:00">9 Mar 2024</time>' in fine
    assert "broken" not in fine
    assert "link appears broken" in gone
    assert 'href="https://web.archive.org/web/*/https://example.org/gone"' in gone
    assert "archived copy" in gone
    assert html.count("link-health") == 2


def test_admin_shows_health_read_only_and_filters_broken(admin_client: Client) -> None:
    broken = SourceFactory(is_broken=True, consecutive_failures=3, last_error="HTTP 410 Gone")
    fine = SourceFactory()
    listing = admin_client.get("/admin/catalog/source/?is_broken__exact=1").content.decode()
    assert broken.url in listing
    assert fine.url not in listing
    page = admin_client.get(f"/admin/catalog/source/{broken.pk}/change/").content.decode()
    assert "HTTP 410 Gone" in page
    assert 'name="last_error"' not in page
    assert 'name="consecutive_failures"' not in page
    story_page = admin_client.get(f"/admin/catalog/story/{broken.story.pk}/change/")
    assert story_page.status_code == 200
    assert "HTTP 410 Gone" in story_page.content.decode()
