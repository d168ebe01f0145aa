"""Every list downloads with its filters: the proposals waiting and the participants, to
CSV (read back with the csv module) and to Excel (read back with openpyxl), every page of
them, not only the one on screen."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from service.console import views as console_views
from service.participants import views as participant_views
from tests.helpers import World


@pytest.fixture
def console(make_staff, console_as):
    return console_as(make_staff("coordinator"))


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    return list(sheet.iter_rows(values_only=True))


def _withdrawals(api, world: World, count: int) -> list[dict]:
    filed = []
    for index in range(count):
        pair = world.new_pair(index)
        response = api.trigger(pair["id"], "withdraw", closure_reason="withdrawn", reason="Moved")
        filed.append(response.get_json()["proposal"])
    return filed


def test_the_proposals_export_holds_every_proposal_waiting_in_the_program(
    api, console, monkeypatch
):
    monkeypatch.setattr(console_views, "PER_PAGE", 1)
    world = World.build(api)
    filed = _withdrawals(api, world, 3)
    _withdrawals(api, World.build(api), 1)  # another program's
    rows = _csv(console.get(f"/console/proposals/export.csv?program={world.program['id']}"))
    assert [int(row["Proposal"]) for row in rows] == [p["id"] for p in filed]
    assert {row["Proposed"] for row in rows} == {"withdraw"}
    assert {row["Reason"] for row in rows} == {"Moved"}


def test_the_proposals_export_opens_in_openpyxl(api, console):
    world = World.build(api)
    filed = _withdrawals(api, world, 2)
    header, *rows = _xlsx(console.get("/console/proposals/export.xlsx"))
    assert header[:2] == ("Proposal", "Pair")
    assert [row[0] for row in rows] == [p["id"] for p in filed]


def test_the_participants_export_holds_every_page_of_the_search(api, console, monkeypatch):
    monkeypatch.setattr(participant_views, "PER_PAGE", 1)
    world = World.build(api, mentors=2, mentees=3)
    rows = _csv(
        console.get(
            f"/console/participants/export.csv?role=mentee&program_id={world.program['id']}"
        )
    )
    assert sorted(row["E-mail"] for row in rows) == sorted(m["email"] for m in world.mentees)
    assert {row["Role"] for row in rows} == {"mentee"}


def test_the_participants_export_in_excel_shows_a_waiting_mentees_days(api, console):
    world = World.build(api, mentors=0, mentees=1)
    header, *rows = _xlsx(console.get("/console/participants/export.xlsx?waiting=y"))
    (row,) = rows
    assert row[header.index("E-mail")] == world.mentees[0]["email"]
    assert row[header.index("Days waiting")] == 0


def test_a_participants_export_with_a_bad_filter_stays_on_the_list_with_why(console):
    response = console.get("/console/participants/export.csv?q=" + "x" * 201)
    assert response.status_code == 422
    assert "Search: at most 200 characters." in response.get_data(as_text=True)


def test_the_inbox_downloads_whole_in_its_order_unread_and_urgent_first(
    app, make_staff, console_as, monkeypatch
):
    from datetime import timedelta

    from service.clock import now
    from service.database import db
    from service.inbox.models import InboxItem

    monkeypatch.setattr(console_views, "PER_PAGE", 1)
    cora = make_staff()
    moment = now()
    with app.app_context():
        db.session.add_all(
            [
                InboxItem(
                    user_id=cora.id,
                    kind="notice",
                    title="Old news",
                    read_at=moment,
                    created_at=moment - timedelta(hours=3),
                ),
                InboxItem(
                    user_id=cora.id,
                    kind="notice",
                    title="Call the school",
                    urgent=True,
                    created_at=moment - timedelta(hours=2),
                ),
                InboxItem(
                    user_id=cora.id,
                    kind="notice",
                    title="A new match",
                    created_at=moment - timedelta(hours=1),
                ),
            ]
        )
        db.session.commit()
    console = console_as(cora)
    rows = _csv(console.get("/console/inbox/export.csv"))
    assert [row["Title"] for row in rows] == ["Call the school", "A new match", "Old news"]
    assert [row["Urgent"] for row in rows] == ["yes", "", ""]
    header, *cells = _xlsx(console.get("/console/inbox/export.xlsx"))
    assert [line[header.index("Title")] for line in cells] == [r["Title"] for r in rows]


def test_the_inbox_download_holds_only_the_users_own_items(app, make_staff, console_as):
    from service.database import db
    from service.inbox.models import InboxItem

    cora, colin = make_staff(), make_staff()
    with app.app_context():
        db.session.add(InboxItem(user_id=colin.id, kind="notice", title="Colin's"))
        db.session.commit()
    assert _csv(console_as(cora).get("/console/inbox/export.csv")) == []


def test_the_staff_list_downloads_with_each_persons_role_and_account(app, make_staff, console_as):
    from service.accounts import reset
    from service.accounts import service as accounts
    from service.database import db

    admin = make_staff("admin", "Ada Admin")
    make_staff("support", "Sam Support")
    with app.app_context():
        inviter = accounts.get(user_id=admin.id)
        reset.invite(email="ivy@example.org", full_name="Ivy Invited", role="coordinator",
                     invited_by=inviter)  # fmt: skip
        db.session.commit()
    console = console_as(admin)
    rows = _csv(console.get("/console/staff/export.csv"))
    assert [(r["Name"], r["Role"], r["Account"]) for r in rows] == [
        ("Ada Admin", "admin", "active"),
        ("Ivy Invited", "coordinator", "invited"),
        ("Sam Support", "support", "active"),
    ]
    assert rows[0]["Live sessions"] == "1"
    header, *cells = _xlsx(console.get("/console/staff/export.xlsx"))
    assert [line[header.index("E-mail")] for line in cells] == [r["E-mail"] for r in rows]


def test_the_staff_download_holds_no_password(app, make_staff, console_as):
    from service.accounts.models import User
    from service.database import db

    admin = make_staff("admin")
    with app.app_context():
        digest = db.session.get(User, admin.id).password_hash
    body = console_as(admin).get("/console/staff/export.csv").get_data(as_text=True)
    assert digest and digest not in body
    assert "password" not in body.lower()


def test_the_api_tokens_download_holds_names_scopes_and_dates_but_no_token(
    app, make_staff, console_as
):
    from service.database import db
    from service.tokens import service as tokens
    from service.tokens.models import ApiToken

    with app.app_context():
        kept, raw = tokens.create(name="CRM sync", scopes=["pairs:read", "programs:read"])
        tokens.create(name="=cmd|' /C calc'!A0", scopes=["events:read"])
        tokens.revoke(name="CRM sync")
        stored = db.session.get(ApiToken, kept.id)
        secrets = (raw, stored.token_hash, stored.prefix)
    console = console_as(make_staff("admin"))
    response = console.get("/console/tokens/export.csv")
    rows = _csv(response)
    assert [row["Name"] for row in rows] == ["'=cmd|' /C calc'!A0", "CRM sync"]
    assert rows[1]["Scopes"] == "pairs:read, programs:read"
    assert rows[1]["Revoked"] != "" and rows[1]["Last used"] == ""
    body = response.get_data(as_text=True)
    assert not [secret for secret in secrets if secret in body]
    header, *cells = _xlsx(console.get("/console/tokens/export.xlsx"))
    assert header == ("Name", "Scopes", "Created", "Last used", "Revoked")
    assert [line[0] for line in cells] == ["=cmd|' /C calc'!A0", "CRM sync"]


@pytest.mark.parametrize("path", ["/console/staff/export.csv", "/console/tokens/export.xlsx"])
def test_only_admins_download_the_staff_and_the_tokens(console, path):
    assert console.get(path).status_code == 403


def _apply(api, program_id: int, role: str, name: str) -> dict:
    return api.ok(
        "post",
        "/participants/applications",
        {
            "program_id": program_id,
            "role": role,
            "full_name": name,
            "email": f"{name.split()[0].lower()}-{role}@example.org",
        },
        status=201,
    )


def test_the_applications_download_holds_the_queue_as_filtered(api, console):
    from datetime import date

    world = World.build(api, mentors=0, mentees=0)
    other = World.build(api, mentors=0, mentees=0)
    _apply(api, world.program["id"], "mentor", "Ana Souza")
    _apply(api, world.program["id"], "mentee", "Bea Lund")
    _apply(api, world.program["id"], "mentee", "Cai Wong")
    _apply(api, other.program["id"], "mentee", "Dee Olsen")
    query = f"program_id={world.program['id']}&role=mentee"
    page = console.page(f"/console/applications?{query}")
    assert "Bea Lund" in page and "Ana Souza" not in page and "Dee Olsen" not in page
    assert f"/console/applications/export.csv?{query}" in page.replace("&amp;", "&")
    rows = _csv(console.get(f"/console/applications/export.csv?{query}"))
    today = date.today().isoformat()
    name = world.program["name"]
    assert [tuple(row.values()) for row in rows] == [
        ("Bea Lund", "mentee", name, "applied", today),
        ("Cai Wong", "mentee", name, "applied", today),
    ]
    header, *cells = _xlsx(console.get(f"/console/applications/export.xlsx?{query}"))
    assert header == ("Name", "Role", "Program", "Step", "Applied")
    assert cells == [tuple(row.values()) for row in rows]


def test_a_signed_out_visitor_gets_no_applications_file(client):
    response = client.get("/console/applications/export.csv")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"] or "sign" in response.headers["Location"]
