"""The mentoring agreement: at the joint workshop a pair agrees its goals, how often and how
it meets, ground rules and how it will handle "chemistry" problems. The agreement is kept on
the pair; meeting logs and check-ins ask about each goal by name; the pair page shows the
progress on each goal over time, and the playbook's "revisit the agreement" leads to it."""

from __future__ import annotations

import html
import re

from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, invite

AGREEMENT = {
    "agreed_on": "2026-11-02",
    "meeting_frequency": "Every week",
    "meeting_format": "In person at the library",
    "ground_rules": "We tell each other a day ahead if we cannot come.",
    "chemistry_plan": "If it does not feel right, we tell the coordinator.",
    "goals": ["Choose a course for next year", "Speak up more in class"],
}
HELD_MEETING = {
    "occurred_on": "2026-11-20",
    "held": "held",
    "duration_minutes": "60",
    "attendees": ["mentor", "mentee"],
    "felt": "good",
    "final_session": "no",
}


def _agree(api, pair_id: int, **changes) -> dict:
    return api.ok("put", f"/pairs/{pair_id}/agreement", {**AGREEMENT, **changes})


def _goal_ids(agreement: dict) -> dict[str, int]:
    return {goal["title"]: goal["id"] for goal in agreement["goals"]}


def _survey(api, key: str, participant_id: int, pair_id: int) -> SurveyTaker:
    return SurveyTaker(api.client, invite(api, key, participant_id, pair_id)["url"])


def test_a_pair_records_its_mentoring_agreement_with_its_goals(api, world):
    pair = world.drive_to("training")

    _agree(api, pair["id"])

    agreement = api.ok("get", f"/pairs/{pair['id']}/agreement")
    assert {k: agreement[k] for k in AGREEMENT if k != "goals"} == {
        k: v for k, v in AGREEMENT.items() if k != "goals"
    }
    assert [g["title"] for g in agreement["goals"]] == AGREEMENT["goals"]


def test_a_pair_without_an_agreement_has_none_to_read(api, world):
    pair = world.drive_to("training")

    assert api.get(f"/pairs/{pair['id']}/agreement").status_code == 404


def test_an_agreement_needs_at_least_one_goal(api, world):
    pair = world.drive_to("training")

    response = api.put(f"/pairs/{pair['id']}/agreement", {**AGREEMENT, "goals": []})

    assert response.status_code == 422


def test_the_meeting_log_asks_about_progress_on_each_agreed_goal_by_name(api, world):
    pair = world.drive_to("active")
    _agree(api, pair["id"])

    page = html.unescape(_survey(api, "meeting_log", pair["mentor_id"], pair["id"]).open().text)

    for goal in AGREEMENT["goals"]:
        assert f"How far have you got with your goal “{goal}”?" in page


def test_the_check_in_asks_about_progress_on_each_agreed_goal_by_name(api, world):
    pair = world.drive_to("active")
    _agree(api, pair["id"])

    page = html.unescape(_survey(api, "checkin_mentee", pair["mentee_id"], pair["id"]).open().text)

    for goal in AGREEMENT["goals"]:
        assert f"“{goal}”" in page


def test_an_answer_about_a_goal_in_a_meeting_log_is_kept_as_progress_on_that_goal(api, world):
    pair = world.drive_to("active")
    goals = _goal_ids(_agree(api, pair["id"]))
    course = goals["Choose a course for next year"]

    submitted = _survey(api, "meeting_log", pair["mentor_id"], pair["id"]).submit(
        {**HELD_MEETING, f"goal_{course}": "3"}
    )

    assert submitted.status_code == 303, submitted.text[:2000]
    agreement = api.ok("get", f"/pairs/{pair['id']}/agreement")
    progress = {g["title"]: g["progress"] for g in agreement["goals"]}
    assert [
        (p["rating"], p["label"], p["respondent_role"])
        for p in progress["Choose a course for next year"]
    ] == [(3, "Good progress", "mentor")]
    assert progress["Speak up more in class"] == []


def test_an_answer_about_a_goal_in_a_check_in_is_kept_as_progress(api, world):
    pair = world.drive_to("active")
    goals = _goal_ids(_agree(api, pair["id"]))
    speak = goals["Speak up more in class"]

    _survey(api, "checkin_mentee", pair["mentee_id"], pair["id"]).submit(
        {**CALM_MENTEE_CHECKIN, f"goal_{speak}": "2"}
    )

    agreement = api.ok("get", f"/pairs/{pair['id']}/agreement")
    [goal] = [g for g in agreement["goals"] if g["id"] == speak]
    assert [(p["rating"], p["respondent_role"]) for p in goal["progress"]] == [(2, "mentee")]


def test_the_coordinators_check_in_asks_about_each_goal_and_keeps_the_answer(
    api, world, make_staff, console_as
):
    pair = world.drive_to("active")
    goals = _goal_ids(_agree(api, pair["id"]))
    course = goals["Choose a course for next year"]
    console = console_as(make_staff())
    page = html.unescape(console.page(f"/console/pairs/{pair['id']}"))
    assert "How far have you got with the pair's goal “Choose a course for next year”?" in page

    console.post(
        f"/console/pairs/{pair['id']}/checkins",
        data={
            "checkin-confidentiality_discussed": "yes",
            "checkin-approach": "pair",
            "checkin-with_whom": ["mentee", "mentor"],
            "checkin-channel": "phone",
            "checkin-how_they_are": "4",
            "checkin-safety_concern": "no",
            f"checkin-goal_{course}": "4",
        },
    )

    agreement = api.ok("get", f"/pairs/{pair['id']}/agreement")
    [goal] = [g for g in agreement["goals"] if g["id"] == course]
    assert [(p["label"], p["respondent_role"]) for p in goal["progress"]] == [
        ("Achieved", "coordinator")
    ]


def test_the_pair_page_shows_the_progress_on_each_goal_over_time(
    api, world, make_staff, console_as
):
    pair = world.drive_to("active")
    course = _goal_ids(_agree(api, pair["id"]))["Choose a course for next year"]
    for rating in ("1", "3"):
        _survey(api, "meeting_log", pair["mentor_id"], pair["id"]).submit(
            {**HELD_MEETING, f"goal_{course}": rating}
        )

    page = html.unescape(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    section = page.split('id="agreement"', 1)[1].split("</section>", 1)[0]
    row = section.split("Choose a course for next year", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"mentor: ([A-Za-z ]+)</li>", row) == ["Not started yet", "Good progress"]
    assert "Every week" in section and "If they do not click" in section


def test_the_agreement_is_recorded_from_the_pair_page(api, world, make_staff, console_as):
    pair = world.drive_to("training")
    console = console_as(make_staff())

    response = console.post(
        f"/console/pairs/{pair['id']}/agreement",
        data={**AGREEMENT, "goals": ["Choose a course for next year", "", "Read a book a month"]},
    )

    assert response.status_code == 302
    agreement = api.ok("get", f"/pairs/{pair['id']}/agreement")
    assert [g["title"] for g in agreement["goals"]] == [
        "Choose a course for next year",
        "Read a book a month",
    ]
    assert agreement["recorded_by"]["kind"] == "user"


def test_the_pair_page_refuses_an_agreement_without_goals_and_says_why(
    api, world, make_staff, console_as
):
    pair = world.drive_to("training")
    console = console_as(make_staff())

    console.post(f"/console/pairs/{pair['id']}/agreement", data={**AGREEMENT, "goals": ["", ""]})

    assert "Goals: agree from 1 to 10 goals." in html.unescape(console.flashes())
    assert api.get(f"/pairs/{pair['id']}/agreement").status_code == 404


def test_a_goal_kept_when_the_agreement_is_revisited_keeps_its_progress(api, world):
    pair = world.drive_to("active")
    goals = _goal_ids(_agree(api, pair["id"]))
    course = goals["Choose a course for next year"]
    _survey(api, "meeting_log", pair["mentor_id"], pair["id"]).submit(
        {**HELD_MEETING, f"goal_{course}": "2"}
    )

    revisited = _agree(
        api, pair["id"], goals=["Choose a course for next year", "Visit two colleges"]
    )

    assert [(g["title"], len(g["progress"])) for g in revisited["goals"]] == [
        ("Choose a course for next year", 1),
        ("Visit two colleges", 0),
    ]


def test_the_playbooks_advice_to_revisit_the_agreement_links_to_it(
    api, world, make_staff, console_as
):
    pair = world.drive_to("active")
    _agree(api, pair["id"])
    api.trigger(pair["id"], "flag_risk", signals=["no_chemistry"])

    page = html.unescape(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    card = page.split('id="signals"', 1)[1].split("</section>", 1)[0]
    assert '<a href="#agreement">Revisit the pair\'s mentoring agreement</a>' in card
    assert 'id="agreement"' in page


def test_a_meeting_logs_answer_about_a_goal_is_read_with_the_goals_name(api, world):
    pair = world.drive_to("active")
    course = _goal_ids(_agree(api, pair["id"]))["Choose a course for next year"]
    _survey(api, "meeting_log", pair["mentor_id"], pair["id"]).submit(
        {**HELD_MEETING, f"goal_{course}": "2"}
    )

    [response] = api.colleague("responses:read").ok("get", f"/pairs/{pair['id']}/responses")[
        "items"
    ]

    answers = {a["label"]: a["display"] for a in response["answers"]}
    assert answers["Progress on the goal “Choose a course for next year”"] == "Some progress"


def test_the_agreement_of_a_pair_that_has_ended_no_longer_changes(api, world):
    pair = world.drive_to("matched")
    withdrawn = api.trigger(
        pair["id"], "withdraw", closure_reason="withdrawn", reason="The mentee moved away."
    )
    if withdrawn.status_code == 202:  # the program asks a coordinator to approve it
        world.approve(withdrawn.get_json()["proposal"]["id"])
    assert world.pair(pair["id"])["state"] == "closed"

    response = api.put(f"/pairs/{pair['id']}/agreement", AGREEMENT)

    assert response.status_code == 409


def test_recording_and_revisiting_the_agreement_are_on_the_pairs_timeline(api, world):
    pair = world.drive_to("training")
    _agree(api, pair["id"])
    _agree(api, pair["id"], meeting_frequency="Every two weeks")

    summaries = [
        item["summary"]
        for item in api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]
        if item["kind"] == "agreement"
    ]
    assert [summary.split(" by ")[0] for summary in summaries] == [
        "Mentoring agreement recorded",
        "Mentoring agreement revisited",
    ]
