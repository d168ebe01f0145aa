"""Settings come from the environment with safe defaults; production refuses unsafe ones."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

from service import config

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in (
        "PAIRWISE_ENV",
        "SECRET_KEY",
        "SECRET_KEY_FILE",
        "PAIRWISE_ENCRYPTION_KEYS",
        "PAIRWISE_ENCRYPTION_KEYS_FILE",
        "DATABASE_URL",
        "REDIS_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def production(clean_env, monkeypatch):
    """Production with good secrets; a test replaces the one it is about."""
    monkeypatch.setenv("PAIRWISE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("PAIRWISE_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    return clean_env


@pytest.mark.parametrize("secret", [None, "dev", "changeme", "short-but-random-123"])
def test_production_refuses_a_missing_default_or_short_secret(production, monkeypatch, secret):
    monkeypatch.delenv("SECRET_KEY")
    if secret:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.load(production)


def _example_values() -> dict[str, str]:
    """The values deploy/ ships as examples: the Kubernetes Secret template's."""
    (secret,) = [d for d in yaml.safe_load_all((DEPLOY / "k8s/secret.example.yaml").read_text())]
    return secret["stringData"]


def test_production_refuses_the_placeholder_of_the_secret_template(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", _example_values()["SECRET_KEY"])

    with pytest.raises(config.ConfigError, match="placeholder") as refused:
        config.load(production)
    assert "secrets.token_urlsafe(48)" in str(refused.value)


def test_production_refuses_the_placeholder_encryption_key_of_the_template(production, monkeypatch):
    monkeypatch.setenv("PAIRWISE_ENCRYPTION_KEYS", _example_values()["PAIRWISE_ENCRYPTION_KEYS"])

    with pytest.raises(config.ConfigError, match="PAIRWISE_ENCRYPTION_KEYS") as refused:
        config.load(production)
    assert "Fernet.generate_key()" in str(refused.value)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("a" * 64, "repeats a pattern"),
        ("k" * 20 + "q9Zr" * 5, "different characters"),
        ("Tr0ub4dor&3" * 5, "repeats a pattern"),
        ("0123456789" * 5 + "x", "different characters"),
        ("correcthorsebatterystaple2024", "characters long"),
        ("mY-sEcReT-kEy-" + "0" * 40, "placeholder"),
        # 36 random letters and digits: about 214 bits, short of 32 bytes.
        ("9hQ2vLr7XkP0aZt4Wm8cNb1Ye6Js3Gd5Fu0R", "bits of randomness"),
        # 64 random hex digits, then a long run of one: the run adds nothing.
        ("3f9a" + "0" * 60, "different characters"),
    ],
)
def test_production_refuses_a_weak_secret_and_says_why(production, monkeypatch, secret, why):
    monkeypatch.setenv("SECRET_KEY", secret)

    with pytest.raises(config.ConfigError, match=why):
        config.load(production)


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets.token_urlsafe(48),
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_hex(32),
        lambda: Fernet.generate_key().decode(),
    ],
    ids=["token_urlsafe(48)", "token_urlsafe(32)", "token_hex(32)", "a Fernet key"],
)
def test_production_accepts_every_usual_way_of_generating_32_random_bytes(
    production, monkeypatch, make
):
    for _ in range(200):
        secret = make()
        assert config.weak_secret_reason(secret) is None, secret
    monkeypatch.setenv("SECRET_KEY", secret)
    assert config.load(production)["SECRET_KEY"] == secret


def test_production_starts_with_a_long_random_secret(production):
    settings = config.load(production)
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_an_encryption_key(production, monkeypatch):
    monkeypatch.delenv("PAIRWISE_ENCRYPTION_KEYS")

    with pytest.raises(config.ConfigError, match="PAIRWISE_ENCRYPTION_KEYS must be set"):
        config.load(production)


@pytest.mark.parametrize(
    ("keys", "why"),
    [
        ("not-a-key", "not a Fernet key"),
        # 32 bytes, but they spell a word over and over.
        ("cGFzc3dvcmRwYXNzd29yZHBhc3N3b3JkcGFzc3dvcmQ=", "not random"),
    ],
)
def test_production_refuses_an_unusable_encryption_key(production, monkeypatch, keys, why):
    monkeypatch.setenv("PAIRWISE_ENCRYPTION_KEYS", f"{Fernet.generate_key().decode()},{keys}")

    with pytest.raises(config.ConfigError, match=f"key 2 of 2 is refused: .*{why}"):
        config.load(production)


def test_encryption_keys_are_read_newest_first_from_a_file(production, monkeypatch):
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    key_file = production / "keys"
    key_file.write_text(f"{new}, {old}\n")
    monkeypatch.delenv("PAIRWISE_ENCRYPTION_KEYS")
    monkeypatch.setenv("PAIRWISE_ENCRYPTION_KEYS_FILE", str(key_file))

    assert config.load(production)["ENCRYPTION_KEYS"] == [new, old]


def test_development_makes_its_own_encryption_key_and_keeps_it(clean_env):
    first = config.load(clean_env)["ENCRYPTION_KEYS"]

    assert len(first) == 1
    Fernet(first[0])  # a usable key
    assert config.load(clean_env)["ENCRYPTION_KEYS"] == first
    assert (clean_env / "encryption_key").stat().st_mode & 0o077 == 0


def test_a_secret_can_come_from_a_file(clean_env, monkeypatch):
    secret_file = clean_env / "secret"
    secret_file.write_text("s" * 48 + "\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret_file))
    assert config.load(clean_env)["SECRET_KEY"] == "s" * 48


def test_development_makes_its_own_secret_and_keeps_it(clean_env):
    first = config.load(clean_env)["SECRET_KEY"]
    assert len(first) >= config.MIN_SECRET_LENGTH
    assert config.load(clean_env)["SECRET_KEY"] == first


def test_the_default_database_is_a_sqlite_file_in_the_instance_folder(clean_env):
    assert config.load(clean_env)["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{clean_env}/pairwise.db"


@pytest.mark.parametrize(
    "url", ["postgres://u@db/pw", "postgresql://u@db/pw", "postgresql+psycopg://u@db/pw"]
)
def test_postgresql_urls_use_psycopg_3(clean_env, monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    assert config.load(clean_env)["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/pw"


def test_an_unknown_environment_name_is_refused_with_the_value(clean_env, monkeypatch):
    monkeypatch.setenv("PAIRWISE_ENV", "prod")
    with pytest.raises(config.ConfigError, match="'prod'"):
        config.load(clean_env)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("0", False), ("Off", False)])
def test_booleans_are_read_strictly(monkeypatch, value, expected):
    monkeypatch.setenv("SOME_FLAG", value)
    assert config.env_bool("SOME_FLAG", not expected) is expected


def test_a_malformed_boolean_names_the_setting_and_the_value(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(config.ConfigError, match="SOME_FLAG must be true or false, got 'maybe'"):
        config.env_bool("SOME_FLAG", False)
