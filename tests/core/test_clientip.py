"""apps.core.clientip: REMOTE_ADDR by default; X-Forwarded-For only through the
trusted-proxy settings, never a garbage entry; canonical addresses; loud settings."""

import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from apps.core.clientip import client_ip, parse_address
from config.env import env_networks


def ip(remote: str | None = "203.0.113.7", forwarded: str | None = None) -> str | None:
    meta: dict[str, Any] = {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return client_ip(request)


# --- the default: the peer, whatever the header says ------------------------------------------


def test_defaults_trust_no_proxy() -> None:
    assert django_settings.TRUSTED_PROXY_COUNT == 0
    assert django_settings.TRUSTED_PROXIES == []


@pytest.mark.parametrize(
    "forwarded", [None, "198.51.100.1", "198.51.100.1, 198.51.100.2", "garbage", ""]
)
def test_by_default_the_forwarded_header_is_ignored(forwarded: str | None) -> None:
    assert ip("203.0.113.7", forwarded) == "203.0.113.7"


@pytest.mark.parametrize("remote", [None, "", "unix:/run/gunicorn.sock", "not-an-ip"])
def test_no_address_when_the_peer_is_not_one(remote: str | None) -> None:
    assert ip(remote, "198.51.100.1") is None


# --- canonical form ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("203.0.113.7:51234", "203.0.113.7"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:db8::0001", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("fe80::1%eth0", "fe80::1"),
    ],
)
def test_addresses_come_back_in_canonical_form(text: str, expected: str) -> None:
    assert str(parse_address(text)) == expected
    assert ip(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "unknown",
        "_hidden",
        "203.0.113",
        "203.0.113.256",
        "0203.0.113.7",
        "203.0.113.7:port",
        "203.0.113.7:99999999",
        "203.0.113.7:٣",
        "[2001:db8::1",
        "[2001:db8::1]x",
        "2001:db8::g",
        "203.0.113.7/24",
        "<script>",
    ],
)
def test_garbage_is_not_an_address(text: str) -> None:
    assert parse_address(text) is None


# --- TRUSTED_PROXY_COUNT ----------------------------------------------------------------------


def test_one_proxy_the_client_is_the_last_entry(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert ip("10.0.0.2", "198.51.100.1") == "198.51.100.1"
    # Whatever the client put in front is ignored: the proxy appended the real peer.
    assert ip("10.0.0.2", "1.1.1.1, 8.8.8.8, 198.51.100.1") == "198.51.100.1"
    assert ip("10.0.0.2", "2001:DB8::5") == "2001:db8::5"


def test_two_proxies_the_client_is_the_second_entry_from_the_right(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    assert ip("10.0.0.3", "6.6.6.6, 198.51.100.1, 10.0.0.2") == "198.51.100.1"


def test_count_with_too_few_entries_falls_back_to_the_peer(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    assert ip("10.0.0.3", "198.51.100.1") == "10.0.0.3"
    assert ip("10.0.0.3") == "10.0.0.3"
    assert ip("10.0.0.3", "  ") == "10.0.0.3"


@pytest.mark.parametrize("entry", ["unknown", "", "198.51.100.1.5", "evil, "])
def test_count_never_takes_a_garbage_entry(settings: Any, entry: str) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert ip("10.0.0.2", f"198.51.100.9, {entry}") == "10.0.0.2"


def test_count_reads_the_client_even_on_a_unix_socket(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert ip("", "198.51.100.1") == "198.51.100.1"
    assert ip("", "garbage") is None


# --- TRUSTED_PROXIES ------------------------------------------------------------------------------


@pytest.fixture
def proxies(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8:ffff::/48"]


@pytest.mark.usefixtures("proxies")
def test_cidr_header_from_an_untrusted_peer_is_ignored() -> None:
    assert ip("203.0.113.7", "198.51.100.1") == "203.0.113.7"


@pytest.mark.usefixtures("proxies")
def test_cidr_skips_trusted_hops_from_the_right() -> None:
    assert ip("10.0.0.2", "198.51.100.1") == "198.51.100.1"
    assert ip("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.1.2.3, 10.0.0.9") == "198.51.100.1"
    assert ip("2001:db8:ffff::1", "2001:db8:1::7, 2001:db8:ffff::2") == "2001:db8:1::7"
    assert ip("::ffff:10.0.0.2", "198.51.100.1") == "198.51.100.1"


@pytest.mark.usefixtures("proxies")
def test_cidr_spoofed_leftmost_entries_are_ignored() -> None:
    assert ip("10.0.0.2", "10.9.9.9, 127.0.0.1, 198.51.100.1, 10.0.0.5") == "198.51.100.1"


@pytest.mark.usefixtures("proxies")
def test_cidr_garbage_before_an_untrusted_hop_falls_back_to_the_peer() -> None:
    assert ip("10.0.0.2", "198.51.100.1, unknown, 10.0.0.5") == "10.0.0.2"
    assert ip("10.0.0.2", "198.51.100.1,,10.0.0.5") == "10.0.0.2"
    # Garbage to the left of the client is the client's own doing and is never reached.
    assert ip("10.0.0.2", "garbage, 198.51.100.1") == "198.51.100.1"


@pytest.mark.usefixtures("proxies")
def test_cidr_all_hops_trusted_gives_the_farthest() -> None:
    assert ip("10.0.0.2", "10.0.0.7, 10.0.0.5") == "10.0.0.7"
    assert ip("10.0.0.2") == "10.0.0.2"


# --- settings fail loudly --------------------------------------------------------------------


def test_env_networks_canonicalises() -> None:
    environ = {"P": " 10.0.0.0/8, 192.168.1.1 ,2001:DB8::/32,"}
    assert env_networks("P", [], environ=environ) == [
        "10.0.0.0/8",
        "192.168.1.1/32",
        "2001:db8::/32",
    ]
    assert env_networks("P", [], environ={}) == []


@pytest.mark.parametrize("value", ["10.0.0.1/8", "10.0.0.0/33", "proxy.internal", "10.0.0.0/8;"])
def test_env_networks_names_a_bad_network(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=rf"^P: '{value}' is not a network"):
        env_networks("P", [], environ={"P": value})


def start_up(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v for k, v in os.environ.items() if k not in {"TRUSTED_PROXY_COUNT", "TRUSTED_PROXIES"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT=-1 is below the minimum of 0"),
        ({"TRUSTED_PROXY_COUNT": "one"}, "TRUSTED_PROXY_COUNT='one' is not a whole number"),
        ({"TRUSTED_PROXIES": "10.0.0.1/8"}, "TRUSTED_PROXIES: '10.0.0.1/8' is not a network"),
        (
            {"TRUSTED_PROXY_COUNT": "1", "TRUSTED_PROXIES": "10.0.0.0/8"},
            "Set TRUSTED_PROXY_COUNT or TRUSTED_PROXIES, not both",
        ),
    ],
)
def test_bad_proxy_settings_stop_start_up(env: dict[str, str], message: str) -> None:
    result = start_up(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_good_proxy_settings_start() -> None:
    assert start_up(TRUSTED_PROXY_COUNT="2").returncode == 0
    assert start_up(TRUSTED_PROXIES="10.0.0.0/8, 2001:db8::/32").returncode == 0
