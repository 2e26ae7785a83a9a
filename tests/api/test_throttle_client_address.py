"""API throttles count clients by apps.core.clientip: a forged X-Forwarded-For buys no fresh
allowance, and behind trusted proxies clients are counted apart."""

from typing import Any

import pytest
from django.test import override_settings
from rest_framework import throttling
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.api.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle
from tests.submissions.conftest import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/stories/"


@pytest.fixture
def low_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    # DRF binds THROTTLE_RATES when its module is imported, so settings overrides miss it.
    rates = {**throttling.SimpleRateThrottle.THROTTLE_RATES, "anon": "3/min", "user": "3/min"}
    monkeypatch.setattr(throttling.SimpleRateThrottle, "THROTTLE_RATES", rates)


def statuses(client: APIClient, count: int, **forwarded: Any) -> list[int]:
    return [client.get(URL, **forwarded).status_code for _ in range(count)]


def test_the_configured_throttles_are_ours() -> None:
    from rest_framework.settings import api_settings

    configured = api_settings.DEFAULT_THROTTLE_CLASSES
    assert configured == [
        AnonRateThrottle,
        UserRateThrottle,
        ScopedRateThrottle,
    ]


def test_a_new_forwarded_header_each_request_is_still_one_client() -> None:
    """The reported bypass, at the real default rate (120/min)."""
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    codes = [
        client.get(URL, HTTP_X_FORWARDED_FOR=f"198.51.{n // 256}.{n % 256}").status_code
        for n in range(130)
    ]
    assert codes[:120] == [200] * 120
    assert codes[120:] == [429] * 10
    # Someone else is not affected.
    assert APIClient(REMOTE_ADDR="203.0.113.8").get(URL).status_code == 200


@pytest.mark.usefixtures("low_rates")
def test_forged_headers_do_not_reset_the_count_of_a_signed_in_user() -> None:
    token, _ = Token.objects.get_or_create(user=make_user("alice"))
    client = APIClient(REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=f"Token {token.key}")
    codes = [client.get(URL, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.usefixtures("low_rates")
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_two_clients_are_counted_apart() -> None:
    proxy = APIClient(REMOTE_ADDR="10.0.0.2")
    first = {"HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    second = {"HTTP_X_FORWARDED_FOR": "198.51.100.2"}
    assert statuses(proxy, 4, **first) == [200, 200, 200, 429]
    assert statuses(proxy, 3, **second) == [200, 200, 200]
    # Spoofed entries to the left of what the proxy appended change nothing.
    spoofed = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.1"}
    assert statuses(proxy, 1, **spoofed) == [429]


@pytest.mark.usefixtures("low_rates")
@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_behind_trusted_networks_the_first_untrusted_hop_is_the_client() -> None:
    proxy = APIClient(REMOTE_ADDR="10.0.0.2")
    chain = {"HTTP_X_FORWARDED_FOR": "7.7.7.7, 198.51.100.1, 10.1.1.1"}
    assert statuses(proxy, 4, **chain) == [200, 200, 200, 429]
    other = {"HTTP_X_FORWARDED_FOR": "8.8.8.8, 198.51.100.2, 10.1.1.1"}
    assert statuses(proxy, 1, **other) == [200]
    # A peer outside the trusted networks is counted as itself, whatever it forwards.
    outsider = APIClient(REMOTE_ADDR="203.0.113.9")
    assert statuses(outsider, 3, HTTP_X_FORWARDED_FOR="198.51.100.3") == [200, 200, 200]
    assert statuses(outsider, 1, HTTP_X_FORWARDED_FOR="198.51.100.4") == [429]


@pytest.mark.usefixtures("low_rates")
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_garbage_forwarded_entries_count_against_the_proxy_not_a_fresh_identity() -> None:
    proxy = APIClient(REMOTE_ADDR="10.0.0.2")
    garbage = ["unknown", "x", "198.51.100.300", "<script>"]
    codes = [proxy.get(URL, HTTP_X_FORWARDED_FOR=entry).status_code for entry in garbage]
    assert codes == [200, 200, 200, 429]
