"""The cohort matching page: the proposal with its reasons, leaving someone out, a swap the
hard constraints refuse, the commit's report, and who may open it."""

from __future__ import annotations

import html

from tests.helpers import World


def _page(console, program_id: int, query: str = "") -> str:
    return html.unescape(console.page(f"/console/programs/{program_id}/matching{query}"))


def test_the_proposal_lists_each_match_with_its_reasons_and_a_mentor_can_be_left_out(
    api, make_staff, console_as
):
    world = World.build(api, mentors=2, mentees=2)
    for i in range(2):
        world.new_pair(i)
    console = console_as(make_staff())
    page = _page(console, world.program["id"])
    assert "2 proposed matches, 0 without a mentor" in page
    assert "Speaks English" in page and "Has 1 place left" in page

    left_out = world.mentors[0]
    page = _page(console, world.program["id"], f"?exclude={left_out['id']}")

    assert "1 proposed match, 1 without a mentor" in page
    assert f"{left_out['full_name']} · " in page  # under "Left out of this round"
    assert "Every mentor who fits is taken: no open place is left among them." in page


def test_a_swap_that_breaks_a_hard_constraint_is_refused_and_nothing_is_pinned(
    api, make_staff, console_as
):
    world = World.build(api, mentors=2, mentees=2)
    first, second = world.new_pair(0), world.new_pair(1)
    api.ok("patch", f"/participants/{world.mentees[0]['id']}", {"household": "Lund"})
    api.ok("patch", f"/participants/{world.mentors[1]['id']}", {"household": "lund"})
    console = console_as(make_staff())

    response = console.get(
        f"/console/programs/{world.program['id']}/matching?swap={first['id']}&swap={second['id']}"
    )

    assert response.status_code == 302
    assert "pin=" not in response.headers["Location"]
    assert "Same family or household" in html.unescape(console.flashes())


def test_committing_from_the_page_reports_each_pair(api, make_staff, console_as):
    world = World.build(api, mentors=1, mentees=1)
    pair = world.new_pair(0)
    console = console_as(make_staff())

    response = console.post(
        f"/console/programs/{world.program['id']}/matching",
        data={"match": f"{pair['id']}:{world.mentors[0]['id']}"},
    )

    assert response.status_code == 200
    assert "1 matched." in response.get_data(as_text=True)
    assert api.ok("get", f"/pairs/{pair['id']}")["mentor_id"] == world.mentors[0]["id"]


def test_support_staff_may_not_open_cohort_matching(world, make_staff, console_as):
    console = console_as(make_staff("support"))
    assert console.get(f"/console/programs/{world.program['id']}/matching").status_code == 403


def test_mentees_added_without_a_pair_join_the_cohort_from_the_page_once(
    app, api, make_staff, console_as
):
    import sqlalchemy as sa

    from service.database import db
    from service.events.models import OutboxEvent
    from service.pairs.models import Pair

    world = World.build(api, mentors=2, mentees=2)
    api.ok(
        "post",
        "/participants/applications",
        {
            "program_id": world.program["id"],
            "role": "mentee",
            "full_name": "Still Applying",
            "email": "applying@example.org",
        },
        status=201,
    )
    console = console_as(make_staff())
    page = _page(console, world.program["id"])
    assert "2 approved mentees have no pair yet" in page
    assert "0 proposed matches" in page

    for _ in range(2):
        response = console.post(f"/console/programs/{world.program['id']}/matching/pairs")
        assert response.status_code == 302

    assert "2 mentees joined the cohort" in html.unescape(console.flashes())
    with app.app_context():
        pairs = db.session.execute(
            sa.select(Pair.mentee_id, Pair.state).where(Pair.program_id == world.program["id"])
        ).all()
        created = db.session.scalars(
            sa.select(OutboxEvent.pair_id).where(OutboxEvent.type == "pair.created")
        ).all()
    assert sorted(pairs) == sorted((m["id"], "recruited") for m in world.mentees)
    assert len(created) == 2
    page = _page(console, world.program["id"])
    assert "2 proposed matches, 0 without a mentor" in page
    assert "have no pair yet" not in page
