"""Settings from the environment, read through strict helpers.

Every setting has a safe default for a laptop; production mode (PAIRWISE_ENV=production)
refuses to start with a missing or weak SECRET_KEY, or without encryption keys.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import secrets
import string
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, overload

ENVIRONMENTS = ("development", "test", "production")
MIN_SECRET_LENGTH = 32
# "At least 32 random bytes", as far as a string can be judged (see weak_secret_reason): 32
# random bytes in hex or base64 estimate at 250-258 bits there, a 32-character random
# password at about 190.
MIN_SECRET_BITS = 240
HOW_TO_GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
HOW_TO_GENERATE_KEY = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)
# Words that the placeholders and examples shipped in deploy/ (and the usual defaults) are
# made of: a secret containing one was typed in, not generated.
PLACEHOLDER_WORDS = (
    "replace",
    "changeme",
    "change-me",
    "change_me",
    "example",
    "placeholder",
    "secret",
    "password",
    "development",
    "insecure",
    "test-only",
    "your-",
)


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it and the bad value."""


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...
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


def _alphabet_size(text: str) -> int:
    """How many symbols `text` was most likely drawn from: the alphabet of a common encoding
    it fits (digits, hex, base64), else the sizes of the character classes it uses."""
    chars = set(text)
    if chars <= set(string.digits):
        return 10
    if chars <= set(string.digits + "abcdef") or chars <= set(string.digits + "ABCDEF"):
        return 16
    classes = [set(string.ascii_lowercase), set(string.ascii_uppercase), set(string.digits)]
    used = [c for c in classes if chars & c]
    if len(used) == 3 and chars <= set(string.ascii_letters + string.digits + "-_+/"):
        return 64
    size = sum(len(c) for c in used)
    other = chars - set(string.ascii_letters + string.digits)
    if other:
        size += 33 if other <= set(string.punctuation + " ") else 100
    return size


def estimated_bits(text: str) -> float:
    """Length times log2(alphabet), where a run of one character counts at most three times."""
    text = text.rstrip("=")  # base64 padding carries nothing
    if not text:
        return 0.0
    effective = sum(1 for i in range(len(text)) if i < 3 or len(set(text[i - 3 : i + 1])) > 1)
    return effective * math.log2(max(_alphabet_size(text), 2))


def weak_secret_reason(value: str | None) -> str | None:
    """Why `value` is not fit to be a production secret, or None if it looks random enough.

    Judged as far as a string can be: placeholders and defaults, a short value, a repeated
    pattern, fewer distinct characters than a random string of that length would have, and
    too little estimated entropy."""
    if not value:
        return "it is not set"
    if any(word in value.lower() for word in PLACEHOLDER_WORDS):
        return "it is a placeholder or a well-known default"
    if len(value) < MIN_SECRET_LENGTH:
        return f"it is {len(value)} characters long; it needs at least {MIN_SECRET_LENGTH}"
    if value in (value + value)[1:-1]:
        return "it repeats a pattern"
    alphabet = _alphabet_size(value)
    expected = alphabet * (1 - (1 - 1 / alphabet) ** len(value))
    if len(set(value)) < expected / 2:
        return f"it uses only {len(set(value))} different characters"
    bits = estimated_bits(value)
    if bits < MIN_SECRET_BITS:
        return f"it carries about {bits:.0f} bits of randomness; it needs {MIN_SECRET_BITS}"
    return None


def weak_key_reason(key: str, *, strict: bool) -> str | None:
    """Why `key` is not a usable Fernet key (32 bytes in URL-safe base64), or None; `strict`
    (production) also refuses placeholders and keys whose bytes are not random."""
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32:
        return "it is not a Fernet key (32 bytes in URL-safe base64: 44 characters)"
    if not strict:
        return None
    if any(word in key.lower() for word in PLACEHOLDER_WORDS):
        return "it is a placeholder or a well-known default"
    # 32 random bytes hold about 30 different values; a key derived from a word or typed in
    # holds far fewer, or repeats itself.
    if len(set(raw)) < 20 or raw in (raw + raw)[1:-1]:
        return "its bytes are not random"
    return None


def _instance_file(instance_path: Path, name: str, make: Callable[[], str]) -> str:
    """A random value kept in the instance folder, so it survives a restart. Several
    processes may start at once: the first to create the file wins, the others read it."""
    path = instance_path / name
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_text(make())
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def _development_secret(instance_path: Path) -> str:
    return _instance_file(instance_path, "secret_key", lambda: secrets.token_urlsafe(48))


def _development_encryption_key(instance_path: Path) -> str:
    from cryptography.fernet import Fernet

    return _instance_file(instance_path, "encryption_key", lambda: Fernet.generate_key().decode())


def encryption_keys(
    instance_path: Path, *, production: bool, given: str | list[str] | None = None
) -> list[str]:
    """PAIRWISE_ENCRYPTION_KEYS (or its _FILE): comma-separated Fernet keys, newest first.
    The newest encrypts; every one decrypts, so a retired key stays until
    `pairwise rotate-encryption-key` has re-encrypted everything with the newest."""
    text = given if given is not None else env_secret("PAIRWISE_ENCRYPTION_KEYS")
    keys = text if isinstance(text, list) else [k.strip() for k in (text or "").split(",")]
    keys = [k for k in keys if k]
    if not keys:
        if production:
            raise ConfigError(
                "PAIRWISE_ENCRYPTION_KEYS must be set in production: it encrypts webhook and "
                f"inbound signing secrets in the database. Generate one with {HOW_TO_GENERATE_KEY}"
            )
        return [_development_encryption_key(instance_path)]
    for position, key in enumerate(keys, start=1):
        reason = weak_key_reason(key, strict=production)
        if reason:
            raise ConfigError(
                f"PAIRWISE_ENCRYPTION_KEYS: key {position} of {len(keys)} is refused: {reason}. "
                f"Generate one with {HOW_TO_GENERATE_KEY}"
            )
    return keys


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
        reason = weak_secret_reason(secret)
        if reason:
            raise ConfigError(
                f"SECRET_KEY must be set to a long random value in production, and {reason}. "
                f"Generate one with {HOW_TO_GENERATE}"
            )
    elif not secret:
        secret = _development_secret(instance_path)
    keys = encryption_keys(
        instance_path, production=production, given=overrides.get("ENCRYPTION_KEYS")
    )

    default_database = f"sqlite:///{instance_path / 'pairwise.db'}"
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or env("DATABASE_URL", default_database)

    config: dict[str, Any] = {
        "PAIRWISE_ENV": environment,
        "SECRET_KEY": secret,
        # Fernet keys, newest first: webhook and inbound signing secrets are stored encrypted.
        "ENCRYPTION_KEYS": keys,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # No ping before each transaction (a round trip each, 9% of a transition): a pooled
        # connection the database dropped (a restart, a failover) fails its first statement
        # instead, which answers 503 "nothing was changed" and makes SQLAlchemy replace every
        # connection pooled before it; one request per web process is refused, once. Idle
        # connections are replaced after 5 minutes, before proxies and firewalls drop them.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": env_bool("PAIRWISE_DATABASE_PRE_PING", False),
            "pool_recycle": 300,
        },
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
        # A spreadsheet of participants to import may be larger (the console and the API).
        "IMPORT_MAX_BYTES": env_int("PAIRWISE_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024),
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
        # How long an invited member of staff's link to set their first password works.
        "INVITATION_MAX_AGE": env_duration("PAIRWISE_INVITATION_MAX_AGE", "7d"),
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
        # The funder report is laid out as a PDF in the request: a second or more of CPU each.
        "LIMIT_REPORTS": env_limit("PAIRWISE_LIMIT_REPORTS", "6 per minute;60 per hour"),
        "SESSION_COOKIE_SECURE": production,
        # Redirect plain HTTP to HTTPS (when no proxy in front does it already).
        "FORCE_HTTPS": env_bool("PAIRWISE_FORCE_HTTPS", False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "API_TITLE": "Pairwise",
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.1.0",
    }
    config.update(overrides)
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    return config
