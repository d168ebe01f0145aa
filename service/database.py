"""The database handle, column types shared by every domain, and the unit of work."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVarTuple, cast

import sqlalchemy as sa
from flask import g, has_request_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, make_transient_to_detached, registry
from sqlalchemy.orm.attributes import set_committed_value

log = logging.getLogger(__name__)
# The types of a select's columns, kept by `read`.
_Columns = TypeVarTuple("_Columns")


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


class Database(SQLAlchemy):
    def _teardown_session(self, exc: BaseException | None) -> None:
        """End the request's session. A connection that died after the answer was made fails
        the rollback here, after the view: the server rolls back on disconnect anyway, so the
        answer stands (Flask would otherwise replace it with a plain 500 page)."""
        try:
            self.session.remove()
        except SQLAlchemyError as error:
            log.warning("database session could not be closed cleanly: %s", error)
            self.session.registry.clear()


db = Database(model_class=Base)

# The models' base class. Flask-SQLAlchemy makes `db.Model` from `Base` at run time, which
# mypy cannot follow (to it `db.Model` is a variable): it sees `Base`, which has the same
# columns, registry and metadata.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def _lower(text: str | None) -> str | None:
    return text.lower() if isinstance(text, str) else text


@sa.event.listens_for(sa.Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Foreign keys on, WAL so readers never block the writer, and wait for locks. SQLite's
    own lower() folds ASCII letters only: Python's folds every letter, as PostgreSQL's does,
    so a search for "JÓNSDÓTTIR" finds Jónsdóttir on both."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
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
        dbapi_connection is not None
        and type(dbapi_connection).__module__.startswith("sqlite3")
        and not dbapi_connection.in_transaction
    ):
        dbapi_connection.execute("BEGIN")


def rollback(session: Session | None = None) -> None:
    """Roll back, even on a connection that died: SQLAlchemy has invalidated it by then, and
    the server discards the work of a connection it lost."""
    session = session or db.session()
    try:
        session.rollback()
    except SQLAlchemyError as error:
        log.warning("rollback failed: %s", error)


_UNIT_OF_WORK = "pairwise.unit_of_work"
_UNIT_COMMITS = "pairwise.unit_commits"
_WRITES = "pairwise.writes"


@contextmanager
def transaction(*, keep_loaded: bool = False) -> Iterator[Session]:
    """One unit of work: everything inside commits together, or nothing does.

    Inside `unit_of_work()` it is a savepoint instead: the enclosing unit commits, so a
    service function's writes and what the request adds to them land in one transaction.

    `keep_loaded`: the rows in hand are not expired by the commit, so building the answer
    from them costs no reload. Only for a caller whose rows hold what was committed: it
    locked them, or wrote them itself, in this transaction.
    """
    session = db.session()
    if session.info.get(_UNIT_OF_WORK):
        with session.begin_nested():
            yield session
        return
    try:
        yield session
        if keep_loaded:
            _commit_keeping_loaded(session)
        else:
            session.commit()
    except BaseException:
        rollback(session)
        raise


def _commit_keeping_loaded(session: Session) -> None:
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Commit once, at the end, everything done inside: service functions' transactions
    included. A commit from anything else inside is a bug, and refused. Inside another
    unit of work it is a savepoint of that unit."""
    session = db.session()
    if session.info.get(_UNIT_OF_WORK):
        with session.begin_nested():
            yield session
        return
    if session.in_transaction():
        session.commit()  # what came before (reads, bookkeeping) is not part of this unit
    session.info[_UNIT_OF_WORK] = True
    try:
        yield session
        session.info[_UNIT_COMMITS] = True
        session.commit()
    except BaseException:
        rollback(session)
        raise
    finally:
        session.info.pop(_UNIT_OF_WORK, None)
        session.info.pop(_UNIT_COMMITS, None)


class Outcome(StrEnum):
    """What the current request has done to the database so far: a failure is reported
    as changing nothing only when nothing was, or may have been, committed."""

    UNCHANGED = "unchanged"
    COMMITTING = "committing"  # a COMMIT was sent; whether it took, we do not know
    COMMITTED = "committed"


def request_outcome() -> Outcome:
    if not has_request_context():
        return Outcome.UNCHANGED
    return g.get("pairwise_db_outcome", Outcome.UNCHANGED)


def _set_outcome(outcome: Outcome) -> None:
    if has_request_context():
        g.pairwise_db_outcome = outcome


@sa.event.listens_for(Session, "do_orm_execute")
def _note_statement_write(state: Any) -> None:
    # Bookkeeping (a token's last use, an Idempotency-Key claimed) is not a change the client
    # asked for.
    if (state.is_insert or state.is_update or state.is_delete) and not state.execution_options.get(
        "bookkeeping"
    ):
        state.session.info[_WRITES] = True


@sa.event.listens_for(Session, "after_flush")
def _note_flushed_write(session: Session, flush_context: Any) -> None:
    session.info[_WRITES] = True


@sa.event.listens_for(Session, "before_commit")
def _commit_starts(session: Session) -> None:
    if session.in_nested_transaction():
        return  # releasing a savepoint commits nothing
    if session.info.get(_UNIT_OF_WORK) and not session.info.get(_UNIT_COMMITS):
        raise RuntimeError("commit inside a unit of work: use transaction(), which it commits")
    if session.info.get(_WRITES) or session.new or session.dirty or session.deleted:
        _set_outcome(Outcome.COMMITTING)


@sa.event.listens_for(Session, "after_commit")
def _commit_ended(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_WRITES, None)
    if request_outcome() is Outcome.COMMITTING:
        _set_outcome(Outcome.COMMITTED)


@sa.event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_WRITES, None)


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE matched. `Session.execute` is typed to return a `Result`;
    for these statements it is a `CursorResult`, which has the count."""
    return cast("CursorResult[*tuple[Any, ...]]", result).rowcount


def read(
    query: sa.Select[*_Columns], parameters: dict[str, Any] | None = None
) -> CursorResult[*_Columns]:
    """Run a select of columns on the session's connection: plain rows, without the ORM's
    work for each (several times the cost of reading them when there are hundreds of
    thousands). Unlike `db.session.execute` it does not flush first. `parameters`: the
    values of the query's bound parameters."""
    return db.session.connection().execute(query, parameters)


def plain_rows(query: sa.Select[*_Columns]) -> list[tuple[Any, ...]]:
    """The rows of a select as the driver gives them, as tuples: without SQLAlchemy's work for
    each row and each typed column (several times the cost of the fetch itself over a few
    hundred thousand rows). For reads of many rows whose columns need no conversion: whole
    numbers, text (a UTC moment comes back naive, as text, on SQLite)."""
    result = read(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def utc_moment(value: datetime | str | None) -> datetime | None:
    """A `UTCDateTime` column's value as `plain_rows` gives it (text on SQLite, a datetime on
    PostgreSQL) made what the column gives: aware, in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def plain_day(value: date | str | None) -> date | None:
    """A date column's value as `plain_rows` gives it (text on SQLite) as a date."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def among(column: Any, ids: list[int]) -> sa.ColumnElement[bool]:
    """`column IN (ids)` with the ids as one parameter (an array on PostgreSQL, JSON text on
    SQLite): expanding thousands of parameters into the statement each time it runs took
    longer than some of the queries themselves. The plans are those of an IN list."""
    if db.engine.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(ids), type_=postgresql.ARRAY(sa.Integer)))
    values = sa.func.json_each(sa.bindparam(None, json.dumps(list(ids)), type_=sa.String))
    return column.in_(sa.select(sa.column("value", sa.Integer)).select_from(values))


def table_of(model: type[Any]) -> sa.Table:
    """The table a model maps, for Core statements over many rows. `Model.__table__` is typed
    as any `FromClause`; every model here maps one plain table."""
    table = sa.inspect(model).local_table
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} does not map a single table")
    return table


def write(
    statement: sa.Insert | sa.Update | sa.Delete, parameters: dict[str, Any] | None = None
) -> CursorResult[Any]:
    """Run a Core INSERT, UPDATE or DELETE of a table (not of a mapped class) on the
    session's connection, in its transaction: without the ORM's work for each statement,
    which cost more than the database's on the hot paths. Noted as a write, as the
    session's own statements are (see `request_outcome`). It does not flush first."""
    session = db.session()
    session.info[_WRITES] = True
    return session.connection().execute(statement, parameters)


def add_inserted(instance: Any) -> None:
    """`session.add(instance)` and its flush, as one INSERT … RETURNING run now: the new
    row's id and the column defaults the INSERT filled are set on the instance, which
    joins the session as a row loaded from it (a change made to it afterwards is flushed
    as usual). For a new object of a single table whose relationships are set by their
    ids, not objects, to rows in the database already (nothing is flushed first). On the
    hot paths the unit of work's bookkeeping for one object cost more than its INSERT."""
    model: type = type(instance)
    state = sa.inspect(instance)
    if state.key is not None or state.dict.keys() & _relationship_keys(model):
        raise ValueError(f"add_inserted takes a new {model.__name__} with ids, not objects")
    columns = _column_of_attribute(model)
    given = {
        columns[attribute]: value for attribute, value in state.dict.items() if attribute in columns
    }
    inserting = _inserting(model, frozenset(given))
    row = write(inserting.statement, given).one()
    for attribute, value in zip(inserting.returned, row, strict=True):
        set_committed_value(instance, attribute, value)
    make_transient_to_detached(instance)
    db.session.add(instance)


@dataclass(frozen=True)
class _Inserting:
    statement: sa.Insert
    # The attributes its RETURNING columns give, in their order.
    returned: tuple[str, ...]


@cache
def _column_of_attribute(model: type) -> dict[str, str]:
    """A model's column attributes, each with the key of its column."""
    mapper: Mapper[Any] = sa.inspect(model)
    return {prop.key: prop.columns[0].key for prop in mapper.column_attrs}


@cache
def _relationship_keys(model: type) -> frozenset[str]:
    mapper: Mapper[Any] = sa.inspect(model)
    return frozenset(mapper.relationships.keys())


@cache
def _inserting(model: type, given: frozenset[str]) -> _Inserting:
    """The INSERT of a model's row with the `given` columns, returning the others (the id
    and the defaults): built once for each."""
    attributes = {column: attribute for attribute, column in _column_of_attribute(model).items()}
    returned = [column for column in table_of(model).columns if column.key not in given]
    return _Inserting(
        sa.insert(table_of(model)).returning(*returned),
        tuple(attributes[column.key] for column in returned),
    )


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def insert_many_unless_exist(
    model: type[Any], rows: list[dict[str, Any]], unique: list[str], returning: list[str]
) -> list[sa.Row[Any]]:
    """`insert_unless_exists` for many rows: the `returning` columns of the rows made (rows
    whose unique columns matched are left out), by one INSERT … ON CONFLICT DO NOTHING (see
    `insert_rows`)."""
    return insert_rows(table_of(model), rows, returning=returning, unique=unique)


def insert_unless_exists(
    model: type[Any], values: dict[str, Any], unique: list[str], *, bookkeeping: bool = False
) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING: the new row's id, or None if the unique columns
    matched an existing row. One statement, no savepoint, on PostgreSQL and SQLite alike.
    `bookkeeping`: not a change the client asked for (see `request_outcome`)."""
    dialect = postgresql if is_postgresql() else sqlite
    statement = (
        dialect.insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(model.id)
        .execution_options(bookkeeping=bookkeeping)
    )
    return db.session.execute(statement).scalar_one_or_none()


def insert_rows(
    table: sa.Table,
    rows: list[dict[str, Any]],
    *,
    returning: list[str] | None = None,
    unique: list[str] | None = None,
) -> list[sa.Row[Any]]:
    """Many rows in one INSERT (… ON CONFLICT (`unique`) DO NOTHING if given), in the
    caller's transaction; the `returning` columns of the rows made, in no particular order.

    On PostgreSQL the rows go as one JSON document, `INSERT … SELECT … FROM
    json_to_recordset(…)`: one short statement with one parameter, however many rows. A
    multi-row VALUES has one parameter per value, and psycopg parses such a statement afresh
    each time (too long for its cache): for the sweep's batches that parsing cost more than
    the database's work. SQLite takes the rows as multi-row VALUES pages ("insertmanyvalues").
    Python-side column defaults fill the columns a row leaves out, as with a plain INSERT."""
    if not rows:
        return []
    if is_postgresql():
        rows = _with_defaults(table, rows)
        names = list(rows[0])
        values = _recordset(table, names, rows)
        statement: Any = postgresql.insert(table).from_select(
            names, sa.select(*(values.c[name] for name in names))
        )
    else:
        statement = sqlite.insert(table)
    if unique is not None:
        statement = statement.on_conflict_do_nothing(index_elements=unique)
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
    result = (
        db.session.execute(statement) if is_postgresql() else db.session.execute(statement, rows)
    )
    return list(result) if returning else []


def update_rows(
    table: sa.Table, key: list[str], values: list[str], rows: list[dict[str, Any]]
) -> int:
    """Many rows updated in one statement, in the caller's transaction: each row where the
    `key` columns equal the row's (a compare-and-set when the key holds the value expected)
    takes its `values`. Returns how many rows were updated. Each row's dict names its key
    columns `key_<name>` and its new values by column. On PostgreSQL one `UPDATE … FROM
    json_to_recordset(…)`; on SQLite one executemany UPDATE, compiled once."""
    if not rows:
        return 0
    if is_postgresql():
        names = [f"key_{name}" for name in key] + values
        types = {f"key_{name}": table.c[name].type for name in key} | {
            name: table.c[name].type for name in values
        }
        given = _recordset(table, names, rows, types=types)
        # The planner takes a set-returning function for 100 rows whatever it holds, and
        # would scan the whole table to join them: the first key's values, as one array,
        # let it find the rows by index.
        first = table.c[key[0]]
        keys = sa.bindparam(
            "given_keys", [row[f"key_{key[0]}"] for row in rows], type_=postgresql.ARRAY(first.type)
        )
        statement = (
            sa.update(table)
            .where(first == sa.any_(keys))
            .where(*(table.c[name] == given.c[f"key_{name}"] for name in key))
            .values({name: given.c[name] for name in values})
        )
        return rowcount(db.session.execute(statement))
    statement = (
        sa.update(table)
        .where(
            *(
                table.c[name] == sa.bindparam(f"key_{name}", type_=table.c[name].type)
                for name in key
            )
        )
        .values({name: sa.bindparam(name, type_=table.c[name].type) for name in values})
    )
    return rowcount(db.session.execute(statement, rows))


def _with_defaults(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with the Python-side defaults of the columns they leave out, as every row of
    a recordset INSERT must name the same columns."""
    missing = [
        column
        for column in table.columns
        if column.default is not None and any(column.name not in row for row in rows)
    ]
    if not missing:
        return rows
    filled = []
    for row in rows:
        extra: dict[str, Any] = {}
        for column in missing:
            if column.name in row:
                continue
            default = cast("sa.ColumnDefault", column.default)
            extra[column.name] = default.arg(None) if default.is_callable else default.arg
        filled.append({**row, **extra} if extra else row)
    names = set(filled[0])
    if any(set(row) != names for row in filled):
        raise ValueError(f"rows for {table.name} name different columns")
    return filled


def _recordset(
    table: sa.Table,
    names: list[str],
    rows: list[dict[str, Any]],
    *,
    types: dict[str, Any] | None = None,
) -> Any:
    """`json_to_recordset(…) AS given(names…)`: the rows as one JSON document, which
    PostgreSQL reads into typed columns (far cheaper than a VALUES parameter per value, or
    arrays that psycopg escapes value by value)."""
    types = types or {name: table.c[name].type for name in names}
    document = json.dumps(
        [{name: row[name] for name in names} for row in rows], default=_json_value
    )
    return (
        sa.func.json_to_recordset(sa.cast(sa.literal(document, sa.Text), postgresql.JSON))
        .table_valued(*(sa.column(name, types[name]) for name in names))
        .render_derived(name="given", with_types=True)
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given; use an aware UTC datetime")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
