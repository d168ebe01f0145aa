"""What answers do to the pair: signals, transitions, alerts, meetings, training."""

from __future__ import annotations

import html

import sqlalchemy as sa

from service.database import db
from service.events.models import OutboxEvent
from service.meetings.models import Meeting
from service.signals.models import Signal
from service.training.models import TrainingRecord
from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, invite
from workflows.playbook import APPROACHES


def _answer(api, survey_key, participant_id, pair_id, answers) -> dict:
    invitation = invite(api, survey_key, participant_id, pair_id)
    response = SurveyTaker(api.client, invitation["url"]).submit(answers)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return invitation


def _signals(app, pair_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Signal.code).where(Signal.pair_id == pair_id).order_by(Signal.id)
            )
        )


def _events(app, pair_id, event_type) -> list[dict]:
    with app.app_context():
        return [
            e.payload
            for e in db.session.scalars(
                sa.select(OutboxEvent).where(
                    OutboxEvent.pair_id == pair_id, OutboxEvent.type == event_type
                )
            )
        ]


def test_two_missed_meetings_put_an_active_pair_at_risk_with_the_signal(app, api, world):
    pair = world.drive_to("active")
    _answer(
        api,
        "checkin_mentee",
        pair["mentee_id"],
        pair["id"],
        {**CALM_MENTEE_CHECKIN, "meetings_missed": "2"},
    )
    assert world.pair(pair["id"])["state"] == "at_risk"
    assert _signals(app, pair["id"]) == ["missed_meetings"]
    transition = api.ok("get", f"/pairs/{pair['id']}/history")["items"][-1]
    assert (transition["to"], transition["signals"]) == ("at_risk", ["missed_meetings"])
    assert transition["actor"]["kind"] == "system"


def test_the_response_shows_in_the_pairs_timeline(api, world):
    pair = world.drive_to("active")
    _answer(
        api,
        "checkin_mentee",
        pair["mentee_id"],
        pair["id"],
        {**CALM_MENTEE_CHECKIN, "meetings_missed": "3"},
    )
    kinds = [e["kind"] for e in api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]]
    assert kinds[-3:] == ["response", "signal", "transition"] or {"response", "signal"} <= set(
        kinds
    )


def test_a_calm_check_in_leaves_the_pair_active(app, api, world):
    pair = world.drive_to("active")
    _answer(api, "checkin_mentee", pair["mentee_id"], pair["id"], CALM_MENTEE_CHECKIN)
    assert world.pair(pair["id"])["state"] == "active"
    assert _signals(app, pair["id"]) == []


def test_where_flagging_needs_approval_a_risk_signal_files_a_proposal(app, api, world):
    api.colleague("admin").ok(
        "patch", f"/programs/{world.program['id']}", {"approval_required": ["flag_risk"]}
    )
    pair = world.drive_to("active")
    _answer(
        api,
        "checkin_mentee",
        pair["mentee_id"],
        pair["id"],
        {**CALM_MENTEE_CHECKIN, "meetings_missed": "2"},
    )
    assert world.pair(pair["id"])["state"] == "active"
    [proposal] = api.ok("get", f"/proposals?pair_id={pair['id']}")["items"]
    assert (proposal["trigger"], proposal["signals"]) == ("flag_risk", ["missed_meetings"])


def test_a_safety_answer_flags_at_once_and_raises_an_urgent_alert_without_answer_text(
    app, api, world
):
    api.colleague("admin").ok(
        "patch", f"/programs/{world.program['id']}", {"approval_required": ["flag_risk"]}
    )
    pair = world.drive_to("active")
    secret = "He keeps messaging me late at night"
    _answer(
        api,
        "checkin_mentee",
        pair["mentee_id"],
        pair["id"],
        {**CALM_MENTEE_CHECKIN, "feels_unsafe": "yes", "safety_details": secret},
    )
    assert world.pair(pair["id"])["state"] == "at_risk"
    [alert] = _events(app, pair["id"], "alert.safety")
    assert alert["urgency"] == "urgent"
    with app.app_context():
        every_payload = str([e.payload for e in db.session.scalars(sa.select(OutboxEvent))])
    assert secret not in every_payload
    assert "feels_unsafe" not in every_payload


def test_a_safety_answer_on_a_pair_in_training_still_alerts_staff(app, api, world):
    pair = world.drive_to("training")
    invitation = invite(
        api,
        "checkin_guardian",
        world.add_participant("guardian", guardian_of_id=pair["mentee_id"])["id"],
        pair["id"],
    )
    SurveyTaker(api.client, invitation["url"]).submit(
        {"meetings_happening": "yes", "child_enjoys": "3", "concern": "yes"}
    )
    assert world.pair(pair["id"])["state"] == "training"
    assert len(_events(app, pair["id"], "alert.safety")) == 1


def test_a_sharp_drop_in_the_pulse_rating_raises_rating_drop(app, api, world):
    pair = world.drive_to("active")
    _answer(api, "checkin_mentee", pair["mentee_id"], pair["id"], CALM_MENTEE_CHECKIN)
    _answer(
        api,
        "checkin_mentee",
        pair["mentee_id"],
        pair["id"],
        {**CALM_MENTEE_CHECKIN, "relationship_rating": "4"},
    )
    assert _signals(app, pair["id"]) == ["rating_drop"]


def test_mentor_and_mentee_ratings_far_apart_raise_rating_divergence(app, api, world):
    pair = world.drive_to("active")
    _answer(
        api,
        "checkin_mentee",
        pair["mentee_id"],
        pair["id"],
        {**CALM_MENTEE_CHECKIN, "relationship_rating": "9"},
    )
    _answer(
        api,
        "checkin_mentor",
        pair["mentor_id"],
        pair["id"],
        {
            "meetings_held": "3",
            "meetings_missed": "0",
            "relationship_rating": "4",
            "mentee_progress": "some",
            "concern": "no",
        },
    )
    assert _signals(app, pair["id"]) == ["rating_divergence"]


def test_the_gap_that_counts_as_divergence_is_the_programs(app, api, world):
    api.ok("patch", f"/programs/{world.program['id']}", {"rating_divergence_gap": 6})
    pair = world.drive_to("active")
    _answer(
        api,
        "checkin_mentee",
        pair["mentee_id"],
        pair["id"],
        {**CALM_MENTEE_CHECKIN, "relationship_rating": "9"},
    )
    _answer(
        api,
        "checkin_mentor",
        pair["mentor_id"],
        pair["id"],
        {
            "meetings_held": "3",
            "meetings_missed": "0",
            "relationship_rating": "4",
            "mentee_progress": "some",
            "concern": "no",
        },
    )
    assert _signals(app, pair["id"]) == []


def test_a_meeting_log_becomes_a_meeting_record(app, api, world):
    pair = world.drive_to("active")
    _answer(
        api,
        "meeting_log",
        pair["mentor_id"],
        pair["id"],
        {
            "occurred_on": "2026-11-20",
            "held": "held",
            "duration_minutes": "75",
            "attendees": ["mentor", "mentee"],
            "location": "Library",
            "felt": "good",
            "final_session": "no",
        },
    )
    [meeting] = api.ok("get", f"/pairs/{pair['id']}/meetings")["items"]
    assert (meeting["status"], meeting["duration_minutes"], meeting["location"]) == (
        "held",
        75,
        "Library",
    )


def test_a_final_session_logged_by_survey_closes_a_closing_pair(app, api, world):
    pair = world.drive_to("closing")
    _answer(
        api,
        "meeting_log",
        pair["mentee_id"],
        pair["id"],
        {
            "occurred_on": "2026-11-20",
            "held": "held",
            "duration_minutes": "90",
            "attendees": ["mentor", "mentee"],
            "felt": "great",
            "final_session": "yes",
        },
    )
    closed = world.pair(pair["id"])
    assert (closed["state"], closed["closure_reason"]) == ("closed", "completed")


def test_a_final_session_answer_before_closure_began_is_kept_but_closes_nothing(app, api, world):
    pair = world.drive_to("active")
    _answer(
        api,
        "meeting_log",
        pair["mentee_id"],
        pair["id"],
        {
            "occurred_on": "2026-11-20",
            "held": "held",
            "duration_minutes": "90",
            "attendees": ["mentor", "mentee"],
            "felt": "great",
            "final_session": "yes",
        },
    )
    assert world.pair(pair["id"])["state"] == "active"
    with app.app_context():
        assert db.session.scalar(sa.select(Meeting.is_final_session)) is False


def test_training_feedback_records_the_session_attended(app, api, world):
    mentee = world.add_participant("mentee")
    invitation = invite(api, "training_feedback", mentee["id"])
    SurveyTaker(api.client, invitation["url"]).submit(
        {
            "session": "mentee_orientation",
            "attended": "yes",
            "prepared_me": "4",
            "expectations_clear": "5",
        }
    )
    with app.app_context():
        sessions = db.session.scalars(
            sa.select(TrainingRecord.session).where(TrainingRecord.participant_id == mentee["id"])
        ).all()
    assert sessions == ["mentee_orientation"]


def test_a_low_good_match_answer_after_the_first_meeting_shows_its_playbook_entry(
    app, api, world, make_staff, console_as
):
    pair = world.drive_to("active")
    _answer(
        api,
        "first_meeting",
        pair["mentee_id"],
        pair["id"],
        {
            "first_meeting_held": "yes",
            "good_match": "1",
            "prepared": "well",
            "talking_balance": "even",
        },
    )

    page = html.unescape(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    assert _signals(app, pair["id"]) == ["match_in_doubt"]
    assert world.pair(pair["id"])["state"] == "at_risk"
    assert APPROACHES["match_in_doubt"] in page


def test_a_meeting_log_saying_meetings_often_move_at_short_notice_flags_the_pair(app, api, world):
    pair = world.drive_to("active")
    _answer(
        api,
        "meeting_log",
        pair["mentee_id"],
        pair["id"],
        {
            "occurred_on": "2026-03-02",
            "held": "cancelled",
            "missed_by": "mentor",
            "short_notice": "often",
            "final_session": "no",
        },
    )

    assert _signals(app, pair["id"]) == ["last_minute_rescheduling"]
    assert world.pair(pair["id"])["state"] == "at_risk"


def test_a_closure_reflection_records_why_the_match_ended_from_the_respondents_view(
    app, api, world
):
    pair = world.drive_to("closing")
    _answer(
        api,
        "closure_reflection",
        pair["mentee_id"],
        pair["id"],
        {
            "proudest": "Giving my first talk",
            "recommend": "9",
            "keep_in_touch": "through_program",
            "share_story": "no",
            "ending_reason": "move_or_life_change",
            "other_ending_reasons": ["lack_of_time"],
        },
    )

    [account] = api.ok("get", f"/pairs/{pair['id']}/ending-reasons")["items"]
    assert (account["viewpoint"], account["primary_reason"], account["other_reasons"]) == (
        "mentee",
        "move_or_life_change",
        ["lack_of_time"],
    )


def test_the_closure_reflection_offers_every_reason_a_match_ends_but_safety():
    from surveys import loader
    from workflows.endings import EndingReason

    definition = loader.standard()["closure_reflection"][0]
    offered = {c.value for c in definition.question("ending_reason").choices}

    assert offered == {reason.value for reason in EndingReason} - {"safety"}
    assert {c.value for c in definition.question("other_ending_reasons").choices} == offered
