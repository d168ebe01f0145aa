"""An https receiver is reached at the address its name passed the check with, and its
certificate is checked against that name, not the address."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service.webhooks import senders
from tests.helpers.receiver import Receiver, running_receiver

NAME = "hooks.example.test"


def _certificate(name: str, directory) -> tuple[str, str, bytes]:
    """A self-signed certificate for `name`: its file, its key's file, and its PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    moment = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - timedelta(days=1))
        .not_valid_after(moment + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file), pem


def _register(api, receiver: Receiver) -> dict:
    url = f"https://{NAME}:{receiver.port}/hooks"
    return api.ok("post", "/webhooks", {"url": url, "event_types": ["pair.created"]}, status=201)


@pytest.fixture
def tls(tmp_path, monkeypatch, webhook_settings) -> Iterator[tuple[Receiver, ssl.SSLContext]]:
    """The receiver, its name resolving to 127.0.0.1, and a client context trusting it."""
    cert_file, key_file, pem = _certificate(NAME, tmp_path)
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == NAME:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert_file, key_file)
    trusted = ssl.create_default_context(cadata=pem.decode())
    with running_receiver(tls=server_side) as receiver:
        try:
            yield receiver, trusted
        finally:
            senders.close_all()


def test_an_https_receiver_is_reached_at_its_checked_address_under_its_own_name(
    api, world, tls, drain, monkeypatch
):
    receiver, trusted = tls
    monkeypatch.setattr(senders, "tls_context", lambda: trusted)
    endpoint = _register(api, receiver)
    world.new_pair()

    drain()

    (delivery,) = api.ok("get", f"/webhooks/{endpoint['id']}/deliveries")["items"]
    assert delivery["status"] == "delivered"
    assert receiver.tls_names == [NAME]
    assert [r.headers["host"] for r in receiver.requests] == [f"{NAME}:{receiver.port}"]


def test_a_receiver_whose_certificate_is_not_trusted_is_a_failed_attempt(
    api, world, tls, drain, monkeypatch, app
):
    receiver, _ = tls
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [3600.0])
    endpoint = _register(api, receiver)
    world.new_pair()

    drain()

    (delivery,) = api.ok("get", f"/webhooks/{endpoint['id']}/deliveries")["items"]
    assert delivery["status"] == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in delivery["last_error"]
    assert receiver.requests == []
