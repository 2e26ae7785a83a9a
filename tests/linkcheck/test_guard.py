"""The SSRF guard: only public unicast addresses pass; DNS answers come from a fake table."""

import pytest

from apps.linkcheck.guard import BlockedAddress, HostLookupFailed, check_address, resolve_public
from tests.linkcheck.test_fetch import Network


@pytest.fixture(autouse=True)
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    return Network(monkeypatch)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fc00::1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("127.0.0.1", "a loopback address"),
        ("127.9.9.9", "a loopback address"),
        ("::1", "a loopback address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.10.10", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "the unspecified address"),  # noqa: S104 - a value under test
        ("::", "the unspecified address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("100.127.255.254", "a carrier-grade NAT address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a reserved address"),
        ("192.0.2.1", "a private address"),  # documentation range
        ("::ffff:10.0.0.1", "a private address (embedded in ::ffff:a00:1)"),
        ("::ffff:169.254.169.254", "a cloud metadata address (embedded in"),
        ("::ffff:127.0.0.1", "a loopback address (embedded in"),
        ("2002:a9fe:a9fe::1", "a cloud metadata address (embedded in"),  # 6to4
        ("64:ff9b::a00:1", "a reserved address"),  # NAT64
    ],
)
def test_refused(address: str, reason: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = False
    with pytest.raises(BlockedAddress, match="refused to connect") as refused:
        check_address(address)
    assert reason in str(refused.value)
    with pytest.raises(BlockedAddress):
        resolve_public(address, 80)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert str(check_address(address)) == address
    assert [str(ip) for ip in resolve_public(address, 443)] == [address]


@pytest.mark.parametrize("address", ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
def test_loopback_allowed_only_with_the_setting(address: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = True
    check_address(address)
    settings.LINKCHECK_ALLOW_LOOPBACK = False
    with pytest.raises(BlockedAddress, match="loopback"):
        check_address(address)


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "fd00:ec2::254", "10.0.0.1", "0.0.0.0", "fe80::1"],  # noqa: S104
)
def test_loopback_allowance_covers_nothing_else(address: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = True
    with pytest.raises(BlockedAddress):
        check_address(address)


def test_resolve_public_returns_every_address_once(network: Network) -> None:
    network.add("public.test", "93.184.215.14", "2606:4700:4700::1111", "93.184.215.14")
    assert [str(ip) for ip in resolve_public("public.test", 443)] == [
        "93.184.215.14",
        "2606:4700:4700::1111",
    ]
    assert network.connections == []


def test_one_private_answer_refuses_the_whole_name(network: Network) -> None:
    network.add("mixed.test", "93.184.215.14", "10.0.0.7")
    with pytest.raises(BlockedAddress) as refused:
        resolve_public("mixed.test", 80)
    assert str(refused.value) == "refused to connect to mixed.test (10.0.0.7): a private address"


def test_name_resolving_to_metadata(network: Network, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = True
    network.add("metadata.test", "169.254.169.254")
    with pytest.raises(BlockedAddress, match="cloud metadata"):
        resolve_public("metadata.test", 80)


def test_bracketed_ipv6_literal(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = False
    with pytest.raises(BlockedAddress, match="fe80::1: a link-local address"):
        resolve_public("[fe80::1]", 80)


def test_unresolvable_name() -> None:
    with pytest.raises(HostLookupFailed, match=r"could not resolve nowhere\.test"):
        resolve_public("nowhere.test", 80)
