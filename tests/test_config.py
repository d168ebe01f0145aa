"""Settings come from the environment with safe defaults; production refuses unsafe ones."""

from __future__ import annotations

import pytest

from service import config


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("PAIRWISE_ENV", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize("secret", [None, "dev", "changeme", "short-but-random-123"])
def test_production_refuses_a_missing_default_or_short_secret(clean_env, monkeypatch, secret):
    monkeypatch.setenv("PAIRWISE_ENV", "production")
    if secret:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.load(clean_env)


def test_production_starts_with_a_long_random_secret(clean_env, monkeypatch):
    monkeypatch.setenv("PAIRWISE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 20 + "q9Zr" * 5)
    settings = config.load(clean_env)
    assert settings["SESSION_COOKIE_SECURE"] is True


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
