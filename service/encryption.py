"""Secrets the service must read back (webhook signing secrets, inbound signing keys) are
stored encrypted with Fernet; the keys come from PAIRWISE_ENCRYPTION_KEYS, newest first.

The newest key encrypts; every listed key decrypts, so a new key can be put first at once
and an old one removed after `pairwise rotate-encryption-key` has re-encrypted every value.
Columns declared `EncryptedText` encrypt on write and decrypt on read, so the code that uses
the attributes sees plain text and never changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

EXTENSION = "pairwise.encryption"
# Fernet tokens are base64 of version 0x80 and a timestamp: they all start like this.
TOKEN_PREFIX = "gAAAAA"


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted with any configured key."""


def keyring(keys: Iterable[str]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = keyring(app.config["ENCRYPTION_KEYS"])


def _current() -> MultiFernet:
    return current_app.extensions[EXTENSION]


def encrypt(text: str, ring: MultiFernet | None = None) -> str:
    return (ring or _current()).encrypt(text.encode()).decode()


UNREADABLE = (
    "A stored secret cannot be decrypted with any key in PAIRWISE_ENCRYPTION_KEYS: the key it "
    "was encrypted with is missing (keep a retired key listed after the newest until "
    "`pairwise rotate-encryption-key` has run)."
)


def decrypt(token: str, ring: MultiFernet | None = None) -> str:
    try:
        return (ring or _current()).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(UNREADABLE) from None


def is_encrypted(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


class EncryptedText(sa.types.TypeDecorator):
    """Text stored as a Fernet token; reads and writes see the plain text."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else decrypt(value)


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    column: str


# Every encrypted column: the migration that encrypted them and the rotation walk this list.
COLUMNS = (
    EncryptedColumn("webhook_endpoints", "secret"),
    EncryptedColumn("webhook_endpoints", "previous_secret"),
    EncryptedColumn("inbound_sources", "secret"),
)


def _rows(connection: sa.Connection, column: EncryptedColumn) -> list[tuple[int, str]]:
    table = sa.table(column.table, sa.column("id"), sa.column(column.column))
    value = table.c[column.column]
    query = sa.select(table.c.id, value).where(value.is_not(None))
    return [(row_id, text) for row_id, text in connection.execute(query)]


def _replace(
    connection: sa.Connection, column: EncryptedColumn, row_id: int, old: str, new: str
) -> int:
    """Compare-and-set: a value the app changed meanwhile (a secret an admin rotated) stays
    as the app wrote it. 1 if replaced, else 0."""
    table = sa.table(column.table, sa.column("id"), sa.column(column.column))
    value = table.c[column.column]
    query = sa.update(table).where(table.c.id == row_id, value == old).values({value.key: new})
    return connection.execute(query).rowcount


def encrypt_plaintext_rows(connection: sa.Connection, ring: MultiFernet) -> int:
    """Encrypt the values written before encryption existed; encrypted ones stay."""
    changed = 0
    for column in COLUMNS:
        for row_id, value in _rows(connection, column):
            if not is_encrypted(value):
                changed += _replace(connection, column, row_id, value, encrypt(value, ring))
    return changed


def decrypt_all_rows(connection: sa.Connection, ring: MultiFernet) -> int:
    """Back to plain text (the migration's downgrade)."""
    changed = 0
    for column in COLUMNS:
        for row_id, value in _rows(connection, column):
            if is_encrypted(value):
                changed += _replace(connection, column, row_id, value, decrypt(value, ring))
    return changed


def rotate_all_rows(connection: sa.Connection, ring: MultiFernet) -> int:
    """Re-encrypt every value with the newest key; afterwards older keys can be removed."""
    changed = 0
    for column in COLUMNS:
        for row_id, value in _rows(connection, column):
            try:
                rotated = ring.rotate(value.encode()).decode()
            except InvalidToken:
                where = f"{column.table}.{column.column} of row {row_id}"
                raise SecretUnreadable(f"{where}: {UNREADABLE}") from None
            changed += _replace(connection, column, row_id, value, rotated)
    return changed
