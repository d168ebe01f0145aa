"""Adapting a survey in the console: a program rewords, reorders, drops and adds questions,
previews the page as a participant will see it, and publishes it as its next version, which
the next link sent shows; checked as a definition file or the API's version is."""

from __future__ import annotations

import re

import pytest

from service.surveys import versions
from tests.helpers import World, invite

KEY = "checkin_mentee"


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator"))


def _standard_questions(app) -> list[dict]:
    with app.app_context():
        return versions.standard_data(KEY)["questions"]


def _editor_data(app, *, changes: dict[str, str] | None = None, **extra) -> dict:
    """The editor as it opens, with `changes` to questions' wording and `extra` fields."""
    data = {"title": "How is mentoring going?", "intro": ""}
    for index, question in enumerate(_standard_questions(app)):
        data[f"questions-{index}-key"] = question["key"]
        data[f"questions-{index}-wording"] = (changes or {}).get(question["key"], question["label"])
        data[f"questions-{index}-position"] = str(index + 1)
    return {**data, **extra}


def _position_of(app, key: str) -> int:
    return next(i for i, q in enumerate(_standard_questions(app)) if q["key"] == key)


def test_the_surveys_page_lists_each_survey_with_the_version_a_link_shows_now(api, coordinator):
    world = World.build(api)
    page = coordinator.page(f"/console/programs/{world.program['id']}/surveys")
    assert "How is mentoring going?" in page
    assert "The standard, version" in page
    assert f"/console/programs/{world.program['id']}/surveys/{KEY}" in page


def test_the_editor_opens_with_every_question_of_the_survey(app, api, coordinator):
    world = World.build(api)
    page = coordinator.page(f"/console/programs/{world.program['id']}/surveys/{KEY}")
    shown = re.findall(r'name="questions-\d+-key" value="([^"]+)"', page)
    assert shown == [q["key"] for q in _standard_questions(app)]


def test_a_preview_shows_the_new_wording_as_a_participant_sees_it_and_publishes_nothing(
    app, api, coordinator
):
    world = World.build(api)
    path = f"/console/programs/{world.program['id']}/surveys/{KEY}"
    data = _editor_data(app, changes={"meetings_held": "How often did you two meet?"})
    page = coordinator.post(path, data={**data, "preview": "Preview"}).get_data(as_text=True)
    assert "How often did you two meet?" in page
    assert "Send my answers" not in page
    assert "Publish this version" in page
    with app.app_context():
        assert (
            versions.versions(survey_key=KEY, program_id=world.program["id"])[-1].program_id is None
        )


def test_a_published_adaptation_is_what_the_next_link_shows(app, api, client, coordinator):
    world = World.build(api)
    path = f"/console/programs/{world.program['id']}/surveys/{KEY}"
    dropped = _position_of(app, "talking_balance")
    data = _editor_data(
        app,
        changes={"meetings_held": "How often did you two meet?"},
        new_label="Is school going better?",
        new_key="school_better",
        new_type="yes_no",
        new_position="1",
        publish="Publish",
    )
    data[f"questions-{dropped}-drop"] = "y"
    response = coordinator.post(path, data=data)
    assert response.status_code == 302
    assert "Published version" in coordinator.flashes()
    pair = world.drive_to("active")
    invitation = invite(api, KEY, world.mentees[0]["id"], pair_id=pair["id"])
    survey = client.get("/" + invitation["url"].split("://", 1)[1].split("/", 1)[1])
    page = survey.get_data(as_text=True)
    assert "How often did you two meet?" in page
    assert page.index("Is school going better?") < page.index("How often did you two meet?")
    assert 'name="talking_balance"' not in page


def test_dropping_a_question_the_survey_needs_is_refused_naming_it_and_keeps_what_was_typed(
    app, api, coordinator
):
    world = World.build(api)
    path = f"/console/programs/{world.program['id']}/surveys/{KEY}"
    needed = _position_of(app, "relationship_rating")
    data = _editor_data(app, title="Our check-in", preview="Preview")
    data[f"questions-{needed}-drop"] = "y"
    response = coordinator.post(path, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "relationship_rating" in page
    assert 'value="Our check-in"' in page


def test_a_new_question_with_a_name_that_is_not_a_name_is_refused(app, api, coordinator):
    world = World.build(api)
    path = f"/console/programs/{world.program['id']}/surveys/{KEY}"
    data = _editor_data(app, new_label="Anything else?", new_key="2 words", preview="Preview")
    response = coordinator.post(path, data=data)
    assert response.status_code == 422
    assert "letters, digits and _ only" in response.get_data(as_text=True)


def test_support_staff_cannot_adapt_surveys(api, make_staff, console_as):
    world = World.build(api)
    response = console_as(make_staff("support")).get(
        f"/console/programs/{world.program['id']}/surveys/{KEY}"
    )
    assert response.status_code == 403
