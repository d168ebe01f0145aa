"""A program's data for a warehouse: every table the program owns, one file each (CSV or
Parquet) in a ZIP with a manifest, holding only the rows changed in a window of change time.

The contract (docs/operations/warehouse-export.md):

- A row is in the export whose latest change time is after `since` and at or before `until`.
  `until` is the time the export starts less `SETTLE`: a transaction that stamped a row a
  moment before but had not committed when the export read it is in the next export, not
  lost. The manifest's `cursor` (= `until`) is the next export's `since`, so successive
  exports together hold every row's latest state once; a row changed again later is sent
  again, and a warehouse keeps the newest copy by the table's key.
- A table with no change time of its own is sent whole every time (`mode: snapshot`).
- Rows are never deleted from these tables, except assignments of support staff (a snapshot,
  so a removal shows as a missing row).
- Left out: credentials (the nonces of survey and choice links), safety notes and safety
  answers (each read of one is logged for the pair, which a bulk file cannot honour), a
  story shared without consent, screening notes, and tables that are the service's machinery
  rather than the program's record. The manifest names each, with why.

The ZIP is written to a file the caller gives (a temporary file for a download), a table at a
time and its rows in batches, so a large program never sits in memory whole.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from flask import Response, send_file
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from service.accounts.models import User, pair_support
from service.approvals.models import Proposal
from service.calendar.models import Compliance, Contact
from service.choice.models import ChoiceOffer
from service.clock import now
from service.closure.models import ClosureRecord, EndingReasons
from service.database import UTCDateTime, db
from service.errors import Invalid, NotFound
from service.events.models import OutboxEvent
from service.insights.models import RiskModel
from service.meetings.models import Meeting
from service.notes.models import Confidentiality, Note
from service.pairs.models import (
    AgreementGoal,
    GoalProgress,
    Intervention,
    MentoringAgreement,
    Pair,
    Pause,
    StaffChange,
    TransitionRecord,
)
from service.participants.models import IntakeRecord, Participant, Screening, WaitingNotice
from service.programs.models import Program
from service.signals.models import Signal
from service.surveys.models import (
    GroupCheckin,
    GroupCheckinPair,
    Invitation,
    SurveyResponse,
    SurveyVersion,
)
from service.surveys.versions import definition_of
from service.training.models import TrainingRecord
from surveys.definition import DefinitionError

log = logging.getLogger(__name__)

FORMATS = ("csv", "parquet")
# How long before the export starts its window ends: longer than any transaction runs (a
# request is cut off sooner), so no row is stamped inside a window after the window was read.
SETTLE = timedelta(minutes=2)
# Rows fetched and written at a time.
BATCH = 5000
# Bytes handed to the compressor at a time.
CHUNK = 1 << 20
MANIFEST = "manifest.json"


def _table(model: Any) -> sa.Table:
    return model.__table__


_PAIRS = _table(Pair)
_PEOPLE = _table(Participant)


def _of_program(table: sa.Table) -> Callable[[int], sa.ColumnElement[bool]]:
    return lambda program_id: table.c.program_id == program_id


def _of_pairs(column: str) -> Callable[[Any], Callable[[int], sa.ColumnElement[bool]]]:
    def by(table: sa.Table) -> Callable[[int], sa.ColumnElement[bool]]:
        return lambda program_id: table.c[column].in_(
            sa.select(_PAIRS.c.id).where(_PAIRS.c.program_id == program_id)
        )

    return by


def _of_people(column: str) -> Callable[[Any], Callable[[int], sa.ColumnElement[bool]]]:
    def by(table: sa.Table) -> Callable[[int], sa.ColumnElement[bool]]:
        return lambda program_id: table.c[column].in_(
            sa.select(_PEOPLE.c.id).where(_PEOPLE.c.program_id == program_id)
        )

    return by


_by_pair = _of_pairs("pair_id")
_by_participant = _of_people("participant_id")

CREDENTIAL = "a credential: the secret part of a participant's link"
SCREENING_NOTES = "screening notes are for the coordinators who vet a volunteer"
MACHINERY = "the service's own bookkeeping, not the program's record"


@dataclass(frozen=True)
class Source:
    """One table of the export: whose rows are the program's, and which columns tell when a
    row last changed (the first is never empty; none: the table is sent whole)."""

    name: str
    table: sa.Table
    owned: Callable[[int], sa.ColumnElement[bool]]
    changed: tuple[str, ...]
    left_out: Mapping[str, str] = field(default_factory=dict)
    # Extra tables to join for `owned` or `changed` (a child table timed by its parent).
    joined: Callable[[sa.Select], sa.Select] | None = None
    changed_columns: tuple[sa.ColumnElement[Any], ...] = ()

    @property
    def mode(self) -> str:
        return "incremental" if self.changed or self.changed_columns else "snapshot"

    @property
    def columns(self) -> list[sa.Column[Any]]:
        return [c for c in self.table.columns if c.name not in self.left_out]

    def times(self) -> list[sa.ColumnElement[Any]]:
        return [*(self.table.c[name] for name in self.changed), *self.changed_columns]

    def changed_by(self) -> list[str]:
        """The change times by name, a parent's with its table's."""
        parents = [f"{c.table.name}.{c.name}" for c in self.changed_columns]
        return [*self.changed, *parents]


def _sources() -> list[Source]:
    table = _table
    checkins = table(GroupCheckin)
    checkin_pairs = table(GroupCheckinPair)
    in_program_pairs = _by_pair(checkin_pairs)
    users = table(User)

    def staff_of(program_id: int) -> sa.ColumnElement[bool]:
        changes = table(StaffChange)
        pairs_of = sa.select(_PAIRS.c.id).where(_PAIRS.c.program_id == program_id)
        return users.c.id.in_(
            sa.union(
                sa.select(_PAIRS.c.coordinator_id).where(_PAIRS.c.program_id == program_id),
                sa.select(pair_support.c.user_id).where(pair_support.c.pair_id.in_(pairs_of)),
                sa.select(changes.c.to_user_id).where(changes.c.pair_id.in_(pairs_of)),
                sa.select(changes.c.from_user_id).where(changes.c.pair_id.in_(pairs_of)),
            )
        )

    return [
        Source("programs", table(Program), lambda pid: table(Program).c.id == pid, ("updated_at",)),
        Source("participants", _PEOPLE, _of_program(_PEOPLE), ("updated_at",)),
        Source(
            "screenings",
            table(Screening),
            _by_participant(table(Screening)),
            ("updated_at",),
            left_out={
                "application": SCREENING_NOTES,
                "interview_notes": SCREENING_NOTES,
                "references_notes": SCREENING_NOTES,
            },
        ),
        Source(
            "intake_records",
            table(IntakeRecord),
            _by_participant(table(IntakeRecord)),
            ("created_at",),
        ),
        Source(
            "waiting_notices",
            table(WaitingNotice),
            _by_participant(table(WaitingNotice)),
            ("sent_at",),
        ),
        Source(
            "training_records",
            table(TrainingRecord),
            _by_participant(table(TrainingRecord)),
            ("created_at",),
        ),
        Source(
            "pairs",
            _PAIRS,
            _of_program(_PAIRS),
            ("updated_at",),
            left_out={"calendar_stale": MACHINERY, "event_sequence": MACHINERY},
        ),
        Source(
            "staff",
            users,
            staff_of,
            (),
            left_out={
                "email": "staff e-mail addresses are not the program's record",
                "password_hash": "a credential",
                "email_preferences": MACHINERY,
                "language": MACHINERY,
            },
        ),
        Source("pair_support", pair_support, _by_pair(pair_support), ()),
        Source("staff_changes", table(StaffChange), _by_pair(table(StaffChange)), ("created_at",)),
        Source(
            "transition_records",
            table(TransitionRecord),
            _by_pair(table(TransitionRecord)),
            ("created_at",),
        ),
        Source(
            "proposals", table(Proposal), _by_pair(table(Proposal)), ("created_at", "decided_at")
        ),
        Source("pauses", table(Pause), _by_pair(table(Pause)), ("created_at",)),
        Source(
            "interventions", table(Intervention), _by_pair(table(Intervention)), ("created_at",)
        ),
        Source(
            "mentoring_agreements",
            table(MentoringAgreement),
            _by_pair(table(MentoringAgreement)),
            ("updated_at", "created_at"),
        ),
        Source(
            "agreement_goals",
            table(AgreementGoal),
            _by_pair(table(AgreementGoal)),
            ("created_at", "retired_at"),
        ),
        Source(
            "goal_progress", table(GoalProgress), _by_pair(table(GoalProgress)), ("recorded_at",)
        ),
        Source("meetings", table(Meeting), _by_pair(table(Meeting)), ("created_at",)),
        Source("contacts", table(Contact), _by_pair(table(Contact)), ("updated_at",)),
        Source(
            "meeting_compliance", table(Compliance), _by_pair(table(Compliance)), ("updated_at",)
        ),
        Source("signals", table(Signal), _by_pair(table(Signal)), ("raised_at",)),
        Source(
            "survey_versions",
            table(SurveyVersion),
            # The program's own versions and the standard ones, which its surveys may use.
            lambda pid: sa.or_(
                table(SurveyVersion).c.program_id == pid,
                table(SurveyVersion).c.program_id.is_(None),
            ),
            ("created_at",),
        ),
        Source(
            "invitations",
            table(Invitation),
            _by_participant(table(Invitation)),
            ("created_at", "used_at"),
            left_out={"nonce": CREDENTIAL},
        ),
        Source(
            "survey_responses",
            table(SurveyResponse),
            _responses_of,
            ("submitted_at",),
            left_out={"answers": "one row per answer in survey_answers, as each may be read"},
        ),
        Source(
            "group_checkins",
            checkins,
            lambda pid: checkins.c.id.in_(
                sa.select(checkin_pairs.c.group_checkin_id).where(in_program_pairs(pid))
            ),
            ("created_at",),
        ),
        Source(
            "group_checkin_pairs",
            checkin_pairs,
            in_program_pairs,
            (),
            # No time of its own: written with its check-in, so timed by it.
            joined=lambda query: query.join(
                checkins, checkins.c.id == checkin_pairs.c.group_checkin_id
            ),
            changed_columns=(checkins.c.created_at,),
        ),
        Source(
            "notes",
            table(Note),
            # A safety note's every read is logged for its pair: it is not sent in bulk.
            lambda pid: sa.and_(
                _by_pair(table(Note))(pid),
                table(Note).c.confidentiality != Confidentiality.SAFETY.value,
            ),
            ("created_at",),
        ),
        Source(
            "choice_offers",
            table(ChoiceOffer),
            _by_pair(table(ChoiceOffer)),
            ("created_at", "used_at"),
            left_out={"nonce": CREDENTIAL},
        ),
        Source(
            "closure_records",
            table(ClosureRecord),
            _by_pair(table(ClosureRecord)),
            ("updated_at",),
        ),
        Source(
            "ending_reasons",
            table(EndingReasons),
            _by_pair(table(EndingReasons)),
            ("recorded_at",),
        ),
        Source(
            "events",
            table(OutboxEvent),
            _by_pair(table(OutboxEvent)),
            ("occurred_at",),
            left_out={
                "published_at": MACHINERY,
                "handled_at": MACHINERY,
                "request_id": MACHINERY,
            },
        ),
        Source(
            "risk_models",
            table(RiskModel),
            _of_program(table(RiskModel)),
            ("fitted_at", "scored_at"),
        ),
    ]


def _responses_of(program_id: int) -> sa.ColumnElement[bool]:
    responses = _table(SurveyResponse)
    people = sa.select(_PEOPLE.c.id).where(_PEOPLE.c.program_id == program_id)
    pairs = sa.select(_PAIRS.c.id).where(_PAIRS.c.program_id == program_id)
    # A coordinator's own check-in names the pair, not a participant.
    return sa.or_(responses.c.participant_id.in_(people), responses.c.pair_id.in_(pairs))


# Tables a program's rows reach that the export leaves out, and why.
NOT_EXPORTED: dict[str, str] = {
    "schedules": "when each kind of contact is next due: redrawn and deleted as the calendar "
    "moves, so contacts and meeting_compliance hold what was due and what was done",
    "access_log": "who read a safety note or answer: the staff's audit trail, not the "
    "program's record",
    "inbox_items": "notices to staff, drawn from the events",
    "notifications": "e-mails sent, with addresses and bodies",
    "inbound_events": "meeting notices as other services sent them; the meetings they "
    "recorded are in meetings",
    "webhooks, tokens, sessions": "the service's integrations and credentials, no program's",
}

ANSWER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("response_id", "integer"),
    ("pair_id", "integer"),
    ("participant_id", "integer"),
    ("question", "string"),
    ("question_type", "string"),
    ("visibility", "string"),
    ("value", "string"),
)
ANSWERS_LEFT_OUT = {
    "safety answers": "each read of a safety answer is logged for its pair: it is not sent in "
    "bulk (the signal it raised is in signals)",
    "stories": "an answer meant for publishing (visibility public) only when its teller "
    "agreed to share it",
    "unknown questions": "an answer to a question its survey version does not hold, since "
    "whether it is a safety answer cannot be told",
}


@dataclass
class Written:
    name: str
    file: str
    mode: str
    changed_by: list[str]
    columns: list[dict[str, str]]
    rows: int = 0
    left_out: dict[str, str] = field(default_factory=dict)


def described() -> list[dict[str, Any]]:
    """Each table as the manifest describes it, less its columns and rows, and what it leaves
    out grouped by why: for the page."""
    tables = [(s.name, s.mode, s.changed_by(), s.left_out) for s in _sources()]
    tables.append(
        ("survey_answers", "incremental", ["survey_responses.submitted_at"], ANSWERS_LEFT_OUT)
    )
    described = []
    for name, mode, changed_by, left_out in tables:
        reasons: dict[str, list[str]] = {}
        for column, why in left_out.items():
            reasons.setdefault(why, []).append(column)
        described.append(
            {"name": name, "mode": mode, "changed_by": changed_by, "left_out": reasons}
        )
    return described


def window(
    since: datetime | None, *, at: datetime | None = None
) -> tuple[datetime | None, datetime]:
    """The window an export started at `at` (now) holds: after `since`, up to `SETTLE`
    before. A naive `since` is read as UTC. A `since` inside the settling time (the cursor
    of an export taken a moment ago, or by a server whose clock runs a little ahead) gives
    an empty window ending where it starts; a `since` after `at` is refused."""
    moment = at or now()
    until = moment - SETTLE
    if since is None:
        return None, until
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    try:
        since = since.astimezone(UTC)
    except OverflowError:  # the first hours of year 1, east of UTC: before any row
        raise Invalid("since", "must be a time after the year 1", location="query") from None
    if since > moment:
        raise Invalid(
            "since",
            f"must not be in the future (it is {moment.isoformat(timespec='seconds')} now)",
            location="query",
        )
    return since, max(since, until)


def export(
    out: IO[bytes],
    *,
    program_id: int,
    since: datetime | None = None,
    fmt: str = "csv",
    at: datetime | None = None,
) -> dict[str, Any]:
    """Write the program's rows changed after `since` to `out` as a ZIP, and return its
    manifest (also in the ZIP, as manifest.json). Raises NotFound for no such program and
    Invalid for an unknown format or a `since` in the future."""
    if fmt not in FORMATS:
        raise Invalid("format", f"must be one of {', '.join(FORMATS)}", location="query")
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound.of("program", program_id)
    generated = at or now()
    since, until = window(since, at=generated)
    written: list[Written] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for source in _sources():
            written.append(_write_source(archive, source, program.id, since, until, fmt))
        written.append(_write_answers(archive, program.id, since, until, fmt))
        manifest = {
            "program": {"id": program.id, "slug": program.slug, "name": program.name},
            "format": fmt,
            "since": _iso(since),
            "until": _iso(until),
            "cursor": _iso(until),
            "generated_at": _iso(generated),
            "tables": [vars(w) for w in written],
            "not_exported": NOT_EXPORTED,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _latest(times: Sequence[sa.ColumnElement[Any]]) -> sa.ColumnElement[Any]:
    """The latest of several change times (GREATEST, on every backend); only the first is
    never empty."""
    latest = times[0]
    for other in times[1:]:
        latest = sa.case((sa.and_(other.is_not(None), other > latest), other), else_=latest)
    return sa.type_coerce(latest, UTCDateTime())


def _in_window(
    times: Sequence[sa.ColumnElement[Any]], since: datetime | None, until: datetime
) -> sa.ColumnElement[bool]:
    latest = _latest(times)
    bounds = [latest <= sa.literal(until, UTCDateTime())]
    if since is not None:
        bounds.append(latest > sa.literal(since, UTCDateTime()))
    return sa.and_(*bounds)


def _query(source: Source, program_id: int, since: datetime | None, until: datetime) -> sa.Select:
    query = sa.select(*(_as_text(c) for c in source.columns)).select_from(source.table)
    if source.joined is not None:
        query = source.joined(query)
    query = query.where(source.owned(program_id))
    if source.mode == "incremental":
        query = query.where(_in_window(source.times(), since, until))
    keys = list(source.table.primary_key.columns) or source.columns
    return query.order_by(*keys)


def _as_text(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """A column as the CSV writes it, formatted by the database: times in ISO 8601 in UTC
    with the offset, dates ISO, booleans true/false, JSON as stored. Decoding a million
    times into Python only to format them again took most of an export's time."""
    kind = _kind(column)
    if kind == "timestamp":
        return _IsoTime(column).label(column.name)
    if kind == "date":
        return _IsoDate(column).label(column.name)
    if kind == "boolean":
        flag = sa.type_coerce(column, sa.Boolean())
        return sa.case((flag, "true"), (sa.not_(flag), "false"), else_=None).label(column.name)
    if kind == "json":
        return sa.cast(column, sa.Text).label(column.name)
    return column


class _IsoTime(FunctionElement[str]):
    type = sa.Text()
    inherit_cache = True


class _IsoDate(FunctionElement[str]):
    type = sa.Text()
    inherit_cache = True


@compiles(_IsoTime)
def _iso_time(element: _IsoTime, compiler: Any, **kw: Any) -> str:
    # SQLite holds UTC times as text, "2026-11-29 21:50:00.123456".
    (column,) = element.clauses
    return f"replace({compiler.process(column, **kw)}, ' ', 'T') || '+00:00'"


@compiles(_IsoTime, "postgresql")
def _iso_time_postgresql(element: _IsoTime, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return (
        f"to_char({compiler.process(column, **kw)} AT TIME ZONE 'UTC', "
        '\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\')'
    )


@compiles(_IsoDate)
def _iso_date(element: _IsoDate, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return str(compiler.process(column, **kw))  # SQLite holds dates as text, "2026-11-29"


@compiles(_IsoDate, "postgresql")
def _iso_date_postgresql(element: _IsoDate, compiler: Any, **kw: Any) -> str:
    # to_char, not a cast: a cast follows the server's DateStyle, which may be "29/11/2026".
    (column,) = element.clauses
    return f"to_char({compiler.process(column, **kw)}, 'YYYY-MM-DD')"


def _kind(column: sa.Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, UTCDateTime | sa.DateTime):
        return "timestamp"
    if isinstance(kind, sa.Date):
        return "date"
    if isinstance(kind, sa.Boolean):
        return "boolean"
    if isinstance(kind, sa.Integer):
        return "integer"
    if isinstance(kind, sa.Float | sa.Numeric):
        return "number"
    if isinstance(kind, sa.JSON):
        return "json"
    return "string"


def _batches(query: sa.Select) -> Iterator[Sequence[sa.Row[Any]]]:
    result = db.session.execute(query.execution_options(yield_per=BATCH))
    yield from result.partitions()


def _write_source(
    archive: zipfile.ZipFile,
    source: Source,
    program_id: int,
    since: datetime | None,
    until: datetime,
    fmt: str,
) -> Written:
    columns = [(c.name, _kind(c)) for c in source.columns]
    written = Written(
        name=source.name,
        file=f"{source.name}.{fmt}",
        mode=source.mode,
        changed_by=source.changed_by(),
        columns=[{"name": name, "type": kind} for name, kind in columns],
        left_out=dict(source.left_out),
    )
    query = _query(source, program_id, since, until)
    if db.session.get_bind().dialect.name != "postgresql":
        written.rows = _write_table(archive, written.file, columns, _batches(query), fmt)
    elif fmt == "csv":
        with archive.open(written.file, "w", force_zip64=True) as raw:
            written.rows = _copy(query, raw)
    else:
        written.rows = _copy_parquet(archive, written.file, columns, query)
    return written


def _copy(query: sa.Select, out: IO[bytes]) -> int:
    """The rows as PostgreSQL writes CSV itself (COPY … TO STDOUT, a header first) into
    `out`: no row passes through Python, several times faster than the csv module. The
    query's values are ours (ids and the window's times), rendered into the statement since
    COPY takes no parameters."""
    dialect = db.session.get_bind().dialect
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    connection = db.session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            # COPY hands over a row at a time: written a megabyte at a time instead.
            chunk = bytearray()
            for data in copy:
                chunk += data
                if len(chunk) >= CHUNK:
                    out.write(chunk)
                    chunk.clear()
            out.write(chunk)
        return max(cursor.rowcount, 0)


def _copy_parquet(
    archive: zipfile.ZipFile, name: str, columns: list[tuple[str, str]], query: sa.Select
) -> int:
    """The rows as COPY writes them, read back by arrow's CSV reader (in C++, a block at a
    time) into Parquet: a NULL is an empty field, an empty text a quoted one."""
    import pyarrow.csv as pacsv

    schema = _arrow_schema(columns)
    with tempfile.TemporaryDirectory(prefix="pairwise-warehouse-") as folder:
        text = Path(folder) / "table.csv"
        with text.open("wb") as out:
            count = _copy(query, out)
        reader = pacsv.open_csv(
            text,
            read_options=pacsv.ReadOptions(block_size=CHUNK * 4),
            convert_options=pacsv.ConvertOptions(
                column_types=schema,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
        _parquet_into(archive, name, schema, (batch.cast(schema) for batch in reader))
    return count


def _write_answers(
    archive: zipfile.ZipFile,
    program_id: int,
    since: datetime | None,
    until: datetime,
    fmt: str,
) -> Written:
    """survey_answers: one row per answer of the responses in the window, each as its own
    question reads it, less what may not leave the survey in bulk."""
    responses = _table(SurveyResponse)
    query = (
        sa.select(
            responses.c.id,
            responses.c.pair_id,
            responses.c.participant_id,
            responses.c.survey_version_id,
            responses.c.answers,
        )
        .where(_responses_of(program_id))
        .where(_in_window([responses.c.submitted_at], since, until))
        .order_by(responses.c.id)
    )
    questions: dict[int, dict[str, Any] | None] = {}

    def rows(batch: Sequence[sa.Row[Any]]) -> list[tuple[Any, ...]]:
        out = []
        for row in batch:
            response_id, pair_id, participant_id, version_id, answers = tuple(row)
            if version_id not in questions:
                questions[version_id] = _questions(version_id)
            known = questions[version_id] or {}
            for key, value in (answers or {}).items():
                question = known.get(key)
                if question is None or question.safety:
                    continue
                if question.visibility == "public" and answers.get("share_story") != "yes":
                    continue
                out.append(
                    (response_id, pair_id, participant_id, key, question.type,
                     question.visibility, _answer_text(value))
                )  # fmt: skip
        return out

    written = Written(
        name="survey_answers",
        file=f"survey_answers.{fmt}",
        mode="incremental",
        changed_by=["survey_responses.submitted_at"],
        columns=[{"name": name, "type": kind} for name, kind in ANSWER_COLUMNS],
        left_out=dict(ANSWERS_LEFT_OUT),
    )
    batches = (rows(batch) for batch in _batches(query))
    written.rows = _write_table(archive, written.file, list(ANSWER_COLUMNS), batches, fmt)
    return written


def _questions(version_id: int) -> dict[str, Any] | None:
    version = db.session.get(SurveyVersion, version_id)
    if version is None:
        return None
    try:
        definition = definition_of(version)
    except DefinitionError:
        return None  # Unreadable: no answer of it can be told safe, so none is sent.
    return {question.key: question for question in definition.questions}


def _answer_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _write_table(
    archive: zipfile.ZipFile,
    name: str,
    columns: list[tuple[str, str]],
    batches: Iterable[Sequence[Sequence[Any]]],
    fmt: str,
) -> int:
    if fmt == "parquet":
        return _write_parquet(archive, name, columns, batches)
    count = 0
    with archive.open(name, "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")  # as PostgreSQL's COPY writes it
        writer.writerow([column for column, _ in columns])
        for batch in batches:
            # Every value as the warehouse loads it already (`_as_text`); None is written
            # empty. Stored values, not defused for a spreadsheet.
            writer.writerows(batch)
            count += len(batch)
        text.flush()
        text.detach()
    return count


def _arrow_schema(columns: list[tuple[str, str]]) -> Any:
    # Imported here: only a Parquet export needs pyarrow loaded.
    import pyarrow as pa

    types = {
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
        "boolean": pa.bool_(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "json": pa.string(),
        "string": pa.string(),
    }
    return pa.schema([pa.field(column, types[kind]) for column, kind in columns])


def _write_parquet(
    archive: zipfile.ZipFile,
    name: str,
    columns: list[tuple[str, str]],
    batches: Iterable[Sequence[Sequence[Any]]],
) -> int:
    import pyarrow as pa

    schema = _arrow_schema(columns)
    # Times, dates and booleans come as text (`_as_text`): arrow parses them.
    as_read = [
        pa.string() if kind in ("timestamp", "date", "boolean") else None for _, kind in columns
    ]
    count = 0

    def records() -> Iterator[Any]:
        nonlocal count
        for batch in batches:
            if not batch:
                continue
            arrays = [
                pa.array([row[i] for row in batch], type=as_read[i] or field.type).cast(field.type)
                for i, field in enumerate(schema)
            ]
            count += len(batch)
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    _parquet_into(archive, name, schema, records())
    return count


def _parquet_into(archive: zipfile.ZipFile, name: str, schema: Any, batches: Iterable[Any]) -> None:
    import pyarrow.parquet as pq

    # Parquet's footer is written last, with offsets into the file: built in a temporary file
    # of its own, then copied into the archive.
    with tempfile.TemporaryDirectory(prefix="pairwise-warehouse-") as folder:
        path = Path(folder) / "table.parquet"
        with pq.ParquetWriter(path, schema, compression="snappy") as writer:
            for batch in batches:
                writer.write_batch(batch)
        archive.write(path, name)


def logged(manifest: dict[str, Any], *, by: str) -> None:
    """Who took which program's rows, for which window: one line in the service's log. (The
    access log records reads of safety notes and answers, which an export never holds.)"""
    log.info(
        "warehouse export of program %s by %s: %s to %s, %d rows (%s)",
        manifest["program"]["id"],
        by,
        manifest["since"] or "the start",
        manifest["until"],
        sum(table["rows"] for table in manifest["tables"]),
        manifest["format"],
    )


def download(program_id: int, *, since: datetime | None, fmt: str, by: str) -> Response:
    """The export as a file to save, with its cursor in the `Warehouse-Cursor` header, for
    the console and the API alike; logged as taken `by` someone. Built in a temporary file
    (on disk past a few megabytes, gone once sent); `Invalid` when `since` is refused."""
    # Not a with block: send_file closes it once the response is sent.
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        manifest = export(out, program_id=program_id, since=since, fmt=fmt)
    except BaseException:
        out.close()
        raise
    logged(manifest, by=by)
    out.seek(0)
    response = send_file(
        out, mimetype="application/zip", as_attachment=True, download_name=filename(manifest)
    )
    response.headers["Warehouse-Cursor"] = manifest["cursor"]
    return response


def filename(manifest: dict[str, Any]) -> str:
    """`<program>-warehouse-<since>-to-<until>.zip`, the times in UTC to the second."""

    def stamp(text: str | None) -> str:
        if text is None:
            return "start"
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return (
        f"{manifest['program']['slug']}-warehouse-"
        f"{stamp(manifest['since'])}-to-{stamp(manifest['until'])}.zip"
    )
