"""GET /api/v1/participants: search, the filters (waiting for a match, and for how long),
keyset paging, and how long each mentee has waited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from service.database import db
from service.pairs.models import Pair
from tests.helpers.state import added_days_ago


def _ids(api, query: str) -> list[int]:
    return [p["id"] for p in api.ok("get", f"/participants?per_page=200&{query}")["items"]]


def _pair_ended_days_ago(app, pair_id: int, days: int) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(Pair)
            .where(Pair.id == pair_id)
            .values(closed_at=datetime.now(UTC) - timedelta(days=days))
        )
        db.session.commit()


def _withdraw(api, world, pair: dict) -> None:
    response = api.trigger(
        pair["id"], "withdraw", closure_reason="withdrawn", reason="The mentor moved away"
    )
    if response.status_code == 202:  # the program asks for a colleague's approval
        world.approve(response.get_json()["proposal"]["id"])
    else:
        assert response.status_code == 200, response.get_json()


def test_a_search_finds_a_participant_by_part_of_their_name_whatever_the_case(api, world):
    found = world.add_participant("mentee", full_name="Ingrid Halvorsen")
    world.add_participant("mentee", full_name="Ola Nordmann")
    assert _ids(api, f"program_id={world.program['id']}&q=HALVOR") == [found["id"]]


def test_a_search_folds_the_case_of_letters_beyond_ascii(api, world):
    found = world.add_participant("mentor", full_name="Sigrún Jónsdóttir")
    assert _ids(api, f"program_id={world.program['id']}&q=JÓNSDÓTTIR") == [found["id"]]


def test_a_search_finds_a_participant_by_their_email_address(api, world):
    found = world.add_participant("mentor", email="ingrid.h@school.example.org")
    assert _ids(api, f"program_id={world.program['id']}&q=school.example") == [found["id"]]


def test_a_search_takes_percent_and_underscore_as_themselves(api, world):
    world.add_participant("mentee", full_name="Ola Nordmann")
    assert _ids(api, f"program_id={world.program['id']}&q=%25") == []
    assert _ids(api, f"program_id={world.program['id']}&q=_") == []


def test_an_empty_search_is_refused(api):
    response = api.get("/participants?q=")
    assert response.status_code == 422


def test_inactive_participants_are_listed_apart(api, world):
    gone = world.add_participant("mentor", active=False)
    assert _ids(api, f"program_id={world.program['id']}&active=false") == [gone["id"]]


def test_waiting_lists_the_mentees_with_no_pair_or_a_pair_without_a_mentor(api, world):
    world.drive_to("matched", mentee_index=0)
    recruited = world.new_pair(1)
    alone = world.mentees[2]
    waiting = _ids(api, f"program_id={world.program['id']}&waiting=true")
    assert waiting == [recruited["mentee_id"], alone["id"]]


def test_not_waiting_lists_everyone_else(api, world):
    matched = world.drive_to("matched", mentee_index=0)
    others = _ids(api, f"program_id={world.program['id']}&waiting=false")
    assert others == [*(m["id"] for m in world.mentors), matched["mentee_id"]]


def test_a_mentee_whose_pair_ended_waits_again(api, world):
    pair = world.drive_to("matched", mentee_index=0)
    _withdraw(api, world, pair)
    assert pair["mentee_id"] in _ids(api, f"program_id={world.program['id']}&waiting=true")


def test_a_waiting_mentee_shows_the_days_since_they_were_added(api, world, app):
    mentee = world.mentees[0]
    added_days_ago(app, mentee["id"], 12)
    shown = api.ok("get", f"/participants/{mentee['id']}")
    assert shown["waiting_days"] == 12


def test_a_mentee_whose_pair_ended_has_waited_since_it_ended(api, world, app):
    pair = world.drive_to("matched", mentee_index=0)
    _withdraw(api, world, pair)
    added_days_ago(app, pair["mentee_id"], 40)
    _pair_ended_days_ago(app, pair["id"], 3)
    assert api.ok("get", f"/participants/{pair['mentee_id']}")["waiting_days"] == 3


def test_a_matched_mentee_and_a_mentor_have_no_waiting_time(api, world):
    pair = world.drive_to("matched", mentee_index=0)
    mentee = api.ok("get", f"/participants/{pair['mentee_id']}")
    mentor = api.ok("get", f"/participants/{pair['mentor_id']}")
    assert (mentee["waiting_days"], mentee["waiting_since"]) == (None, None)
    assert (mentor["waiting_days"], mentor["waiting_since"]) == (None, None)


def test_the_list_gives_each_waiting_mentee_their_waiting_days(api, world, app):
    added_days_ago(app, world.mentees[1]["id"], 5)
    listed = api.ok("get", f"/participants?program_id={world.program['id']}&role=mentee")
    assert [p["waiting_days"] for p in listed["items"]] == [0, 5, 0]


def test_waited_days_lists_the_mentees_who_have_waited_at_least_that_long(api, world, app):
    added_days_ago(app, world.mentees[0]["id"], 45)
    added_days_ago(app, world.mentees[1]["id"], 20)
    assert _ids(api, f"program_id={world.program['id']}&waited_days=30") == [world.mentees[0]["id"]]


def test_waited_days_out_of_bounds_is_refused(api):
    assert api.get("/participants?waited_days=-1").status_code == 422
    assert api.get("/participants?waited_days=100000").status_code == 422


def test_a_keyset_listing_with_a_search_gives_each_match_once_in_id_order(api, world):
    made = [world.add_participant("mentee", full_name=f"Kari {n}")["id"] for n in range(3)]
    path = f"/participants?program_id={world.program['id']}&q=kari&per_page=2&after=0"
    items: list[int] = []
    pages = 0
    while path:
        page = api.ok("get", path.removeprefix("/api/v1"))
        items += [p["id"] for p in page["items"]]
        pages += 1
        path = page["links"]["next"]
    assert (items, pages) == (made, 2)
