"""When the shared cache is told that the catalogue changed (apps/core/sharedcache.py):
once per committed write, never for a rolled-back one or for a read, and never letting a
shared cache keep an answer rendered across a write."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from apps.catalog.models import Component, Story
from apps.core import sharedcache
from apps.core.cacheheaders import CacheHeadersMiddleware
from apps.core.sharedcache import GENERATION_HEADER, catalogue_changed, current_generation
from tests.cache.conftest import cache_control, public_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def bans(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[list[int | None]]:
    """The generations bans were sent for, with a shared cache configured but not called."""
    sent: list[int | None] = []
    settings.SHARED_CACHE_BAN_URLS = ["http://127.0.0.1:9/"]
    monkeypatch.setattr(sharedcache, "send_ban", lambda generation: sent.append(generation))
    yield sent
    sharedcache.wait_for_bans()


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_raises_the_generation_once_and_bans_at_it(
    story: Story, bans: list[int | None]
) -> None:
    sharedcache.wait_for_bans()
    bans.clear()
    before = current_generation()
    assert before is not None
    with transaction.atomic():
        story.title = "A new title"
        story.save()
        story.components.add(Component.objects.exclude(slug="coredns").first())
        catalogue_changed()
        assert current_generation() == before  # nothing until it commits
        assert bans == []
    # One raise and one ban per transaction, however many rows it wrote.
    assert current_generation() == before + 1
    sharedcache.wait_for_bans(repeated=False)  # sent from a thread, off the request path
    assert bans == [before + 1]
    sharedcache.wait_for_bans()
    # The repeat half a second later bans again, at the generation of then.
    assert bans == [before + 1, before + 1]


@pytest.mark.django_db(transaction=True)
def test_writes_during_the_repeat_window_share_its_ban(
    story: Story, bans: list[int | None]
) -> None:
    first = current_generation()
    assert first is not None
    catalogue_changed()  # outside a transaction: at once
    catalogue_changed()
    catalogue_changed()
    sharedcache.wait_for_bans(repeated=False)
    assert bans == [first + 1]
    sharedcache.wait_for_bans()
    # One repeat covers the two later writes, and one more covers its own in-flight copies.
    assert bans == [first + 1, first + 3, first + 3]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_bans_nothing(story: Story, bans: list[int | None]) -> None:
    sharedcache.wait_for_bans()
    bans.clear()
    before = current_generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        story.title = "Never committed"
        story.save()
        raise RuntimeError
    assert current_generation() == before
    assert bans == []


def test_reading_every_public_page_bans_nothing(
    client: Any, bans: list[int | None], story: Story
) -> None:
    for url in public_urls(story):
        client.get(url)  # warms the stored aggregates, which readers may write
    before = current_generation()
    for url in public_urls(story):
        response = client.get(url)
        assert response[GENERATION_HEADER] == str(before), url
    assert current_generation() == before
    assert bans == []


@pytest.mark.parametrize("write_meanwhile", [False, True])
def test_an_answer_rendered_across_a_write_is_not_shared(
    rf: RequestFactory, story: Story, write_meanwhile: bool
) -> None:
    url = story.get_absolute_url()

    def view(request: HttpRequest) -> HttpResponse:
        if write_meanwhile:
            sharedcache._after_commit()  # another process commits a write while this renders
        return HttpResponse("page")

    request = rf.get(url)
    request.resolver_match = resolve(url)
    middleware = CacheHeadersMiddleware(lambda r: view(r))
    before = current_generation()
    middleware.process_view(request, view, (), {})
    response = middleware(request)
    if write_meanwhile:
        assert "private" in cache_control(response) and "no-store" in cache_control(response)
        assert response[GENERATION_HEADER] == "moved"
    else:
        assert "public" in cache_control(response)
        assert response[GENERATION_HEADER] == str(before)


def test_nothing_is_shared_when_the_generation_cannot_be_read(
    client: Any, story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sharedcache.cache, "get", lambda *a, **k: None)
    monkeypatch.setattr(sharedcache.cache, "add", lambda *a, **k: False)
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "private" in cache_control(response)
