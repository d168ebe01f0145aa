"""Where a webhook may go (SSRF protection).

Only http and https; the host is resolved and every address it resolves to must be public.
Loopback, private, link-local (cloud metadata lives there), CGNAT, multicast, reserved and
IPv4-mapped IPv6 addresses are refused unless an operator allow-lists them for on-premises
receivers. Delivery connects to the address that was checked, so a name cannot be re-pointed
between the check and the connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class AddressRefused(ValueError):
    """The URL may not receive webhooks; the message says why, for the person registering."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress


def parse_allow_list(text: str | None) -> list[Network]:
    """`PAIRWISE_WEBHOOK_ALLOW`: comma-separated addresses or networks, e.g.
    `127.0.0.1, 10.20.0.0/16`."""
    networks: list[Network] = []
    for item in (text or "").replace(";", ",").split(","):
        if item.strip():
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
    return networks


def why_not_public(address: IPAddress) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return "an IPv4-mapped IPv6 address"
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a carrier-grade NAT address"
    if address.is_private:
        return "a private address"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "a reserved address"
    return None


def _allowed(address: IPAddress, allow: Iterable[Network]) -> bool:
    return any(address.version == network.version and address in network for network in allow)


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"{host} does not resolve ({error})") from None
    seen: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address not in seen:
            seen.append(address)
    return seen


def check(url: str, allow: Iterable[Network] = ()) -> Target:
    """The checked target of `url`, or AddressRefused saying why not."""
    allow = list(allow)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(f"not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("only http and https URLs receive webhooks")
    if not parts.hostname:
        raise AddressRefused("the URL has no host")
    if parts.username or parts.password:
        raise AddressRefused("credentials in the URL are not allowed; the signature authenticates")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(parts.hostname, port)
    if not addresses:
        raise AddressRefused(f"{parts.hostname} does not resolve")
    for address in addresses:
        reason = why_not_public(address)
        if reason and not _allowed(address, allow):
            raise AddressRefused(
                f"{parts.hostname} resolves to {address}, {reason}; webhooks go to public "
                "addresses only (an operator may allow-list on-premises receivers)"
            )
    return Target(url, parts.scheme, parts.hostname, port, addresses[0])
