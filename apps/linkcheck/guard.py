"""Which addresses the link checker may connect to: public ones only.

Source URLs come from story files and web submissions, and redirects come from any
server on the internet, so a URL may point anywhere. The checker resolves every host
itself, refuses anything that is not a public unicast address, and then connects to the
address it checked (see fetch.py), so a second DNS answer cannot change where it goes.
"""

import ipaddress
import socket

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6). Both are
# link-local or private anyway; named here so the refusal says what they are.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
# The only loopback addresses LINKCHECK_ALLOW_LOOPBACK lets through (for test servers).
ALLOWED_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


class BlockedAddress(Exception):
    """The host is, or resolves to, an address the link checker must not connect to."""


class HostLookupFailed(Exception):
    """The host name does not resolve."""


def _loopback_allowed(ip: IPAddress) -> bool:
    return bool(settings.LINKCHECK_ALLOW_LOOPBACK) and any(
        ip.version == net.version and ip in net for net in ALLOWED_LOOPBACK
    )


def _refusal(ip: IPAddress) -> str | None:
    """Why the checker must not connect to this address, or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address reach that IPv4 address.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            reason = _refusal(embedded)
            return f"{reason} (embedded in {ip})" if reason else None
        if ip.scope_id:
            return "an address with a zone index"
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return None if _loopback_allowed(ip) else "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in CARRIER_GRADE_NAT:
        return "a carrier-grade NAT address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


def check_address(ip: IPAddress | str) -> IPAddress:
    """Return the address if the checker may connect to it; raise BlockedAddress if not."""
    address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    reason = _refusal(address)
    if reason:
        raise BlockedAddress(f"refused to connect to {address}: {reason}")
    return address


def resolve_public(host: str, port: int) -> list[IPAddress]:
    """Resolve a host and return its addresses, refusing the host if any is not public.

    One non-public answer refuses the whole host: a name that mixes public and private
    answers is either misconfigured or an attempt to reach the inside.
    """
    host = host.strip("[]")
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise HostLookupFailed(f"could not resolve {host}: {exc}") from None
    addresses: list[IPAddress] = []
    for family, _type, _proto, _canonname, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostLookupFailed(f"could not resolve {host}: no IPv4 or IPv6 address")
    for address in addresses:
        reason = _refusal(address)
        if reason:
            shown = host if host == str(address) else f"{host} ({address})"
            raise BlockedAddress(f"refused to connect to {shown}: {reason}")
    return addresses
