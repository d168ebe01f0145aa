"""Webhook secrets and inbound signing keys are encrypted at rest: unreadable in a database
dump, readable by the service, re-encrypted by a key rotation."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade

from service import encryption
from service.cli import cli
from service.database import db
from tests.helpers.inbound import CALENDLY_KEY


def database_dump(app) -> str:
    """Everything the database holds, as a backup would: SQLite's iterdump(), pg_dump."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            raw = engine.raw_connection()
            try:
                return "\n".join(raw.driver_connection.iterdump())
            finally:
                raw.close()
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    if shutil.which("pg_dump"):
        done = subprocess.run(
            ["pg_dump", "--data-only", url], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout
    return _raw_secret_columns(app)


def _raw_secret_columns(app) -> str:
    """The columns as stored, read with plain SQL (no model, no decryption)."""
    with app.app_context():
        rows = db.session.execute(
            sa.text(
                "SELECT secret, coalesce(previous_secret, '') FROM webhook_endpoints "
                "UNION ALL SELECT secret, '' FROM inbound_sources"
            )
        ).all()
    return "\n".join(value for row in rows for value in row)


def _stored_secrets(admin_api) -> list[str]:
    """A webhook endpoint with a rotated secret, a standard source and a Calendly source; the
    secrets they were given."""
    endpoint = admin_api.ok("post", "/webhooks", {"url": "https://93.184.216.34/in"})
    rotated = admin_api.ok("post", f"/webhooks/{endpoint['id']}/rotate-secret")
    standard = admin_api.ok("post", "/inbound-sources", {"slug": "school", "name": "School"})
    calendly = admin_api.ok(
        "post",
        "/inbound-sources",
        {"slug": "calendly", "name": "Calendly", "kind": "calendly", "secret": CALENDLY_KEY},
    )
    return [endpoint["secret"], rotated["secret"], standard["secret"], calendly["secret"]]


def _without_prefix(secret: str) -> str:
    return secret.removeprefix("whsec_")


def test_signing_secrets_are_unreadable_in_a_database_dump(app, admin_api):
    secrets = _stored_secrets(admin_api)

    dump = database_dump(app)

    assert encryption.TOKEN_PREFIX in dump
    for secret in secrets:
        assert _without_prefix(secret) not in dump
    assert _raw_secret_columns(app).count(encryption.TOKEN_PREFIX) == len(secrets)


def test_the_service_reads_back_the_secrets_it_stored(admin_api):
    endpoint = admin_api.ok("post", "/webhooks", {"url": "https://93.184.216.34/in"})
    source = admin_api.ok("post", "/inbound-sources", {"slug": "school", "name": "School"})

    assert admin_api.ok("get", f"/webhooks/{endpoint['id']}")["secret"] == endpoint["secret"]
    assert admin_api.ok("get", f"/inbound-sources/{source['id']}")["secret"] == source["secret"]


@pytest.fixture
def keys(app, monkeypatch):
    """Set the keys the running app uses, as a restart with new PAIRWISE_ENCRYPTION_KEYS would."""

    def use(*keys: str) -> None:
        monkeypatch.setitem(app.config, "ENCRYPTION_KEYS", list(keys))
        monkeypatch.setitem(app.extensions, encryption.EXTENSION, encryption.keyring(keys))

    return use


def _rotate(service_env, *keys: str):
    env = {**service_env, "PAIRWISE_ENCRYPTION_KEYS": ",".join(keys)}
    return CliRunner().invoke(cli, ["rotate-encryption-key"], env=env, catch_exceptions=False)


def test_after_a_rotation_the_old_key_can_be_removed(app, admin_api, service_env, keys):
    old, new = app.config["ENCRYPTION_KEYS"][0], Fernet.generate_key().decode()
    secrets = _stored_secrets(admin_api)
    before = _raw_secret_columns(app)

    keys(new, old)  # the new key first: it encrypts; the old one still decrypts
    endpoint_id = admin_api.ok("get", "/webhooks")["items"][0]["id"]
    assert admin_api.ok("get", f"/webhooks/{endpoint_id}")["secret"] == secrets[1]
    result = _rotate(service_env, new, old)
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 4 secret(s)" in result.output

    keys(new)
    assert admin_api.ok("get", f"/webhooks/{endpoint_id}")["secret"] == secrets[1]
    sources = admin_api.ok("get", "/inbound-sources")["items"]
    read = {admin_api.ok("get", f"/inbound-sources/{s['id']}")["secret"] for s in sources}
    assert read == {secrets[2], secrets[3]}
    assert not set(before.split()) & set(_raw_secret_columns(app).split())


def test_without_the_key_a_secret_was_encrypted_with_the_api_says_so_clearly(app, admin_api, keys):
    endpoint = admin_api.ok("post", "/webhooks", {"url": "https://93.184.216.34/in"})
    keys(Fernet.generate_key().decode())

    response = admin_api.get(f"/webhooks/{endpoint['id']}")

    assert response.status_code == 503
    problem = response.get_json()
    assert problem["type"] == "/problems/encryption-key-missing"
    assert "PAIRWISE_ENCRYPTION_KEYS" in problem["detail"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_without_the_key_an_inbound_request_is_a_clear_503(
    app, client, admin_api, keys, active_pair
):
    from tests.helpers.inbound import StandardSender, meeting_event

    source = admin_api.ok("post", "/inbound-sources", {"slug": "school", "name": "School"})
    keys(Fernet.generate_key().decode())

    response = StandardSender(client, source).post(
        meeting_event("meeting.held", pair_id=active_pair["id"])
    )

    assert response.status_code == 503
    assert response.get_json()["type"] == "/problems/encryption-key-missing"


@pytest.fixture
def active_pair(world) -> dict:
    return world.drive_to("active")


def test_a_rotation_without_the_old_key_changes_nothing_and_says_why(app, admin_api, service_env):
    _stored_secrets(admin_api)
    before = _raw_secret_columns(app)

    result = _rotate(service_env, Fernet.generate_key().decode())

    assert result.exit_code == 1
    assert "cannot be decrypted with any key in PAIRWISE_ENCRYPTION_KEYS" in result.output
    assert "Nothing was changed" in result.output
    assert _raw_secret_columns(app) == before


def test_the_migration_encrypts_secrets_stored_before_in_plain_text(app, admin_api):
    directory = app.extensions["migrate"].directory
    with app.app_context():
        downgrade(directory=directory, revision="0007")
        db.session.execute(
            sa.text(
                "INSERT INTO webhook_endpoints (url, description, event_types, enabled, secret, "
                "created_by_label, created_at) VALUES ('https://93.184.216.34/in', '', "
                ":types, true, 'whsec_plainOldSecret', 'test', CURRENT_TIMESTAMP)"
            ),
            {"types": '["*"]'},
        )
        db.session.commit()
        upgrade(directory=directory)

    assert "plainOldSecret" not in database_dump(app)
    (endpoint,) = admin_api.ok("get", "/webhooks")["items"]
    assert admin_api.ok("get", f"/webhooks/{endpoint['id']}")["secret"] == "whsec_plainOldSecret"
