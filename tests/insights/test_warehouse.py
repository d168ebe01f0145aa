"""The warehouse export (service/insights/warehouse.py): every table a program owns in a ZIP
of CSV or Parquet files with a manifest, holding only the rows changed after `since`, with
nothing the product keeps from bulk reading (credentials, safety notes and answers)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
import time_machine

from service.actors import ActorRef, system
from service.calendar.models import Contact
from service.database import db
from service.errors import Invalid, NotFound
from service.insights import warehouse
from service.notes.models import Note
from service.pairs.models import Pair
from service.participants.models import Participant
from service.surveys import invitations
from service.surveys.models import Invitation, SurveyResponse
from service.surveys.versions import ensure_standard_version
from tests.helpers import World

pytestmark = pytest.mark.usefixtures("app_context")

_STAFF = ActorRef("user", "1", "A coordinator")


def _export(program_id: int, **kwargs) -> tuple[dict, zipfile.ZipFile]:
    out = io.BytesIO()
    manifest = warehouse.export(out, program_id=program_id, **kwargs)
    return manifest, zipfile.ZipFile(io.BytesIO(out.getvalue()))


def _rows(archive: zipfile.ZipFile, table: str) -> list[dict[str, str]]:
    with archive.open(f"{table}.csv") as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


def _ids(archive: zipfile.ZipFile, table: str, column: str = "id") -> set[int]:
    return {int(row[column]) for row in _rows(archive, table)}


def _later(minutes: int = 10) -> time_machine.travel:
    """The clock moved on: a window ends a settling time before the export starts."""
    return time_machine.travel(datetime.now(UTC) + timedelta(minutes=minutes), tick=True)


@pytest.fixture
def program(api) -> World:
    """Two pairs, one active with a check-in link sent to its mentee (and its contact)."""
    world = World.build(api, mentors=2, mentees=2)
    active = world.drive_to("active", mentee_index=0, mentor_index=0)
    world.drive_to("matched", mentee_index=1, mentor_index=1)
    mentee = world.mentees[0]["id"]
    link = invitations.invite(
        survey_key="checkin_mentee", participant_id=mentee, actor=system(), pair_id=active["id"]
    )
    moment = datetime.now(UTC)
    db.session.add(
        Contact(
            pair_id=active["id"], kind="checkin", recipient=f"mentee:{mentee}",
            participant_id=mentee, due_on=moment.date(), due_at=moment, status="invited",
            invitation_id=link.id,
        )
    )  # fmt: skip
    db.session.commit()
    return world


def _pair_ids(world: World) -> list[int]:
    query = sa.select(Pair.id).where(Pair.program_id == world.program["id"]).order_by(Pair.id)
    return list(db.session.scalars(query))


def test_the_zip_holds_one_csv_per_table_and_a_manifest(program):
    with _later():
        manifest, archive = _export(program.program["id"])
    names = set(archive.namelist())
    assert warehouse.MANIFEST in names
    assert {t["file"] for t in manifest["tables"]} == names - {warehouse.MANIFEST}
    assert json.loads(archive.read(warehouse.MANIFEST)) == manifest
    for table in manifest["tables"]:
        header = next(csv.reader(io.TextIOWrapper(archive.open(table["file"]), "utf-8")))
        assert header == [c["name"] for c in table["columns"]]
        assert len(_rows(archive, table["name"])) == table["rows"]


def test_the_export_holds_the_programs_rows_and_no_other_programs(api, program):
    other = World.build(api, mentors=1, mentees=1)
    other.drive_to("active")
    with _later():
        _, archive = _export(program.program["id"])
    assert _ids(archive, "programs") == {program.program["id"]}
    assert _ids(archive, "participants") == {p["id"] for p in program.mentors + program.mentees}
    assert _ids(archive, "pairs") == set(_pair_ids(program))
    assert {int(r["pair_id"]) for r in _rows(archive, "transition_records")} == set(
        _pair_ids(program)
    )
    theirs = set(_pair_ids(other))
    for table in ("contacts", "events", "transition_records", "invitations"):
        column = "pair_id"
        assert not {int(r[column]) for r in _rows(archive, table) if r[column]} & theirs, table


def test_the_manifest_gives_each_tables_columns_types_rows_and_the_window(program):
    moment = datetime.now(UTC) + timedelta(minutes=10)
    with time_machine.travel(moment, tick=False):
        manifest, _ = _export(program.program["id"])
    until = moment - warehouse.SETTLE
    assert manifest["since"] is None
    assert manifest["until"] == manifest["cursor"] == until.isoformat()
    assert manifest["generated_at"] == moment.isoformat()
    pairs = next(t for t in manifest["tables"] if t["name"] == "pairs")
    assert pairs["mode"] == "incremental" and pairs["changed_by"] == ["updated_at"]
    assert {"name": "state", "type": "string"} in pairs["columns"]
    assert {"name": "matched_at", "type": "timestamp"} in pairs["columns"]
    assert pairs["rows"] == 2
    support = next(t for t in manifest["tables"] if t["name"] == "pair_support")
    assert support["mode"] == "snapshot"


def test_an_export_since_the_last_cursor_holds_only_the_rows_changed_since(program):
    with _later(10):
        first, archive = _export(program.program["id"])
    assert len(_ids(archive, "pairs")) == 2
    active, matched = _pair_ids(program)
    with _later(20):
        # One pair changes, one participant too; a contact is answered.
        db.session.get(Pair, matched).final_session_on = None
        db.session.get(Pair, matched).mentor_accepted_at = datetime.now(UTC)
        db.session.get(Participant, program.mentees[0]["id"]).phone = "+44 20 7946 0000"
        contact = db.session.scalars(
            sa.select(Contact).where(Contact.pair_id == active).order_by(Contact.id)
        ).first()
        contact.status = "answered"
        db.session.commit()
    with _later(40):
        second, archive = _export(
            program.program["id"], since=datetime.fromisoformat(first["cursor"])
        )
    assert second["since"] == first["cursor"]
    assert _ids(archive, "pairs") == {matched}
    assert _ids(archive, "participants") == {program.mentees[0]["id"]}
    assert _ids(archive, "contacts") == {contact.id}
    assert _ids(archive, "transition_records") == set()
    assert _ids(archive, "programs") == set()


def test_successive_exports_hold_every_row_exactly_once(program):
    with _later(10):
        first, one = _export(program.program["id"])
    with _later(20):
        newcomer = program.add_participant("mentee", trained=True)
    with _later(30):
        program.api.ok(
            "post", "/pairs", {"program_id": program.program["id"], "mentee_id": newcomer["id"]}
        )
    with _later(40):
        _, two = _export(program.program["id"], since=datetime.fromisoformat(first["cursor"]))
    assert _ids(two, "participants") == {newcomer["id"]}
    for table in ("participants", "pairs", "training_records"):
        assert not _ids(one, table) & _ids(two, table), table
    with _later(60):
        _, everything = _export(program.program["id"])
    for table in ("participants", "training_records", "pairs"):
        assert _ids(one, table) | _ids(two, table) == _ids(everything, table), table


def test_a_row_changed_inside_the_settling_time_waits_for_the_next_export(program):
    with _later(10):
        first, _ = _export(program.program["id"])
    # Stamped after the cursor but before the export starts: within the settling time.
    with _later(11):
        db.session.get(Participant, program.mentors[0]["id"]).phone = "+44 20 7946 0001"
        db.session.commit()
        second, archive = _export(
            program.program["id"], since=datetime.fromisoformat(first["cursor"])
        )
    assert _ids(archive, "participants") == set()
    with _later(30):
        _, archive = _export(program.program["id"], since=datetime.fromisoformat(second["cursor"]))
    assert _ids(archive, "participants") == {program.mentors[0]["id"]}


def test_link_nonces_and_password_hashes_are_never_exported(program, make_staff):
    make_staff("admin")
    nonces = set(db.session.scalars(sa.select(Invitation.nonce)).all())
    assert nonces, "the active pair's calendar sent survey links"
    with _later():
        manifest, archive = _export(program.program["id"])
    invitations = next(t for t in manifest["tables"] if t["name"] == "invitations")
    assert "nonce" not in {c["name"] for c in invitations["columns"]}
    assert "nonce" in invitations["left_out"]
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert not any(nonce.encode() in everything for nonce in nonces)
    assert b"password" not in everything.replace(b'"password_hash": "a credential"', b"")


def _respond(pair_id: int, participant_id: int, survey_key: str, answers: dict) -> int:
    version = ensure_standard_version(survey_key)
    response = SurveyResponse(
        survey_version_id=version.id,
        survey_key=survey_key,
        purpose="checkin",
        participant_id=participant_id,
        respondent_role="mentee",
        pair_id=pair_id,
        answers=answers,
    )
    db.session.add(response)
    db.session.commit()
    return response.id


def test_safety_answers_and_unshared_stories_are_left_out_and_the_rest_kept(program):
    active, _ = _pair_ids(program)
    mentee = program.mentees[0]["id"]
    checkin = _respond(
        active, mentee, "checkin_mentee",
        {"relationship_rating": 8, "feels_unsafe": "yes", "safety_details": "He shouts at me"},
    )  # fmt: skip
    unshared = _respond(
        active, mentee, "closure_reflection", {"share_story": "no", "story": "Private words"}
    )
    shared = _respond(
        active, mentee, "closure_reflection", {"share_story": "yes", "story": "Proud of us"}
    )
    with _later():
        _, archive = _export(program.program["id"])
    answers = {
        (int(r["response_id"]), r["question"]): r["value"] for r in _rows(archive, "survey_answers")
    }
    assert answers[(checkin, "relationship_rating")] == "8"
    assert (checkin, "feels_unsafe") not in answers
    assert (checkin, "safety_details") not in answers
    assert (unshared, "story") not in answers
    assert answers[(shared, "story")] == "Proud of us"
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"He shouts at me" not in everything and b"Private words" not in everything
    responses = _rows(archive, "survey_responses")
    assert {int(r["id"]) for r in responses} >= {checkin, unshared, shared}
    assert "answers" not in responses[0]


def test_safety_notes_are_left_out_and_team_notes_kept(program):
    active, _ = _pair_ids(program)
    db.session.add_all(
        [
            Note(pair_id=active, body="Met the family", confidentiality="team", author=_STAFF),
            Note(pair_id=active, body="Disclosure made", confidentiality="safety", author=_STAFF),
        ]
    )
    db.session.commit()
    with _later():
        _, archive = _export(program.program["id"])
    assert [r["body"] for r in _rows(archive, "notes")] == ["Met the family"]


def test_the_parquet_export_holds_the_same_rows_with_their_types(program):
    with _later():
        manifest, archive = _export(program.program["id"], fmt="parquet")
        _, csv_archive = _export(program.program["id"])
    assert {t["file"] for t in manifest["tables"]} == set(archive.namelist()) - {"manifest.json"}
    pairs = pq.read_table(io.BytesIO(archive.read("pairs.parquet")))
    assert sorted(pairs.column("id").to_pylist()) == sorted(_ids(csv_archive, "pairs"))
    assert str(pairs.schema.field("matched_at").type) == "timestamp[us, tz=UTC]"
    assert str(pairs.schema.field("id").type) == "int64"
    people = pq.read_table(io.BytesIO(archive.read("participants.parquet"))).to_pylist()
    assert {p["location"] for p in people} == {""}  # an empty text stays a text
    assert {p["phone"] for p in people} == {None}  # and nothing stays nothing
    assert {p["active"] for p in people} == {True}
    for table in manifest["tables"]:
        read = pq.read_table(io.BytesIO(archive.read(table["file"])))
        assert read.num_rows == table["rows"], table["name"]
        assert read.column_names == [c["name"] for c in table["columns"]]


def test_a_since_in_the_future_is_refused():
    with pytest.raises(Invalid) as refusal:
        warehouse.window(datetime.now(UTC) + timedelta(minutes=1))
    assert refusal.value.detail.startswith("since: must not be in the future")


def test_a_since_inside_the_settling_time_gives_an_empty_window_that_ends_where_it_starts():
    moment = datetime.now(UTC)
    since = moment - timedelta(seconds=30)
    assert warehouse.window(since, at=moment) == (since, since)
    assert warehouse.window(None, at=moment) == (None, moment - warehouse.SETTLE)


def test_an_unknown_program_or_format_is_refused(program):
    with pytest.raises(NotFound):
        warehouse.export(io.BytesIO(), program_id=999_999)
    with pytest.raises(Invalid):
        warehouse.export(io.BytesIO(), program_id=program.program["id"], fmt="xlsx")


def test_a_since_at_the_start_of_time_is_refused_not_an_error():
    with pytest.raises(Invalid):
        warehouse.window(datetime.fromisoformat("0001-01-01T00:00:00+05:00"))
    since, _ = warehouse.window(datetime.fromisoformat("0001-01-01T00:00:00-05:00"))
    assert since == datetime(1, 1, 1, 5, tzinfo=UTC)


def test_csv_values_read_back_as_stored(program):
    active, _ = _pair_ids(program)
    pair = db.session.get(Pair, active)
    pair.planned_end_on = pair.activated_at.date() + timedelta(days=365)
    db.session.commit()
    with _later():
        _, archive = _export(program.program["id"])
    row = next(r for r in _rows(archive, "pairs") if int(r["id"]) == active)
    assert datetime.fromisoformat(row["activated_at"]) == pair.activated_at
    assert row["activated_at"].endswith("+00:00")
    assert row["planned_end_on"] == pair.planned_end_on.isoformat()
    assert "calendar_stale" not in row  # the service's bookkeeping
    assert row["closed_at"] == "" and row["predecessor_id"] == ""
    person = next(r for r in _rows(archive, "participants") if r["role"] == "mentor")
    assert person["active"] == "true"
    assert json.loads(person["goals"]) == db.session.get(Participant, int(person["id"])).goals
