"""Webhooks go to public addresses only (SSRF protection), unless an operator allow-lists."""

from __future__ import annotations

import ipaddress
import re
import socket

import pytest

from service.webhooks import addresses


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("172.16.5.4", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("169.254.10.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("::ffff:127.0.0.1", "an IPv4-mapped IPv6 address"),
        ("::ffff:8.8.8.8", "an IPv4-mapped IPv6 address"),
        ("0.0.0.0", "a private address"),
        ("224.0.0.1", "a reserved address"),
    ],
)
def test_non_public_addresses_are_named(address, why):
    assert addresses.why_not_public(ipaddress.ip_address(address)) == why


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "93.184.216.34"])
def test_public_addresses_pass(address):
    assert addresses.why_not_public(ipaddress.ip_address(address)) is None


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
