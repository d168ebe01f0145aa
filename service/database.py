"""The database handle, column types shared by every domain, and the unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, registry


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")

# Stable constraint names, so Alembic can find them again on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            dict[str, Any]: JSONType,
            list[str]: JSONType,
        },
    )


db = SQLAlchemy(model_class=Base)


@sa.event.listens_for(sa.Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Foreign keys on, WAL so readers never block the writer, and wait for locks."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 15000")
        cursor.close()


@sa.event.listens_for(sa.Engine, "savepoint")
def _begin_before_savepoint(connection: sa.Connection, name: str | None) -> None:
    """pysqlite begins a transaction only at the first write. A SAVEPOINT issued first would
    itself become the transaction, and releasing it would commit at once: work the caller
    then rolls back would stay. So begin the real transaction first."""
    dbapi_connection = connection.connection.dbapi_connection
    if (
        type(dbapi_connection).__module__.startswith("sqlite3")
        and not dbapi_connection.in_transaction
    ):
        dbapi_connection.execute("BEGIN")


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: everything inside commits together, or nothing does."""
    session = db.session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def insert_unless_exists(model: type, values: dict[str, Any], unique: list[str]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING: the new row's id, or None if the unique columns
    matched an existing row. One statement, no savepoint, on PostgreSQL and SQLite alike."""
    dialect = postgresql if is_postgresql() else sqlite
    statement = (
        dialect.insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(model.id)
    )
    return db.session.execute(statement).scalar_one_or_none()
