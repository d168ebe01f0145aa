"""Webhooks go to public addresses only (SSRF protection), unless an operator allow-lists."""

from __future__ import annotations

import ipaddress
import re
import socket

import pytest

from service.webhooks import addresses

# One row per range: IANA's IPv4 and IPv6 special-purpose registries, multicast, the cloud
# metadata services, and the IPv6 forms that carry an IPv4 address. IP literals only.
REFUSED = [
    ("0.0.0.0", "a 'this network' address"),
    ("0.1.2.3", "a 'this network' address"),
    ("10.1.2.3", "a private address"),
    ("100.64.0.1", "a carrier-grade NAT address"),
    ("127.0.0.1", "a loopback address"),
    ("169.254.10.1", "a link-local address"),
    ("169.254.169.254", "a cloud metadata address"),
    ("172.16.5.4", "a private address"),
    ("192.0.0.1", "an IETF protocol assignment (192.0.0.0/24)"),
    ("192.0.0.9", "an IETF protocol assignment (192.0.0.0/24)"),
    ("192.0.0.170", "an IETF protocol assignment (192.0.0.0/24)"),
    ("192.0.2.7", "a documentation address"),
    ("192.31.196.1", "an AS112 address"),
    ("192.52.193.1", "an AMT address"),
    ("192.88.99.1", "a 6to4 relay anycast address"),
    ("192.168.0.10", "a private address"),
    ("192.175.48.1", "an AS112 address"),
    ("198.18.0.1", "a benchmarking address"),
    ("198.51.100.7", "a documentation address"),
    ("203.0.113.7", "a documentation address"),
    ("224.0.0.1", "a multicast address"),
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a reserved address"),
    ("::1", "a loopback address"),
    ("::", "the unspecified address"),
    ("::ffff:127.0.0.1", "an IPv4-mapped IPv6 address (it carries 127.0.0.1, a loopback address)"),
    ("::ffff:8.8.8.8", "an IPv4-mapped IPv6 address (it carries 8.8.8.8)"),
    ("::ffff:0:a00:1", "an IPv4-translated IPv6 address (it carries 10.0.0.1, a private address)"),
    (
        "::a9fe:a9fe",
        "an IPv4-compatible IPv6 address (it carries 169.254.169.254, a cloud metadata address)",
    ),
    ("::8.8.8.8", "an IPv4-compatible IPv6 address (it carries 8.8.8.8)"),
    (
        "64:ff9b::a9fe:a9fe",
        "a NAT64 address (it carries 169.254.169.254, a cloud metadata address)",
    ),
    ("64:ff9b::808:808", "a NAT64 address (it carries 8.8.8.8)"),
    ("64:ff9b:1::a00:1", "a local-use NAT64 address"),
    ("100::1", "a discard-only address"),
    ("100:0:0:1::1", "a dummy IPv6 address"),
    (
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "a Teredo address (it carries 192.0.2.45, a documentation address)",
    ),
    ("2001:1::1", "an IETF anycast address"),
    ("2001:1::2", "an IETF anycast address"),
    ("2001:1::3", "an IETF anycast address"),
    ("2001:2::1", "a benchmarking address"),
    ("2001:3::1", "an AMT address"),
    ("2001:4:112::1", "an AS112 address"),
    ("2001:10::1", "an ORCHID address"),
    ("2001:20::1", "an ORCHIDv2 address"),
    ("2001:30::1", "a drone remote ID address"),
    ("2001:100::1", "an IETF protocol assignment (2001::/23)"),
    ("2001:db8::1", "a documentation address"),
    ("2002:a9fe:a9fe::1", "a 6to4 address (it carries 169.254.169.254, a cloud metadata address)"),
    ("2002:a00:1::1", "a 6to4 address (it carries 10.0.0.1, a private address)"),
    ("2002:808:808::1", "a 6to4 address (it carries 8.8.8.8)"),
    ("2620:4f:8000::1", "an AS112 address"),
    ("3fff::1", "a documentation address"),
    ("5f00::1", "a segment routing address"),
    ("fc00::1", "a unique local (private) address"),
    ("fd00:ec2::254", "a cloud metadata address"),
    ("fe80::1", "a link-local address"),
    ("fec0::1", "a site-local address"),
    ("ff02::1", "a multicast address"),
    ("4000::1", "not a global unicast address"),
]


@pytest.mark.parametrize(("address", "why"), REFUSED, ids=[a for a, _ in REFUSED])
def test_every_special_purpose_address_is_refused_and_named(address, why):
    assert addresses.why_not_public(ipaddress.ip_address(address)) == why


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:a9fe:a9fe::]/latest/meta-data",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hooks",
        "http://[::a9fe:a9fe]/hooks",
        "http://192.0.0.170/hooks",
    ],
)
def test_a_url_on_an_ipv6_transition_form_or_192_0_0_0_is_refused(url):
    with pytest.raises(addresses.AddressRefused, match="public addresses only"):
        addresses.check(url)


def test_an_allow_listed_nat64_prefix_reaches_public_ipv4_receivers_only():
    allow = addresses.parse_allow_list("64:ff9b::/96")

    target = addresses.check("https://[64:ff9b::808:808]/hooks", allow)
    assert str(target.address) == "64:ff9b::808:808"
    refused = re.escape("it carries 10.0.0.1, a private address")
    with pytest.raises(addresses.AddressRefused, match=refused):
        addresses.check("https://[64:ff9b::a00:1]/hooks", allow)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/hook", "file:///etc/passwd", "gopher://x", "https://u:p@example.org/"],
)
def test_only_http_and_https_without_credentials(url):
    with pytest.raises(addresses.AddressRefused):
        addresses.check(url)


def test_a_name_is_checked_against_every_address_it_resolves_to(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kw: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ],
    )

    with pytest.raises(
        addresses.AddressRefused, match=re.escape("resolves to 10.0.0.7, a private address")
    ):
        addresses.check("https://hooks.example.org/in")


def test_an_allow_listed_network_is_accepted():
    allow = addresses.parse_allow_list("10.20.0.0/16, 127.0.0.1")

    target = addresses.check("http://127.0.0.1:8080/hook", allow)

    assert (str(target.address), target.port) == ("127.0.0.1", 8080)


def _register(api, url):
    return api.post("/webhooks", {"url": url})


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:9000/hooks",
        "http://[::ffff:7f00:1]/hooks",
        "http://10.0.0.5/hooks",
    ],
)
def test_registering_a_non_public_url_is_a_clear_422(api, url):
    response = _register(api, url)

    assert response.status_code == 422
    problem = response.get_json()
    assert problem["type"].endswith("/webhook-url-refused")
    assert "public addresses only" in problem["detail"]
    assert api.ok("get", "/webhooks")["items"] == []


def test_registering_a_name_that_resolves_to_a_private_address_is_refused(api, monkeypatch):
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "crm.intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.4.20", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)

    response = _register(api, "https://crm.intranet.example/hooks")

    assert response.status_code == 422
    assert "192.168.4.20, a private address" in response.get_json()["detail"]


def test_an_allow_listed_receiver_may_be_registered(api, app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW", "127.0.0.0/8")

    assert _register(api, "http://127.0.0.1:8080/hooks").status_code == 201


def test_a_receiver_no_longer_allowed_is_a_recorded_failure_at_delivery(
    api, app, world, receiver, webhook_settings, drain
):
    endpoint = api.ok("post", "/webhooks", {"url": receiver.url}, status=201)
    app.config["WEBHOOK_ALLOW"] = ""
    world.new_pair()

    drain()

    assert receiver.requests == []
    (delivery,) = api.ok("get", f"/webhooks/{endpoint['id']}/deliveries")["items"]
    assert delivery["last_error"].startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    log = api.ok("get", f"/webhook-deliveries/{delivery['id']}")["attempt_log"]
    assert log[0]["status_code"] is None


def test_an_unresolvable_name_is_refused(api):
    response = _register(api, "https://no-such-host.invalid/hooks")

    assert response.status_code == 422
    assert "does not resolve" in response.get_json()["detail"]
