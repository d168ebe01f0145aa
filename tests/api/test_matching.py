"""Matching through the API: a mentee's suggested mentors with the reasons for each rank, a
program's cohort proposed (pins, people left out, the unmatched with why) and committed
(each pair a `match` transition with its score and reasons, its events in the outbox)."""

from __future__ import annotations

import sqlalchemy as sa

from service.database import db
from service.events.models import OutboxEvent
from tests.helpers.world import World


def _cohort(api, *, mentees: int = 3, mentors: int = 2) -> World:
    return World.build(api, mentors=mentors, mentees=mentees)


def test_suggestions_rank_mentors_with_their_reasons_best_first(api):
    world = World.build(api, mentors=0, mentees=1)
    mentee = world.mentees[0]
    api.ok(
        "patch",
        f"/participants/{mentee['id']}",
        {"goals": ["Reading", "Careers"], "languages": ["es"], "availability": "Tuesday evenings"},
    )
    best = world.add_participant(
        "mentor",
        full_name="Ana Best",
        goals=["reading", "careers"],
        languages=["es"],
        availability="Tuesdays, evenings",
    )
    other = world.add_participant("mentor", full_name="Bo Other", goals=["chess"], capacity=3)

    found = api.ok("get", f"/participants/{mentee['id']}/suggestions")

    assert [s["mentor_id"] for s in found["items"]] == [best["id"], other["id"]]
    assert found["items"][0]["reasons"] == [
        "Shares 2 goals: careers, reading",
        "Both free: Tuesday, evenings",
        "Speaks English",
        "Has 1 place left",
    ]
    assert found["items"][1]["reasons"] == ["Speaks English", "Has 3 places left"]
    assert found["items"][0]["score"] > found["items"][1]["score"]
    assert found["excluded"] == []
    assert found["considered"] == 2


def test_suggestions_list_the_mentors_a_hard_constraint_rules_out_with_why(api):
    world = World.build(api, mentors=0, mentees=1)
    mentee = world.mentees[0]
    api.ok("patch", f"/participants/{mentee['id']}", {"language": "pl", "household": "Nowak"})
    cousin = world.add_participant("mentor", language="pl", household="nowak")
    stranger = world.add_participant("mentor", language="en")

    found = api.ok("get", f"/participants/{mentee['id']}/suggestions")

    assert found["items"] == []
    assert {s["mentor_id"]: s["failures"] for s in found["excluded"]} == {
        cousin["id"]: ["Same family or household"],
        stranger["id"]: ["No language in common"],
    }


def test_a_program_that_requires_a_gender_preference_suggests_only_mentors_who_meet_it(api):
    world = World.build(api, mentors=0, mentees=1)
    api.ok(
        "patch",
        f"/programs/{world.program['id']}",
        {"matching": {"gender_preference": {"mode": "require"}}},
    )
    mentee = world.mentees[0]
    api.ok("patch", f"/participants/{mentee['id']}", {"gender_preference": "woman"})
    woman = world.add_participant("mentor", gender="woman")
    world.add_participant("mentor", gender="man")

    found = api.ok("get", f"/participants/{mentee['id']}/suggestions")

    assert [s["mentor_id"] for s in found["items"]] == [woman["id"]]
    assert "A woman mentor, as the mentee asked" in found["items"][0]["reasons"]
    program = api.ok("get", f"/programs/{world.program['id']}")
    assert program["matching"]["gender_preference"] == {"mode": "require", "weight": 5}
    assert program["matching"]["language"] == {"mode": "require", "weight": 5}


def test_a_weight_outside_its_bounds_is_refused_as_a_validation_error(api, world):
    response = api.patch(
        f"/programs/{world.program['id']}", {"matching": {"language": {"weight": 11}}}
    )
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("validation-error")


def test_suggestions_for_a_mentor_are_refused_as_a_validation_error(api, world):
    response = api.get(f"/participants/{world.mentors[0]['id']}/suggestions")
    assert response.status_code == 422


def test_a_cohort_proposal_places_every_waiting_mentee_it_can_and_says_why_for_the_rest(api):
    world = _cohort(api, mentees=3, mentors=2)
    pairs = [world.new_pair(i) for i in range(3)]

    proposal = api.ok("post", f"/programs/{world.program['id']}/matching/proposal", {})

    assert len(proposal["matches"]) == 2
    assert {m["mentor_id"] for m in proposal["matches"]} == {m["id"] for m in world.mentors}
    (left,) = proposal["unmatched"]
    assert left["pair_id"] in {p["id"] for p in pairs}
    assert left["why"] == "Every mentor who fits is taken: no open place is left among them."
    assert all("Has 1 place left" in m["reasons"] for m in proposal["matches"])


def test_a_pinned_pair_keeps_its_mentor_and_a_participant_left_out_is_not_proposed(api):
    world = _cohort(api, mentees=2, mentors=2)
    first, second = world.new_pair(0), world.new_pair(1)
    mentor = world.mentors[1]

    proposal = api.ok(
        "post",
        f"/programs/{world.program['id']}/matching/proposal",
        {
            "pins": [{"pair_id": first["id"], "mentor_id": mentor["id"]}],
            "exclude": [world.mentees[1]["id"]],
        },
    )

    assert [(m["pair_id"], m["mentor_id"], m["pinned"]) for m in proposal["matches"]] == [
        (first["id"], mentor["id"], True)
    ]
    assert [e["participant_id"] for e in proposal["excluded"]] == [world.mentees[1]["id"]]
    assert second["id"] not in {u["pair_id"] for u in proposal["unmatched"]}


def test_committing_a_cohort_matches_each_pair_with_its_score_and_reasons_on_the_record(app, api):
    world = _cohort(api, mentees=2, mentors=2)
    pairs = [world.new_pair(i) for i in range(2)]
    proposal = api.ok("post", f"/programs/{world.program['id']}/matching/proposal", {})
    matches = [{"pair_id": m["pair_id"], "mentor_id": m["mentor_id"]} for m in proposal["matches"]]

    report = api.ok(
        "post", f"/programs/{world.program['id']}/matching/commit", {"matches": matches}
    )

    assert report["matched"] == 2 and report["refused"] == 0
    for pair in pairs:
        assert api.ok("get", f"/pairs/{pair['id']}")["state"] == "matched"
    for pair in pairs:
        (record,) = [r for r in api.ok("get", f"/pairs/{pair['id']}/history")["items"]]
        assert record["trigger"] == "match"
        assert record["reason"].startswith("Cohort matching, score ")
        assert record["details"]["matching"]["reasons"][-1] == "Has 1 place left"
        assert record["details"]["matching"]["score"] > 0
    with app.app_context():
        announced = db.session.scalars(
            sa.select(OutboxEvent).where(
                OutboxEvent.pair_id.in_([p["id"] for p in pairs]),
                OutboxEvent.type == "pair.transitioned",
            )
        ).all()
    assert sorted(e.payload["transition"]["to"] for e in announced) == ["matched", "matched"]


def test_a_pair_that_no_longer_fits_is_refused_and_the_others_are_matched(api):
    world = _cohort(api, mentees=2, mentors=1)
    first, second = world.new_pair(0), world.new_pair(1)
    mentor = world.mentors[0]

    report = api.ok(
        "post",
        f"/programs/{world.program['id']}/matching/commit",
        {
            "matches": [
                {"pair_id": first["id"], "mentor_id": mentor["id"]},
                {"pair_id": second["id"], "mentor_id": mentor["id"]},
            ]
        },
    )

    assert [i["outcome"] for i in report["items"]] == ["matched", "refused"]
    assert report["items"][1]["detail"] == "Has no open place."
    assert api.ok("get", f"/pairs/{second['id']}")["state"] == "recruited"


def test_a_participant_keeps_what_matching_reads_and_a_bad_time_zone_is_refused(api, world):
    mentor = world.add_participant(
        "mentor",
        languages=["es", "pt-BR"],
        location="Bergen",
        timezone="Europe/Oslo",
        gender="woman",
        household="Berg",
        conflicts=[world.mentees[0]["id"]],
    )
    read = api.ok("get", f"/participants/{mentor['id']}")
    assert (read["languages"], read["location"], read["timezone"]) == (
        ["es", "pt-BR"],
        "Bergen",
        "Europe/Oslo",
    )
    assert (read["household"], read["conflicts"]) == ("Berg", [world.mentees[0]["id"]])

    refused = api.patch(f"/participants/{mentor['id']}", {"timezone": "Mars/Olympus"})
    assert refused.status_code == 422
    assert "timezone" in refused.get_json()["errors"][0]["field"]


def test_a_declared_conflict_keeps_the_two_apart_in_a_cohort(api):
    world = _cohort(api, mentees=1, mentors=1)
    world.new_pair(0)
    api.ok(
        "patch",
        f"/participants/{world.mentors[0]['id']}",
        {"conflicts": [world.mentees[0]["id"]]},
    )

    proposal = api.ok("post", f"/programs/{world.program['id']}/matching/proposal", {})

    assert proposal["matches"] == []
    assert proposal["unmatched"][0]["why"] == (
        "No mentor passes the required criteria: A conflict is declared between them (1 mentor)."
    )


def test_a_cohort_commit_sent_twice_with_one_key_matches_once_and_answers_the_same(api):
    world = _cohort(api, mentees=2, mentors=1)
    first, second = world.new_pair(0), world.new_pair(1)
    mentor = world.mentors[0]
    body = {
        "matches": [
            {"pair_id": first["id"], "mentor_id": mentor["id"]},
            {"pair_id": second["id"], "mentor_id": mentor["id"]},
        ]
    }
    path = f"/api/v1/programs/{world.program['id']}/matching/commit"
    headers = {"Authorization": f"Bearer {api.token}", "Idempotency-Key": "cohort-1"}

    sent = api.client.post(path, json=body, headers=headers)
    again = api.client.post(path, json=body, headers=headers)

    assert sent.status_code == 200, sent.get_json()
    assert [i["outcome"] for i in sent.get_json()["items"]] == ["matched", "refused"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == sent.get_json()
    history = api.ok("get", f"/pairs/{first['id']}/history")["items"]
    assert [r["trigger"] for r in history] == ["match"]


def test_the_ranking_read_as_columns_scores_and_explains_each_mentor_as_the_couple_alone(app, api):
    from service.matching import suggestions

    world = World.build(api, mentors=0, mentees=2)
    mentee = world.mentees[0]
    api.ok(
        "patch",
        f"/participants/{mentee['id']}",
        {
            "goals": ["Reading", "Chess club"],
            "languages": ["pl"],
            "availability": "Saturday mornings",
            "location": "Bergen",
            "timezone": "Europe/Oslo",
            "household": "Lund",
        },
    )
    mentors = [
        world.add_participant("mentor", full_name="Ana", goals=["reading"], languages=["pl"]),
        world.add_participant(
            "mentor", full_name="Bo", skills=["chess"], availability="Weekends", capacity=3
        ),
        world.add_participant("mentor", full_name="Cy", location="bergen", household="lund"),
        world.add_participant("mentor", full_name="Di", timezone="Europe/London", capacity=2),
        world.add_participant("mentor", full_name="Ed", conflicts=[mentee["id"]]),
        world.add_participant("mentor", full_name="Fa", timezone="America/New_York"),
    ]
    # Di's one place of two is taken by the other mentee.
    other = world.new_pair(1)
    api.trigger(other["id"], "match", mentor_id=mentors[3]["id"])

    with app.app_context():
        ranking = suggestions.rank(mentee_id=mentee["id"])
        found = ranking.candidates + ranking.excluded
        alone = {
            c.mentor.id: suggestions.explain_couple(mentee_id=mentee["id"], mentor_id=c.mentor.id)
            for c in found
        }
        read = {c.mentor.id: (c.score, c.reasons, c.failures, c.open_places) for c in found}
    assert ranking.considered == len(mentors)
    assert {c.mentor.full_name for c in ranking.excluded} == {"Cy", "Ed"}
    assert read == {
        mentor_id: (why.score, why.reasons, why.failures, read[mentor_id][3])
        for mentor_id, why in alone.items()
    }
    assert read[mentors[3]["id"]][3] == 1
    assert "A time zone near the mentee's (Europe/London)" in read[mentors[3]["id"]][1]
