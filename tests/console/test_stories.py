"""Stories participants agreed to share are collected in one place."""

from __future__ import annotations

from tests.helpers import SurveyTaker, invite

REFLECTION = {"proudest": "Finishing the robot", "recommend": "9", "keep_in_touch": "not"}


def _reflect(client, api, participant_id: int, pair_id: int, **answers: str) -> None:
    url = invite(api, "closure_reflection", participant_id, pair_id)["url"]
    response = SurveyTaker(client, url).submit({**REFLECTION, **answers})
    assert response.status_code == 303, response.get_data(as_text=True)[:800]


def test_a_story_shared_with_consent_appears_on_the_stories_page(
    client, api, world, make_staff, console_as
):
    pair = world.drive_to("closing")
    _reflect(
        client,
        api,
        pair["mentee_id"],
        pair["id"],
        share_story="yes",
        story="I built a robot with my mentor and now I want to study engineering.",
    )

    page = console_as(make_staff()).page("/console/stories")

    assert "I built a robot with my mentor" in page


def test_a_story_without_consent_stays_private(client, api, world, make_staff, console_as):
    pair = world.drive_to("closing")
    _reflect(client, api, pair["mentee_id"], pair["id"], share_story="no")
    _reflect(client, api, pair["mentor_id"], pair["id"], share_story="no", story="Private words")

    page = console_as(make_staff()).page("/console/stories")

    assert "Private words" not in page
    assert "Finishing the robot" not in page
