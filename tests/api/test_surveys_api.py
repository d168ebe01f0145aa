"""Survey definitions, program versions, invitations and responses through the API."""

from __future__ import annotations

from surveys import loader
from tests.helpers import CALM_MENTEE_CHECKIN, Api, SurveyTaker, invite

# The standard mentee check-in's version; a program's own version comes after it.
STANDARD = loader.standard()["checkin_mentee"][0].version


def test_the_standard_surveys_are_listed(api):
    keys = {s["key"] for s in api.ok("get", "/surveys")["items"]}
    assert {"checkin_mentee", "meeting_log", "closure_reflection", "application_mentor"} <= keys


def test_an_invitation_returns_a_link_for_the_participant(api, world):
    pair = world.drive_to("active")
    invitation = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])
    assert invitation["url"].startswith("http://pairwise.test/s/")
    assert invitation["used_at"] is None
    again = api.ok("get", f"/invitations/{invitation['id']}")
    assert "url" not in again


def test_a_survey_for_mentees_cannot_be_sent_to_a_mentor(api, world):
    pair = world.drive_to("active")
    body = {
        "survey_key": "checkin_mentee",
        "participant_id": pair["mentor_id"],
        "pair_id": pair["id"],
    }
    response = api.post("/invitations", body)
    assert response.status_code == 422
    assert "answered by mentee, not by a mentor" in response.get_json()["detail"]


def test_a_survey_about_a_pair_needs_the_pair(api, world):
    response = api.post(
        "/invitations", {"survey_key": "checkin_mentee", "participant_id": world.mentees[0]["id"]}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "pair_id"


def test_an_invitation_for_someone_outside_the_pair_is_refused(api, world):
    pair = world.drive_to("active", mentee_index=0)
    other = world.mentees[1]
    response = api.post(
        "/invitations",
        {"survey_key": "checkin_mentee", "participant_id": other["id"], "pair_id": pair["id"]},
    )
    assert response.status_code == 422


def test_an_unknown_survey_is_a_404(api, world):
    response = api.post(
        "/invitations", {"survey_key": "nope", "participant_id": world.mentees[0]["id"]}
    )
    assert response.status_code == 404


def test_an_invitation_can_be_emailed(api, world, mailbox, drain):
    pair = world.drive_to("active")
    invitation = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"], send_email=True)
    drain()
    mentee = api.ok("get", f"/participants/{pair['mentee_id']}")
    [message] = mailbox.to(mentee["email"])
    assert message["Subject"] == f"How is mentoring going? - {world.program['name']}"
    assert invitation["url"] in message.get_body(("plain",)).get_content()
    assert invitation["url"] in message.get_body(("html",)).get_content()


OWN_VERSION = {
    "title": "Checking in",
    "questions": [
        {
            "key": "relationship_rating",
            "type": "rating",
            "min": 1,
            "max": 10,
            "label": "Out of ten, how is it going with your mentor?",
            "visibility": "pair",
        },
        {
            "key": "meetings_missed",
            "type": "number",
            "min": 0,
            "max": 31,
            "label": "How many meetings did not happen?",
        },
        {"key": "bus_fare", "type": "yes_no", "label": "Do you need help with bus fares?"},
    ],
    "rules": [
        {"signal": "missed_meetings", "when": {"question": "meetings_missed", "at_least": 2}}
    ],
}


def test_a_program_publishes_its_own_version_and_new_links_use_it(api, world):
    pair = world.drive_to("active")
    old_invitation = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])
    published = api.ok(
        "post", f"/programs/{world.program['id']}/surveys/checkin_mentee/versions", OWN_VERSION
    )
    assert (published["version"], published["program_id"]) == (STANDARD + 1, world.program["id"])
    new_invitation = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])
    assert new_invitation["survey_version_id"] == published["id"]
    page = SurveyTaker(api.client, new_invitation["url"]).open().get_data(as_text=True)
    assert "Do you need help with bus fares?" in page
    assert "Who does most of the talking" not in page
    old_page = SurveyTaker(api.client, old_invitation["url"]).open().get_data(as_text=True)
    assert "Who does most of the talking" in old_page


def test_old_responses_still_read_with_their_original_questions(api, world):
    pair = world.drive_to("active")
    old = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])
    SurveyTaker(api.client, old["url"]).submit(CALM_MENTEE_CHECKIN)
    api.ok("post", f"/programs/{world.program['id']}/surveys/checkin_mentee/versions", OWN_VERSION)
    [response] = api.ok("get", f"/pairs/{pair['id']}/responses")["items"]
    labels = {a["key"]: a["label"] for a in response["answers"]}
    assert (
        labels["relationship_rating"] == "How would you rate your mentoring relationship right now?"
    )
    assert labels["talking_balance"] == "Who does most of the talking in your meetings?"


def test_a_malformed_version_is_refused_naming_the_question(api, world):
    broken = {**OWN_VERSION, "questions": [{"key": "mood", "type": "slider", "label": "Mood"}]}
    response = api.post(f"/programs/{world.program['id']}/surveys/checkin_mentee/versions", broken)
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["errors"][0]["field"] == "questions.mood"
    assert "unknown type 'slider'" in problem["detail"]


def test_a_meeting_log_version_must_keep_the_meeting_record_questions(api, world):
    body = {"title": "Short log", "questions": [{"key": "held", "type": "yes_no", "label": "Met?"}]}
    response = api.post(f"/programs/{world.program['id']}/surveys/meeting_log/versions", body)
    assert response.status_code == 422
    assert "must keep this question" in response.get_json()["detail"]


def test_versions_list_the_standard_one_and_the_programs_own(api, world):
    api.ok("post", f"/programs/{world.program['id']}/surveys/checkin_mentee/versions", OWN_VERSION)
    versions = api.ok("get", f"/surveys/checkin_mentee/versions?program_id={world.program['id']}")
    assert [(v["program_id"], v["version"]) for v in versions["items"]] == [
        (None, STANDARD),
        (world.program["id"], STANDARD + 1),
    ]


def _answered_with_safety(api, world) -> dict:
    pair = world.drive_to("active")
    invitation = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])
    SurveyTaker(api.client, invitation["url"]).submit(
        {
            **CALM_MENTEE_CHECKIN,
            "how_is_it_going": "Private thoughts",
            "feels_unsafe": "yes",
            "safety_details": "What happened",
        }
    )
    return pair


def test_a_reader_sees_only_answers_shared_with_the_pair(client, make_token, api, world):
    pair = _answered_with_safety(api, world)
    reader = Api(client, make_token("responses:read"))
    [response] = reader.ok("get", f"/pairs/{pair['id']}/responses")["items"]
    assert [a["key"] for a in response["answers"]] == ["relationship_rating"]
    assert response["withheld"] == 7


def test_staff_answers_need_the_private_scope_and_safety_answers_an_admin(
    client, make_token, api, world
):
    pair = _answered_with_safety(api, world)
    staff = Api(client, make_token("responses:read_private"))
    [response] = staff.ok("get", f"/pairs/{pair['id']}/responses")["items"]
    keys = {a["key"] for a in response["answers"]}
    assert "how_is_it_going" in keys
    assert {"feels_unsafe", "safety_details"}.isdisjoint(keys)
    admin = Api(client, make_token("admin"))
    [full] = admin.ok("get", f"/pairs/{pair['id']}/responses")["items"]
    assert {a["key"]: a["display"] for a in full["answers"]}["safety_details"] == "What happened"


def test_reading_responses_needs_a_responses_scope(client, make_token, world, api):
    pair = _answered_with_safety(api, world)
    response = Api(client, make_token("pairs:read")).get(f"/pairs/{pair['id']}/responses")
    assert response.status_code == 403


OUTCOME_QUESTIONS = [
    {"key": "calm", "type": "likert", "label": "I feel calm."},
    {"key": "worried", "type": "likert", "label": "I often feel worried."},
]


def test_a_program_publishes_its_own_outcome_measures_with_their_scales(api, world):
    body = {
        "title": "How are things?",
        "questions": OUTCOME_QUESTIONS,
        "scales": [{"key": "calm", "title": "Feeling calm", "items": ["calm", "worried"],
                    "reverse": ["worried"]}],
    }  # fmt: skip
    published = api.ok(
        "post", f"/programs/{world.program['id']}/surveys/outcomes_mentee/versions", body
    )
    assert published["definition"]["scales"][0]["reverse"] == ["worried"]


def test_an_outcome_version_whose_scale_names_a_missing_question_is_refused(api, world):
    body = {
        "title": "How are things?",
        "questions": OUTCOME_QUESTIONS,
        "scales": [{"key": "calm", "title": "Feeling calm", "items": ["calm", "relaxed"]}],
    }
    response = api.post(f"/programs/{world.program['id']}/surveys/outcomes_mentee/versions", body)
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["errors"][0]["field"] == "questions.relaxed"
    assert "scale 'calm': names a missing question" in problem["detail"]


def test_a_missed_baseline_is_sent_through_the_api_with_its_occasion(api, world):
    pair = world.drive_to("active")
    body = {"survey_key": "outcomes_mentee", "participant_id": pair["mentee_id"],
            "pair_id": pair["id"], "occasion": "baseline"}  # fmt: skip
    made = api.ok("post", "/invitations", body)
    assert made["occasion"] == "baseline"
    assert api.ok("get", f"/invitations/{made['id']}")["occasion"] == "baseline"


def test_an_occasion_is_refused_for_a_survey_that_is_not_an_outcome_survey(api, world):
    pair = world.drive_to("active")
    body = {"survey_key": "checkin_mentee", "participant_id": pair["mentee_id"],
            "pair_id": pair["id"], "occasion": "baseline"}  # fmt: skip
    response = api.post("/invitations", body)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "occasion"
    response = api.post("/invitations", {**body, "occasion": "someday"})
    assert response.status_code == 422
