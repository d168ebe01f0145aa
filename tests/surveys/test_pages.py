"""The participant pages behind a signed, expiring, single-use link."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from service.clock import now
from service.database import db
from service.surveys.models import SurveyResponse
from surveys import loader
from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, invite
from tests.helpers.forms import csrf_token_in


def _mentee_link(api, world) -> tuple[dict, SurveyTaker]:
    pair = world.drive_to("active")
    invitation = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])
    return pair, SurveyTaker(api.client, invitation["url"])


def _h1(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.get_data(as_text=True), re.S).group(1).strip()


def test_the_page_says_who_will_see_the_answers(api, world):
    _, taker = _mentee_link(api, world)
    page = taker.open().get_data(as_text=True)
    assert "Who will see your answers" in page
    assert "Seen by: program staff only" in page
    assert "Seen by: program staff and your mentor" in page
    assert "Seen by: safeguarding staff only" in page


def test_every_question_has_a_label_or_a_legend(api, world):
    _, taker = _mentee_link(api, world)
    page = taker.open().get_data(as_text=True)
    asked = len(loader.standard()["checkin_mentee"][0].questions)
    assert page.count("<legend>") + page.count('class="question-label"') == asked


def test_a_valid_submission_redirects_to_a_thank_you_page(api, world):
    _, taker = _mentee_link(api, world)
    response = taker.submit(CALM_MENTEE_CHECKIN)
    assert response.status_code == 303
    assert _h1(api.client.get(response.headers["Location"])) == "Thank you"


def test_an_invalid_submission_lists_each_error_with_a_link_and_keeps_the_answers(api, world):
    _, taker = _mentee_link(api, world)
    response = taker.submit({"meetings_held": "2", "meetings_missed": "99"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<title>Error: " in page
    assert 'href="#q-meetings_missed"' in page
    assert 'href="#q-relationship_rating-0"' in page
    assert re.search(r'id="q-meetings_held" name="meetings_held"\s+value="2"', page)
    assert "Enter a whole number from 0 to 31" in page


def test_a_stale_session_token_keeps_the_answers_and_asks_to_send_again(api, world):
    _, taker = _mentee_link(api, world)
    response = taker.submit(CALM_MENTEE_CHECKIN, token="not-a-valid-token")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "send them again" in page
    assert re.search(r'name="relationship_rating" value="8"\s+checked', page)
    assert not re.search(r'name="relationship_rating" value="7"\s+checked', page)


def test_a_used_link_shows_already_received(api, world):
    _, taker = _mentee_link(api, world)
    taker.submit(CALM_MENTEE_CHECKIN)
    again = taker.open()
    assert again.status_code == 200
    assert _h1(again) == "We already have your answers"


def test_submitting_twice_stores_one_response(app, api, world):
    _, taker = _mentee_link(api, world)
    token = taker.csrf_token()
    first = taker.submit(CALM_MENTEE_CHECKIN, token=token)
    second = taker.submit(CALM_MENTEE_CHECKIN, token=token)
    assert first.status_code == 303
    assert _h1(second) == "We already have your answers"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 1


def test_a_tampered_link_is_refused_with_a_400_page(api, world):
    _, taker = _mentee_link(api, world)
    response = api.client.get(taker.path[:-4] + "AAAA")
    assert response.status_code == 400
    assert _h1(response) == "This link is not valid"


def test_an_expired_link_offers_to_email_a_fresh_one(api, world, mailbox, drain):
    pair, taker = _mentee_link(api, world)
    with time_machine.travel(now() + timedelta(days=15)):
        expired = taker.open()
        assert expired.status_code == 410
        assert _h1(expired) == "This link has expired"
        token = csrf_token_in(expired.get_data(as_text=True), "the expired link's page")
        sent = api.client.post(f"{taker.path}/new-link", data={"csrf_token": token})
        drain()
    assert _h1(sent) == "Check your e-mail"
    mentee = api.ok("get", f"/participants/{pair['mentee_id']}")
    [message] = mailbox.to(mentee["email"])
    assert message["Subject"].startswith("Your new link")
    fresh_url = re.search(
        r"(http://pairwise\.test/s/\S+)", message.get_body(("plain",)).get_content()
    )
    fresh = SurveyTaker(api.client, fresh_url.group(1))
    assert fresh.open().status_code == 200
    assert fresh.path != taker.path


def test_asking_twice_for_a_fresh_link_sends_one_email(api, world, mailbox, drain):
    _, taker = _mentee_link(api, world)
    with time_machine.travel(now() + timedelta(days=15)):
        for _ in range(2):
            page = taker.open().get_data(as_text=True)
            token = csrf_token_in(page, "the expired link's page")
            api.client.post(f"{taker.path}/new-link", data={"csrf_token": token})
        drain()
    assert len(mailbox.messages) == 1


def test_the_fresh_link_form_is_protected_against_csrf(api, world):
    _, taker = _mentee_link(api, world)
    with time_machine.travel(now() + timedelta(days=15)):
        response = api.client.post(f"{taker.path}/new-link", data={})
    assert response.status_code == 400


def test_a_nul_character_in_an_answer_is_shown_beside_it_and_nothing_is_stored(app, api, world):
    _, taker = _mentee_link(api, world)

    response = taker.submit({**CALM_MENTEE_CHECKIN, "how_is_it_going": "Fine\x00 thanks"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This answer contains a NUL character" in page
    assert "Fine" in page  # the other answers are kept on the page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0
    assert taker.submit(CALM_MENTEE_CHECKIN).status_code == 303  # the link still works
