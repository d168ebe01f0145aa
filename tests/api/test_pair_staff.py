"""PATCH /pairs/{id} follows the console's rule for who looks after a pair: a token is
never a pair's coordinator, so only a token with the admin scope changes it."""

from __future__ import annotations

import sqlalchemy as sa

from service.database import db
from service.pairs.models import StaffChange


def _changes(app, pair_id: int) -> list[tuple[str, int | None, int | None, str]]:
    with app.app_context():
        return [
            (c.role, c.from_user_id, c.to_user_id, c.changed_by.kind)
            for c in db.session.scalars(
                sa.select(StaffChange)
                .where(StaffChange.pair_id == pair_id)
                .order_by(StaffChange.id)
            )
        ]


def test_a_token_without_the_admin_scope_cannot_assign_a_coordinator(app, api, world, make_staff):
    pair = world.drive_to("active")
    colin = make_staff("coordinator", "Colin Colleague")

    response = api.patch(f"/pairs/{pair['id']}", {"coordinator_id": colin.id})

    assert response.status_code == 403
    assert response.get_json()["type"] == "/problems/forbidden"
    assert world.pair(pair["id"])["coordinator_id"] is None
    assert _changes(app, pair["id"]) == []


def test_a_token_without_the_admin_scope_cannot_hand_over_a_pair_that_has_a_coordinator(
    app, api, admin_api, world, make_staff
):
    pair = world.drive_to("active")
    cora, colin = make_staff("coordinator", "Cora"), make_staff("coordinator", "Colin")
    admin_api.ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": cora.id})

    response = api.patch(f"/pairs/{pair['id']}", {"coordinator_id": colin.id})

    assert response.status_code == 403
    assert "admin scope" in response.get_json()["detail"]
    assert world.pair(pair["id"])["coordinator_id"] == cora.id
    assert len(_changes(app, pair["id"])) == 1


def test_an_admin_token_hands_a_pair_over_and_the_timeline_records_it(
    app, admin_api, world, make_staff
):
    pair = world.drive_to("active")
    cora, colin = make_staff("coordinator", "Cora"), make_staff("coordinator", "Colin")
    admin_api.ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": cora.id})

    updated = admin_api.ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": colin.id})

    assert updated["coordinator_id"] == colin.id
    assert _changes(app, pair["id"]) == [
        ("coordinator", None, cora.id, "token"),
        ("coordinator", cora.id, colin.id, "token"),
    ]
    staff = [i for i in admin_api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]]
    summaries = [i["summary"] for i in staff if i["kind"] == "staff"]
    assert summaries[-1].startswith("Coordinator: Cora → Colin by ")


def test_a_pair_is_handed_only_to_an_active_coordinator_or_admin(admin_api, world, make_staff):
    pair = world.drive_to("active")
    support = make_staff("support")

    response = admin_api.patch(f"/pairs/{pair['id']}", {"coordinator_id": support.id})

    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "coordinator_id"


def test_setting_the_planned_end_needs_no_admin_scope(api, world):
    pair = world.drive_to("active")

    updated = api.ok("patch", f"/pairs/{pair['id']}", {"planned_end_on": "2027-06-30"})

    assert updated["planned_end_on"] == "2027-06-30"


def test_a_patch_without_a_body_is_refused(api, world):
    pair = world.new_pair()
    for extra in ({}, {"content_type": "application/json"}):
        response = api.patch(f"/pairs/{pair['id']}", **extra)
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["type"] == "/problems/validation-error"
        assert problem["errors"] == [
            {
                "location": "json",
                "field": "",
                "message": "A JSON body is required; send {} for no fields.",
            }
        ]
