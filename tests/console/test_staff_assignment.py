"""Who looks after a pair: admins assign it, its own coordinator hands it over, nobody takes
it. Every change is on the timeline; the admins are told when a pair with safety records
changes coordinator."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from service.database import db
from service.inbox.models import InboxItem
from service.notes.models import Note
from service.pairs.models import Pair, StaffChange

SAFETY_TEXT = "Mentee described an adult at home who frightens them"


@pytest.fixture
def team(make_staff, console_as, world, api):
    """An active pair looked after by Cora; Colin is another coordinator; Ada is the admin."""
    pair = world.drive_to("active")
    admin = make_staff("admin", "Ada Admin")
    cora = make_staff("coordinator", "Cora Ordinator")
    colin = make_staff("coordinator", "Colin Colleague")
    sam = make_staff("support", "Sam Support")
    api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": cora.id})
    return {
        "pair": pair,
        "world": world,
        "admin": console_as(admin),
        "admin_staff": admin,
        "cora": console_as(cora),
        "cora_staff": cora,
        "colin": console_as(colin),
        "colin_staff": colin,
        "sam_staff": sam,
    }


def _coordinator_of(app, pair_id: int) -> int | None:
    with app.app_context():
        return db.session.get(Pair, pair_id).coordinator_id


def _changes(app, pair_id: int) -> list[tuple[str, int | None, int | None, str]]:
    """Each change: what, from whom, to whom, by whom (the fixture's admin token first)."""
    with app.app_context():
        return [
            (c.role, c.from_user_id, c.to_user_id, c.changed_by.label)
            for c in db.session.scalars(
                sa.select(StaffChange)
                .where(StaffChange.pair_id == pair_id)
                .order_by(StaffChange.id)
            )
        ]


def _timeline(page: str) -> str:
    return html.unescape(page[page.index('id="timeline"') : page.index('id="calendar"')])


def _add_safety_note(app, team) -> int:
    """Cora writes a safety note on her pair, as she would in the console."""
    pair_id = team["pair"]["id"]
    team["cora"].post(
        f"/console/pairs/{pair_id}/notes", data={"body": SAFETY_TEXT, "confidentiality": "safety"}
    )
    with app.app_context():
        return db.session.scalar(sa.select(Note.id).where(Note.pair_id == pair_id))


def _hand_over(console, pair_id: int, to_user_id: int | str, support: list[int] = ()):
    return console.post(
        f"/console/pairs/{pair_id}/staff",
        data={"coordinator_id": str(to_user_id), "support": [str(u) for u in support]},
    )


def test_a_coordinator_cannot_make_themselves_the_coordinator_of_another_coordinators_pair(
    app, team
):
    pair_id = team["pair"]["id"]

    response = _hand_over(team["colin"], pair_id, team["colin_staff"].id)

    assert response.status_code == 403
    assert "Only an admin or the coordinator of pair" in html.unescape(
        response.get_data(as_text=True)
    )
    assert _coordinator_of(app, pair_id) == team["cora_staff"].id
    assert [change[:3] for change in _changes(app, pair_id)] == [
        ("coordinator", None, team["cora_staff"].id)
    ]


def test_a_refused_takeover_leaves_the_safety_note_closed_to_the_coordinator_who_tried(app, team):
    pair_id = team["pair"]["id"]
    note = _add_safety_note(app, team)

    _hand_over(team["colin"], pair_id, team["colin_staff"].id)
    response = team["colin"].get(f"/console/pairs/{pair_id}/notes/{note}")

    assert response.status_code == 403
    assert SAFETY_TEXT not in response.get_data(as_text=True)


def test_a_coordinator_cannot_take_a_pair_that_has_no_coordinator(app, team):
    pair = team["world"].drive_to("active", mentee_index=1, mentor_index=1)

    response = _hand_over(team["colin"], pair["id"], team["colin_staff"].id)

    assert response.status_code == 403
    assert "an admin assigns one" in html.unescape(response.get_data(as_text=True))
    assert _coordinator_of(app, pair["id"]) is None
    assert _changes(app, pair["id"]) == []


def test_a_coordinator_cannot_change_the_support_staff_of_a_pair_they_do_not_hold(app, team):
    pair_id = team["pair"]["id"]

    response = _hand_over(
        team["colin"], pair_id, team["cora_staff"].id, support=[team["sam_staff"].id]
    )

    assert response.status_code == 403
    assert len(_changes(app, pair_id)) == 1  # only the admin's assignment of Cora


def test_the_staff_form_shows_only_to_those_who_may_change_the_staff(team):
    path = f"/console/pairs/{team['pair']['id']}"

    assert "Save staff" in team["cora"].page(path)
    assert "Save staff" in team["admin"].page(path)
    colins = team["colin"].page(path)
    assert "Save staff" not in colins
    assert "Coordinator: Cora Ordinator." in colins
    assert "Only an admin or this pair's coordinator changes who looks after it." in colins


def test_the_pairs_coordinator_hands_it_over_and_the_timeline_says_who_from_whom_to_whom(app, team):
    pair_id = team["pair"]["id"]

    response = _hand_over(team["cora"], pair_id, team["colin_staff"].id)

    assert response.status_code == 302
    assert _coordinator_of(app, pair_id) == team["colin_staff"].id
    timeline = _timeline(team["admin"].page(f"/console/pairs/{pair_id}"))
    assert "Coordinator: Cora Ordinator → Colin Colleague by Cora Ordinator" in timeline
    assert "Coordinator: nobody → Cora Ordinator by" in timeline


def test_the_api_timeline_gives_each_staff_change_with_its_time(app, team, api):
    pair_id = team["pair"]["id"]
    _hand_over(team["cora"], pair_id, team["colin_staff"].id)

    items = api.ok("get", f"/pairs/{pair_id}/timeline")["items"]

    handover = [i for i in items if i["kind"] == "staff"][-1]
    assert handover["data"] == {
        "role": "coordinator",
        "from_user_id": team["cora_staff"].id,
        "from": "Cora Ordinator",
        "to_user_id": team["colin_staff"].id,
        "to": "Colin Colleague",
        "changed_by": "Cora Ordinator",
        "actor_kind": "user",
    }
    with app.app_context():
        recorded = db.session.scalars(
            sa.select(StaffChange.created_at).order_by(StaffChange.id.desc())
        ).first()
    assert handover["at"].startswith(recorded.isoformat()[:19])


def test_after_a_handover_the_new_coordinator_reads_the_safety_note_and_the_old_one_does_not(
    app, team
):
    pair_id = team["pair"]["id"]
    note = _add_safety_note(app, team)

    _hand_over(team["cora"], pair_id, team["colin_staff"].id)

    assert SAFETY_TEXT in team["colin"].page(f"/console/pairs/{pair_id}/notes/{note}")
    assert team["cora"].get(f"/console/pairs/{pair_id}/notes/{note}").status_code == 403


def test_support_staff_added_and_removed_are_on_the_timeline(app, team):
    pair_id = team["pair"]["id"]
    cora, sam = team["cora_staff"], team["sam_staff"]

    _hand_over(team["cora"], pair_id, cora.id, support=[sam.id])
    _hand_over(team["cora"], pair_id, cora.id, support=[])

    assert _changes(app, pair_id)[1:] == [
        ("support", None, sam.id, "Cora Ordinator"),
        ("support", sam.id, None, "Cora Ordinator"),
    ]
    timeline = _timeline(team["admin"].page(f"/console/pairs/{pair_id}"))
    assert "Support staff: Sam Support added by Cora Ordinator" in timeline
    assert "Support staff: Sam Support removed by Cora Ordinator" in timeline


def test_saving_the_same_staff_records_nothing(app, team):
    pair_id = team["pair"]["id"]

    _hand_over(team["cora"], pair_id, team["cora_staff"].id)

    assert len(_changes(app, pair_id)) == 1


def test_a_pair_is_never_handed_to_support_staff(app, team):
    pair_id = team["pair"]["id"]

    _hand_over(team["cora"], pair_id, team["sam_staff"].id)

    flashes = re.findall(r'<p class="flash[^"]*">([^<]+)</p>', team["cora"].flashes())
    assert flashes == [f"coordinator_id: no active coordinator with id {team['sam_staff'].id}."]
    assert _coordinator_of(app, pair_id) == team["cora_staff"].id


def test_an_admin_assigns_a_pair_that_has_no_coordinator(app, team):
    pair = team["world"].drive_to("active", mentee_index=1, mentor_index=1)

    response = _hand_over(team["admin"], pair["id"], team["colin_staff"].id)

    assert response.status_code == 302
    assert _changes(app, pair["id"]) == [("coordinator", None, team["colin_staff"].id, "Ada Admin")]


def _handover_notices(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [
            (item.user_id, item.title)
            for item in db.session.scalars(
                sa.select(InboxItem).where(InboxItem.kind == "safety_handover")
            )
        ]


def test_a_handover_of_a_pair_with_a_safety_note_tells_the_admins(app, team, drain, mailbox):
    pair_id = team["pair"]["id"]
    _add_safety_note(app, team)

    _hand_over(team["cora"], pair_id, team["colin_staff"].id)
    drain()

    title = f"Pair {pair_id}, which has safety records, has a new coordinator"
    assert _handover_notices(app) == [(team["admin_staff"].id, title)]
    [message] = mailbox.to(team["admin_staff"].email)
    assert message["Subject"] == title
    body = message.get_body(("plain",)).get_content()
    assert "Cora Ordinator → Colin Colleague" in body
    assert SAFETY_TEXT not in body


def test_a_handover_of_a_pair_with_a_safety_signal_tells_the_admins(app, team, api):
    pair_id = team["pair"]["id"]
    api.ok(
        "post",
        f"/pairs/{pair_id}/transitions",
        {"trigger": "flag_risk", "signals": ["mentee_feels_unsafe"]},
    )

    _hand_over(team["cora"], pair_id, team["colin_staff"].id)

    assert [user for user, _ in _handover_notices(app)] == [team["admin_staff"].id]


def test_a_handover_of_a_pair_without_safety_records_tells_nobody(app, team, drain, mailbox):
    pair_id = team["pair"]["id"]

    _hand_over(team["cora"], pair_id, team["colin_staff"].id)
    drain()

    assert _handover_notices(app) == []
    assert mailbox.to(team["admin_staff"].email) == []


def test_an_admin_told_about_a_pair_is_told_it_as_an_administrator(app, team, drain, mailbox):
    _add_safety_note(app, team)

    _hand_over(team["cora"], team["pair"]["id"], team["colin_staff"].id)
    drain()

    [message] = mailbox.to(team["admin_staff"].email)
    body = message.get_body(("plain",)).get_content()
    assert "because you are an administrator of this Pairwise" in body
    assert "look after this pair" not in body


def _rematch(team, api) -> int:
    """The team's pair, at risk, is re-matched with another mentor; the successor's id."""
    world, pair_id = team["world"], team["pair"]["id"]
    api.ok(
        "post",
        f"/pairs/{pair_id}/transitions",
        {"trigger": "flag_risk", "signals": ["missed_meetings"]},
    )
    proposed = api.trigger(pair_id, "rematch", mentor_id=world.mentors[1]["id"])
    return world.approve(proposed.get_json()["proposal"]["id"])["pair"]["successor_id"]


def test_a_rematched_mentees_new_pair_is_looked_after_by_the_same_staff(app, team, api):
    cora, sam = team["cora_staff"], team["sam_staff"]
    _hand_over(team["cora"], team["pair"]["id"], cora.id, support=[sam.id])

    successor_id = _rematch(team, api)

    assert _coordinator_of(app, successor_id) == cora.id
    assert [(role, before, after) for role, before, after, _ in _changes(app, successor_id)] == [
        ("coordinator", None, cora.id),
        ("support", None, sam.id),
    ]
    assert "Support staff: Sam Support added by" in _timeline(
        team["admin"].page(f"/console/pairs/{successor_id}")
    )
