"""Importing participants from a spreadsheet (CSV or XLSX): map its columns to fields, check
every row as the API would (`ParticipantSchema`), then write them all in one transaction or
none at all. A person already in the program (same role and e-mail address) is updated, not
added twice, so the same file can be imported again.

The steps are plain functions: `read_table` (bytes to rows), `auto_mapping` (headers to
fields), `plan` (every row checked, each to create, update or leave), `write` (the plan, in
one transaction). `run` does all four; the console, the API, the CLI and the background job
for large files call it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError

from service.actors import Actor
from service.clock import now, today_in
from service.database import db, table_of, transaction
from service.errors import Invalid
from service.events import payloads
from service.events import service as events
from service.participants.models import IntakeRecord, Participant, Role, Screening
from service.participants.schemas import ParticipantSchema
from service.programs import service as programs
from workflows.intake import IntakeState

# What a column may be mapped to, with the words a coordinator reads.
FIELDS: dict[str, str] = {
    "full_name": "Full name",
    "email": "E-mail address",
    "role": "Role (mentor, mentee, guardian)",
    "phone": "Phone",
    "language": "Language",
    "capacity": "Capacity (mentors)",
    "goals": "Goals",
    "skills": "Skills and interests",
    "availability": "Availability",
    "languages": "Other languages",
    "location": "Location",
    "timezone": "Time zone",
    "gender": "Gender",
    "gender_preference": "Mentor's gender asked for",
    "household": "Household",
    "active": "Active (yes or no)",
}
# Cells holding several values, separated by semicolons or commas.
LIST_FIELDS = frozenset({"goals", "skills", "languages"})
# Headers that name a field in other words (compared without case, spaces or punctuation).
SYNONYMS: dict[str, str] = {
    "name": "full_name",
    "fullname": "full_name",
    "participant": "full_name",
    "mail": "email",
    "emailaddress": "email",
    "type": "role",
    "phonenumber": "phone",
    "mobile": "phone",
    "telephone": "phone",
    "tel": "phone",
    "lang": "language",
    "preferredlanguage": "language",
    "places": "capacity",
    "mentees": "capacity",
    "interests": "skills",
    "skillsandinterests": "skills",
    "otherlanguages": "languages",
    "city": "location",
    "town": "location",
    "timezone": "timezone",
    "tz": "timezone",
    "family": "household",
    "status": "active",
}
# Above this many rows an import runs as a background job with its progress shown.
BACKGROUND_ROWS = 2000
MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
# How often progress is told, in rows.
PROGRESS_EVERY = 500

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class RowError:
    line: int  # as a spreadsheet numbers it: the header is line 1
    messages: list[str]


@dataclass
class Plan:
    total: int = 0
    create: list[dict[str, Any]] = field(default_factory=list)
    update: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    dry_run: bool
    # Written: not a dry run, and every row valid.
    imported: bool
    total: int
    created: int
    updated: int
    skipped: int
    errors: list[RowError]
    mapping: dict[str, str | None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "imported": self.imported,
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": [{"line": e.line, "messages": e.messages} for e in self.errors],
            "mapping": self.mapping,
        }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str) -> Table:
    """The header and the rows of a CSV file (UTF-8; commas, semicolons or tabs) or of an
    XLSX workbook's first sheet. Blank rows are left out."""
    if len(data) > MAX_BYTES:
        raise Invalid("file", f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        rows = _xlsx_rows(data)
    elif filename.lower().endswith((".csv", ".txt", ".tsv")) or not filename:
        rows = _csv_rows(data)
    else:
        raise Invalid("file", "use a CSV file or an Excel workbook (.xlsx)")
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise Invalid("file", "the file is empty")
    headers, body = rows[0], rows[1:]
    if len(body) > MAX_ROWS:
        raise Invalid("file", f"the file has more than {MAX_ROWS:,} rows; split it")
    width = len(headers)
    return Table(headers, [(row + [""] * width)[:width] for row in body])


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("file", "the CSV file is not UTF-8 text; save it as CSV UTF-8") from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise Invalid(
            "file", "the file is not an Excel workbook (.xlsx) that can be read"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _key(header: str) -> str:
    folded = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", folded)


def auto_mapping(headers: Sequence[str]) -> dict[str, str | None]:
    """Each header's field, when its name says which (`E-mail`, `Full name`, `Time zone`…);
    None for a column left out. A field is taken by its first column only."""
    by_key = {_key(name): name for name in FIELDS} | {
        _key(label): name for name, label in FIELDS.items()
    }
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for header in headers:
        key = _key(header)
        found = by_key.get(key) or SYNONYMS.get(key)
        if found in taken:
            found = None
        mapping[header] = found
        if found:
            taken.add(found)
    return mapping


def check_mapping(mapping: dict[str, str | None], *, role_given: bool) -> None:
    """A mapping the rows can be read with: known fields, each once, a name and an e-mail
    address, and a role (a column, or one for every row)."""
    used = [f for f in mapping.values() if f]
    unknown = sorted({f for f in used if f not in FIELDS})
    if unknown:
        raise Invalid("mapping", f"{unknown[0]!r} is not a field a column can fill")
    twice = sorted({f for f in used if used.count(f) > 1})
    if twice:
        raise Invalid("mapping", f"two columns fill {FIELDS[twice[0]].lower()}")
    for needed in ("full_name", "email"):
        if needed not in used:
            raise Invalid("mapping", f"no column is the {FIELDS[needed].lower()}")
    if "role" not in used and not role_given:
        raise Invalid("mapping", "no column is the role: choose a role for every row")


def _value(name: str, cell: str) -> Any:
    if name in LIST_FIELDS:
        return [part.strip() for part in re.split(r"[;,]", cell) if part.strip()]
    if name == "role":
        return cell.lower()
    return cell


def _messages(error: ValidationError) -> list[str]:
    found = error.messages if isinstance(error.messages, dict) else {"row": error.messages}
    messages = []
    for name, problem in found.items():
        while isinstance(problem, (list, dict)):
            problem = next(iter(problem.values() if isinstance(problem, dict) else problem), "")
        label = FIELDS.get(str(name), str(name))
        messages.append(f"{label}: {problem}")
    return messages


_COMPARED = tuple(name for name in FIELDS if name not in ("role", "email"))


def plan(
    table: Table,
    *,
    program_id: int,
    mapping: dict[str, str | None],
    role: str | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Every row checked as the API checks a participant, and what importing would do with
    it: create, update (same role and e-mail address already in the program), or leave as
    it is. A file naming one person twice is refused at the second line."""
    check_mapping(mapping, role_given=bool(role))
    columns = [(i, name) for i, header in enumerate(table.headers) if (name := mapping.get(header))]
    schema = ParticipantSchema(exclude=("guardian_of_id", "conflicts"))
    existing = {
        (person.role, person.email.lower()): person
        for person in db.session.scalars(
            sa.select(Participant).where(Participant.program_id == program_id)
        )
    }
    result = Plan(total=len(table.rows))
    seen: dict[tuple[str, str], int] = {}
    for index, row in enumerate(table.rows):
        line = index + 2
        if progress and index % PROGRESS_EVERY == 0:
            progress(index, result.total)
        body: dict[str, Any] = {"program_id": program_id}
        if role:
            body["role"] = role
        for column, name in columns:
            if row[column]:
                body[name] = _value(name, row[column])
        try:
            loaded = schema.load(body)
        except ValidationError as error:
            result.errors.append(RowError(line, _messages(error)))
            continue
        key = (loaded["role"], loaded["email"].lower())
        if key in seen:
            result.errors.append(
                RowError(line, [f"E-mail address: the same {key[0]} is on line {seen[key]}"])
            )
            continue
        seen[key] = line
        person = existing.get(key)
        if person is None:
            result.create.append(loaded)
            continue
        changes = {
            name: value
            for name, value in loaded.items()
            if name in _COMPARED and getattr(person, name) != value
        }
        if changes:
            result.update.append({"id": person.id, **changes})
        else:
            result.unchanged += 1
    if progress:
        progress(result.total, result.total)
    return result


def write(planned: Plan, *, program_id: int, actor: Actor, as_applications: bool = False) -> None:
    """The plan, in one transaction: every row or none. New people are approved, or with
    `as_applications` join the coordinator's queue as applications to screen."""
    if planned.errors:
        raise Invalid("file", f"{len(planned.errors)} row(s) are invalid; nothing was imported")
    with transaction():
        program = programs.get(program_id=program_id)
        moment = now()
        if planned.create:
            state = IntakeState.APPLIED if as_applications else IntakeState.APPROVED
            rows = [
                {
                    # Every row names every column: one INSERT for a batch of them.
                    "phone": None,
                    "timezone": None,
                    "gender": None,
                    "gender_preference": None,
                    "household": None,
                    "guardian_of_id": None,
                    "language": "en",
                    "capacity": 1,
                    "goals": [],
                    "skills": [],
                    "availability": "",
                    "languages": [],
                    "location": "",
                    "conflicts": [],
                    "active": True,
                    "placement_version": 0,
                    "created_at": moment,
                    "updated_at": moment,
                    **person,
                    "program_id": program.id,
                    "intake_state": state,
                }
                for person in planned.create
            ]
            # One multi-row INSERT per batch, without RETURNING: asking for the ids in the
            # rows' order makes SQLAlchemy send one statement per row on PostgreSQL.
            table = table_of(Participant)
            for start in range(0, len(rows), 1000):
                db.session.execute(sa.insert(table), rows[start : start + 1000])
            if as_applications:
                created = {(row["role"], row["email"].lower()) for row in rows}
                ids = [
                    person_id
                    for person_id, role, email in db.session.execute(
                        sa.select(Participant.id, Participant.role, Participant.email).where(
                            Participant.program_id == program.id
                        )
                    )
                    if (role, email.lower()) in created
                ]
                _applications(ids, program_id=program.id, timezone=program.timezone, actor=actor)
        if planned.update:
            db.session.execute(
                sa.update(Participant),
                [{**row, "updated_at": moment} for row in planned.update],
            )


def _applications(ids: list[int], *, program_id: int, timezone: str, actor: Actor) -> None:
    today = today_in(timezone)
    db.session.execute(
        sa.insert(table_of(Screening)),
        [{"participant_id": i, "applied_on": today, "updated_at": now()} for i in ids],
    )
    db.session.add_all(
        IntakeRecord(
            participant_id=i, trigger="apply", from_state=None, to_state="applied", actor=actor.ref
        )
        for i in ids
    )
    for person in db.session.scalars(sa.select(Participant).where(Participant.id.in_(ids))):
        events.emit("participant.applied", {"participant": payloads.participant(person)})


def run(
    data: bytes,
    filename: str,
    *,
    program_id: int,
    actor: Actor,
    mapping: dict[str, str | None] | None = None,
    role: str | None = None,
    dry_run: bool = False,
    as_applications: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Read, map, check and (unless `dry_run`, and only when every row is valid) write."""
    if role is not None and role not in {r.value for r in Role}:
        raise Invalid("role", "use mentor, mentee or guardian")
    programs.get(program_id=program_id)
    table = read_table(data, filename)
    used = mapping if mapping is not None else auto_mapping(table.headers)
    used = {header: used.get(header) for header in table.headers}
    planned = plan(table, program_id=program_id, mapping=used, role=role, progress=progress)
    imported = not dry_run and not planned.errors
    if imported:
        write(planned, program_id=program_id, actor=actor, as_applications=as_applications)
    return Report(
        dry_run=dry_run,
        imported=imported,
        total=planned.total,
        created=len(planned.create),
        updated=len(planned.update),
        skipped=planned.unchanged,
        errors=planned.errors,
        mapping=used,
    )
