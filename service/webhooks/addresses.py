"""Where a webhook may go (SSRF protection).

Only http and https; the host is resolved once and every address it resolves to must be
globally reachable: every range of IANA's IPv4 and IPv6 special-purpose address registries
(loopback, private, link-local with the cloud metadata services, CGNAT, documentation,
benchmarking, 192.0.0.0/24, …), multicast, and the IPv6 forms that carry an IPv4 address
(IPv4-mapped and -compatible, 6to4, Teredo, NAT64) are refused, unless an operator
allow-lists them for on-premises receivers. An allow-listed transition form must still
carry an allowed IPv4 address. Delivery connects to the address that was checked, so a name
cannot be re-pointed between the check and the connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


def _ranges(*rows: tuple[str, str]) -> list[tuple[Network, str]]:
    return [(ipaddress.ip_network(network), why) for network, why in rows]


# IANA's special-purpose registries (iana-ipv4-special-registry, iana-ipv6-special-registry),
# and multicast. Python's `is_global` misses some of them, depending on its version; the
# few that IANA marks globally reachable (AS112, AMT, anycast services) never host a webhook
# receiver either. The first match names the reason, so narrower ranges come first.
SPECIAL_PURPOSE = _ranges(
    ("0.0.0.0/8", "a 'this network' address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "an IETF protocol assignment (192.0.0.0/24)"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.31.196.0/24", "an AS112 address"),
    ("192.52.193.0/24", "an AMT address"),
    ("192.88.99.0/24", "a 6to4 relay anycast address"),
    ("192.168.0.0/16", "a private address"),
    ("192.175.48.0/24", "an AS112 address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::1/128", "a loopback address"),
    ("::/128", "the unspecified address"),
    ("64:ff9b:1::/48", "a local-use NAT64 address"),
    ("100::/64", "a discard-only address"),
    ("100:0:0:1::/64", "a dummy IPv6 address"),
    ("2001:1::1/128", "an IETF anycast address"),
    ("2001:1::2/128", "an IETF anycast address"),
    ("2001:1::3/128", "an IETF anycast address"),
    ("2001:2::/48", "a benchmarking address"),
    ("2001:3::/32", "an AMT address"),
    ("2001:4:112::/48", "an AS112 address"),
    ("2001:10::/28", "an ORCHID address"),
    ("2001:20::/28", "an ORCHIDv2 address"),
    ("2001:30::/28", "a drone remote ID address"),
    ("2001::/23", "an IETF protocol assignment (2001::/23)"),
    ("2001:db8::/32", "a documentation address"),
    ("2620:4f:8000::/48", "an AS112 address"),
    ("3fff::/20", "a documentation address"),
    ("5f00::/16", "a segment routing address"),
    ("fc00::/7", "a unique local (private) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
# Global unicast: every other IPv6 range is special-purpose or unallocated.
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


def embedded_ipv4(address: IPAddress) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 transition form carries, and the form's name."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return "an IPv4-mapped IPv6 address", address.ipv4_mapped
    if address.sixtofour is not None:
        return "a 6to4 address", address.sixtofour
    if address.teredo is not None:
        server, client = address.teredo
        # The server is what a Teredo relay would reach first; the client is obfuscated.
        return "a Teredo address", client if why_not_public(client) else server
    if address in _NAT64:
        return "a NAT64 address", low32
    if address in _TRANSLATED:
        return "an IPv4-translated IPv6 address", low32
    if address in _COMPATIBLE and int(address) > 1:
        return "an IPv4-compatible IPv6 address", low32
    return None


def why_not_public(address: IPAddress) -> str | None:
    """Why `address` may not receive webhooks, or None if it is a public unicast address."""
    carried = embedded_ipv4(address)
    if carried is not None:
        form, ipv4 = carried
        inner = why_not_public(ipv4)
        return f"{form} (it carries {ipv4}{', ' + inner if inner else ''})"
    if address in _METADATA:
        return "a cloud metadata address"
    for network, why in SPECIAL_PURPOSE:
        if address.version == network.version and address in network:
            return why
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST:
        return "not a global unicast address"
    if not address.is_global:
        return "not a globally reachable address"
    return None


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


def _allowed(address: IPAddress, allow: Iterable[Network]) -> bool:
    return any(address.version == network.version and address in network for network in allow)


def refusal(address: IPAddress, allow: Iterable[Network] = ()) -> str | None:
    """Why `address` may not receive webhooks under the operator's allow-list, or None."""
    reason = why_not_public(address)
    if reason is None or not _allowed(address, allow):
        return reason
    carried = embedded_ipv4(address)
    # An allow-listed transition prefix (NAT64 in an IPv6-only network, say) still may not
    # lead to an IPv4 address that is neither public nor allowed itself.
    if carried is not None and refusal(carried[1], allow):
        return reason
    return None


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
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
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
        reason = refusal(address, allow)
        if reason:
            raise AddressRefused(
                f"{parts.hostname} resolves to {address}, {reason}; webhooks go to public "
                "addresses only (an operator may allow-list on-premises receivers)"
            )
    return Target(url, parts.scheme, parts.hostname, port, addresses[0])
