"""The one answer to "which network address is this client?".

By default it is REMOTE_ADDR, the peer of the connection, and X-Forwarded-For is ignored:
any client can send that header. Behind reverse proxies that append to X-Forwarded-For,
exactly one of two settings says which entry to believe:

- TRUSTED_PROXY_COUNT = n: n proxies stand in front of every request, each appending the
  address it received the request from; the client is the n-th entry from the right.
- TRUSTED_PROXIES = networks: only when REMOTE_ADDR is inside one of them is the header
  read, from the right, skipping addresses inside them; the first one outside is the client.

An entry that is not an IP address is never taken as an identity: the answer is then
REMOTE_ADDR. Addresses come back in canonical form (IPv6 compressed, IPv4-mapped IPv6 as
IPv4), so one client is one key whichever way its address was written.
"""

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(text: str) -> IPAddress | None:
    """One address as REMOTE_ADDR or an X-Forwarded-For entry carries it; None if it is not one.

    Some proxies add a port ("203.0.113.7:5123", "[2001:db8::1]:443"); it is dropped, as
    is an IPv6 zone ("fe80::1%eth0").
    """
    text = text.strip()
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed or (rest and not _is_port_suffix(rest)):
            return None
        text = host
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
        if not _is_port_suffix(":" + port):
            return None
        text = host
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id is not None:
            return ipaddress.IPv6Address(address.packed)
    return address


def _is_port_suffix(text: str) -> bool:
    port = text[1:]
    return text.startswith(":") and port.isascii() and port.isdigit() and len(port) <= 5


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


def _is_trusted(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in networks)


def _forwarded_entries(request: HttpRequest) -> list[str]:
    # Repeated headers arrive joined with commas, in order.
    header = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    return header.split(",") if header.strip() else []


def _by_count(entries: list[str], count: int) -> IPAddress | None:
    # Fewer entries than proxies: the request did not come through all of them.
    if len(entries) < count:
        return None
    return parse_address(entries[-count])


def _by_networks(entries: list[str], networks: Sequence[IPNetwork]) -> IPAddress | None:
    farthest = None
    for entry in reversed(entries):
        address = parse_address(entry)
        if address is None:
            return None
        if not _is_trusted(address, networks):
            return address
        farthest = address
    # Every hop is one of ours (a probe from inside): the farthest one is the client.
    return farthest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address in canonical form, or None when the server was not told one
    (REMOTE_ADDR empty or not an address, as on a Unix socket, and nothing trusted to ask).

    Settings TRUSTED_PROXY_COUNT and TRUSTED_PROXIES decide whether X-Forwarded-For counts;
    see the module docstring.
    """
    peer = parse_address(str(request.META.get("REMOTE_ADDR") or ""))
    count: int = settings.TRUSTED_PROXY_COUNT
    cidrs: Sequence[str] = settings.TRUSTED_PROXIES
    client = peer
    if count:
        client = _by_count(_forwarded_entries(request), count) or peer
    elif cidrs and peer is not None:
        networks = _networks(tuple(cidrs))
        if _is_trusted(peer, networks):
            client = _by_networks(_forwarded_entries(request), networks) or peer
    return None if client is None else str(client)
