"""Settings from the environment, read through strict helpers.

Every setting has a safe default for a laptop; production mode (PAIRWISE_ENV=production)
refuses to start with a missing, default or short secret.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "test", "production")
MIN_SECRET_LENGTH = 32
INSECURE_SECRETS = frozenset({"", "dev", "secret", "changeme", "change-me", "development"})


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it and the bad value."""


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def env_secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = env(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as error:
            message = f"{name}_FILE points at {path!r}, which cannot be read: {error}"
            raise ConfigError(message) from None
    return env(name)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _durations(text: str) -> list[float]:
    """`5s,5m,30m,2h` → seconds."""
    found: list[float] = []
    for item in text.replace(" ", "").split(","):
        if not item:
            continue
        unit = item[-1] if item[-1] in _UNITS else "s"
        number = item[:-1] if item[-1] in _UNITS else item
        try:
            found.append(float(number) * _UNITS[unit])
        except ValueError:
            raise ConfigError(f"{item!r} is not a duration such as 30s, 5m or 2h") from None
    return found


def env_duration(name: str, default: str, *, minimum: timedelta | None = None) -> timedelta:
    """One duration such as `90s`, `30m`, `8h` or `2d` (a bare number is seconds)."""
    text = env(name, default) or default
    try:
        found = _durations(text)
    except ConfigError as error:
        raise ConfigError(f"{name}: {error}") from None
    if len(found) != 1 or found[0] <= 0:
        raise ConfigError(f"{name} must be one duration such as 30m or 8h, got {text!r}")
    duration = timedelta(seconds=found[0])
    if minimum is not None and duration < minimum:
        raise ConfigError(f"{name} must be at least {minimum.total_seconds():g} s, got {text!r}")
    return duration


def env_limit(name: str, default: str) -> str:
    """A rate limit in Flask-Limiter's notation: `10 per minute`, several joined by `;`."""
    from limits import parse_many

    text = env(name, default) or default
    try:
        parse_many(text)
    except ValueError:
        raise ConfigError(
            f"{name} must be a rate limit such as '10 per minute' or '5/minute;50/day', "
            f"got {text!r}"
        ) from None
    return text


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _development_secret(instance_path: Path) -> str:
    """A random secret kept in the instance folder, so sessions survive a restart."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping; `overrides` (from tests) win over the environment."""
    overrides = overrides or {}
    environment = overrides.get("PAIRWISE_ENV") or env("PAIRWISE_ENV", "development")
    if environment not in ENVIRONMENTS:
        raise ConfigError(
            f"PAIRWISE_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}"
        )
    production = environment == "production"

    secret = overrides.get("SECRET_KEY") or env_secret("SECRET_KEY")
    if production:
        if not secret or secret.lower() in INSECURE_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters in production "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
    elif not secret:
        secret = _development_secret(instance_path)

    default_database = f"sqlite:///{instance_path / 'pairwise.db'}"
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or env("DATABASE_URL", default_database)

    config: dict[str, Any] = {
        "PAIRWISE_ENV": environment,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env("REDIS_URL"),
        # A worker that lost Redis tries again after 1, 2, 4… seconds, at most this long.
        "REDIS_RETRY_MAX_SECONDS": env_int("PAIRWISE_REDIS_RETRY_MAX", 30, minimum=1),
        "PUBLIC_URL": (env("PUBLIC_URL", "http://localhost:5000") or "").rstrip("/"),
        "EVENT_QUEUE": env("PAIRWISE_EVENT_QUEUE", "pairwise-events"),
        "RELAY_INTERVAL_SECONDS": env_int("PAIRWISE_RELAY_INTERVAL", 1, minimum=1),
        "RELAY_BATCH_SIZE": env_int("PAIRWISE_RELAY_BATCH", 500, minimum=1),
        "SWEEP_INTERVAL_SECONDS": env_int("PAIRWISE_SWEEP_INTERVAL", 60, minimum=5),
        # The hour (server time) the daily digest goes out.
        "DIGEST_HOUR": env_int("PAIRWISE_DIGEST_HOUR", 7, minimum=0),
        "API_PAGE_SIZE_MAX": 200,
        # Bodies larger than this are refused (413) before they are read.
        "MAX_CONTENT_LENGTH": env_int("PAIRWISE_MAX_CONTENT_LENGTH", 1024 * 1024, minimum=1024),
        # How long an Idempotency-Key and its answer are kept.
        "IDEMPOTENCY_KEY_TTL_SECONDS": env_duration(
            "PAIRWISE_IDEMPOTENCY_KEY_TTL", "24h", minimum=timedelta(minutes=1)
        ).total_seconds(),
        # Outbound webhooks: addresses allowed although private (on-premises receivers),
        # the wait before each retry, and when a failing endpoint is given up.
        "WEBHOOK_ALLOW": env("PAIRWISE_WEBHOOK_ALLOW", ""),
        "WEBHOOK_RETRY_SCHEDULE": _durations(
            env("PAIRWISE_WEBHOOK_RETRY_SCHEDULE", "5s,5m,30m,2h,5h,10h,10h") or ""
        ),
        "WEBHOOK_TIMEOUT_SECONDS": min(env_int("PAIRWISE_WEBHOOK_TIMEOUT", 15, minimum=1), 15),
        "WEBHOOK_DISABLE_AFTER_DAYS": env_int("PAIRWISE_WEBHOOK_DISABLE_AFTER_DAYS", 5, minimum=1),
        "SMTP_HOST": env("SMTP_HOST"),
        "SMTP_PORT": env_int("SMTP_PORT", 25, minimum=1),
        "SMTP_USERNAME": env("SMTP_USERNAME"),
        "SMTP_PASSWORD": env_secret("SMTP_PASSWORD"),
        "SMTP_STARTTLS": env_bool("SMTP_STARTTLS", False),
        "MAIL_FROM": env("MAIL_FROM", "Pairwise <pairwise@localhost>"),
        # Participants may take their time over a survey: the CSRF token lasts the session.
        "WTF_CSRF_TIME_LIMIT": None,
        # Staff sessions end after this long without a request, and this long after sign-in
        # whatever happens; a password change, an admin or signing out ends them sooner.
        "SESSION_IDLE_TIMEOUT": env_duration("PAIRWISE_SESSION_IDLE_TIMEOUT", "1h"),
        "SESSION_MAX_AGE": env_duration("PAIRWISE_SESSION_MAX_AGE", "12h"),
        "PASSWORD_RESET_MAX_AGE": env_duration("PAIRWISE_PASSWORD_RESET_MAX_AGE", "1h"),
        # Reverse proxies in front of the app that set X-Forwarded-For/-Proto. 0: the peer
        # address is the client (a client-sent X-Forwarded-For is ignored).
        "TRUSTED_PROXIES": env_int("PAIRWISE_TRUSTED_PROXIES", 0, minimum=0),
        # Rate limits (Flask-Limiter notation), counted in Redis (see service/web/limits.py).
        "RATELIMIT_ENABLED": env_bool("PAIRWISE_RATELIMIT_ENABLED", True),
        # Failed sign-ins per address and client: each step waits longer (backoff).
        "LIMIT_SIGN_IN": env_limit(
            "PAIRWISE_LIMIT_SIGN_IN", "5 per minute;10 per 10 minutes;20 per hour;40 per day"
        ),
        # Failed sign-ins per client, whatever the address: one client guessing many.
        "LIMIT_SIGN_IN_CLIENT": env_limit(
            "PAIRWISE_LIMIT_SIGN_IN_CLIENT", "30 per 10 minutes;200 per day"
        ),
        "LIMIT_PASSWORD_RESET": env_limit("PAIRWISE_LIMIT_PASSWORD_RESET", "5 per hour"),
        "LIMIT_PASSWORD_RESET_CLIENT": env_limit(
            "PAIRWISE_LIMIT_PASSWORD_RESET_CLIENT", "20 per hour"
        ),
        "LIMIT_API": env_limit("PAIRWISE_LIMIT_API", "1200 per minute"),
        "LIMIT_SURVEY": env_limit("PAIRWISE_LIMIT_SURVEY", "120 per minute"),
        "LIMIT_SURVEY_NEW_LINK": env_limit("PAIRWISE_LIMIT_SURVEY_NEW_LINK", "10 per hour"),
        "LIMIT_INBOUND": env_limit("PAIRWISE_LIMIT_INBOUND", "600 per minute"),
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "API_TITLE": "Pairwise",
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.1.0",
    }
    config.update(overrides)
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    return config
