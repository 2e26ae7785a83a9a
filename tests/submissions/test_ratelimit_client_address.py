"""The submission limits count clients by apps.core.clientip, like the API throttles."""

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.test import RequestFactory

from apps.submissions.ratelimit import RateLimited, check_submission, client_address, client_key


def request(address: str = "10.0.0.2", forwarded: str | None = None) -> HttpRequest:
    meta = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    made = RequestFactory().post("/submit/", REMOTE_ADDR=address, **meta)
    made.user = AnonymousUser()
    return made


@pytest.fixture
def one_per_address(settings: Any) -> None:
    settings.SUBMISSION_RATE_PER_IP = "1/hour"


def allowed(made: HttpRequest) -> bool:
    try:
        check_submission(made)
    except RateLimited:
        return False
    return True


def test_client_address_is_the_core_answer(settings: Any) -> None:
    assert client_address(request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    assert client_address(request("::FFFF:203.0.113.7")) == "203.0.113.7"
    assert client_address(request("")) == "unknown"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request("10.0.0.2", "198.51.100.1")) == "198.51.100.1"


@pytest.mark.usefixtures("one_per_address")
def test_by_default_forged_headers_buy_nothing() -> None:
    assert allowed(request("203.0.113.7", "198.51.100.1"))
    assert not allowed(request("203.0.113.7", "198.51.100.2"))
    assert not allowed(request("203.0.113.7"))


@pytest.mark.usefixtures("one_per_address")
def test_behind_one_proxy_clients_are_counted_apart(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert allowed(request(forwarded="198.51.100.1"))
    assert allowed(request(forwarded="198.51.100.2"))
    assert not allowed(request(forwarded="198.51.100.1"))
    # A spoofed leftmost entry does not make the same client someone new.
    assert not allowed(request(forwarded="6.6.6.6, 198.51.100.1"))
    # Neither does the same address written another way.
    assert client_key(request(forwarded="2001:DB8::1")) == client_key(
        request(forwarded="2001:db8:0::0:1")
    )


@pytest.mark.usefixtures("one_per_address")
def test_behind_trusted_networks(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert allowed(request(forwarded="7.7.7.7, 198.51.100.1, 10.0.0.5"))
    assert not allowed(request(forwarded="8.8.8.8, 198.51.100.1, 10.0.0.5"))
    assert allowed(request(forwarded="198.51.100.2"))
    # The header of a peer outside the trusted networks is not read.
    assert allowed(request("203.0.113.7", "198.51.100.3"))
    assert not allowed(request("203.0.113.7", "198.51.100.4"))


@pytest.mark.usefixtures("one_per_address")
def test_garbage_entries_count_against_the_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert allowed(request(forwarded="unknown"))
    assert not allowed(request(forwarded="not-an-address"))
    assert not allowed(request(forwarded="198.51.100.1, 999.1.1.1"))
    assert not allowed(request())
