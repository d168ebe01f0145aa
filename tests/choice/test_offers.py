"""Mentee choice: an offer freezes the mentee's best suggested mentors and e-mails a signed
link; the mentee's pick through the page is the pair's `match` with its score and reasons;
a used, replaced or expired link, a mentor no longer available, a program that does not let
mentees choose: each refused, kindly."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.actors import system
from service.choice import service as choice
from service.choice.models import ChoiceOffer
from service.clock import now
from service.database import db
from service.errors import Conflict
from service.events.models import OutboxEvent
from service.notifications.models import Notification
from service.pairs.models import TransitionRecord
from service.web import credentials
from tests.helpers import SurveyTaker, World

NAMES = ("Ana Reyes", "Bo Lund", "Cy Park", "Di Wong")
GOALS = (["Reading", "Careers", "Chess"], ["Reading", "Careers"], ["Reading"], [])


def _world(api, **program) -> World:
    """Four mentors who share three, two, one and no goals with the first mentee."""
    world = World.build(api, mentors=4, mentees=2, **{"mentee_choice": True, **program})
    api.ok(
        "patch",
        f"/participants/{world.mentees[0]['id']}",
        {"goals": ["Reading", "Careers", "Chess"], "availability": "Saturday mornings"},
    )
    for mentor, name, goals in zip(world.mentors, NAMES, GOALS, strict=True):
        api.ok(
            "patch",
            f"/participants/{mentor['id']}",
            {"full_name": name, "goals": goals, "availability": "Saturdays", "skills": ["chess"]},
        )
    return world


def _send(app, pair_id: int) -> tuple[int, str]:
    with app.app_context():
        offer = choice.send(pair_id=pair_id, actor=system("a test"))
        return offer.id, choice.link_for(offer)


def _page(client, url: str) -> tuple[int, str]:
    response = SurveyTaker(client, url).open()
    return response.status_code, html.unescape(response.get_data(as_text=True))


def _pick(client, url: str, mentor_id: int):
    return SurveyTaker(client, url).submit({"mentor_id": str(mentor_id)})


def test_an_offer_freezes_the_best_mentors_and_e_mails_the_mentee_a_signed_link(app, api, client):
    world = _world(api)
    pair = world.new_pair(0)

    offer_id, url = _send(app, pair["id"])

    with app.app_context():
        offer = db.session.get(ChoiceOffer, offer_id)
        assert [o["mentor_id"] for o in offer.options] == [m["id"] for m in world.mentors[:3]]
        assert [o["first_name"] for o in offer.options] == ["Ana", "Bo", "Cy"]
        assert "Shares 3 goals: careers, chess, reading" in offer.options[0]["reasons"]
        assert offer.options[0]["in_common"] == [
            "You both want to work on: careers, chess, reading",
            "Knows about: chess",
            "Speaks English",
            "Free when you are: Saturday",
        ]
        (mail,) = db.session.scalars(
            sa.select(Notification).where(Notification.template == "mentee_choice")
        ).all()
        assert mail.to_address == world.mentees[0]["email"]
        assert mail.context["link"] == url and "/choose/" in url
        (event,) = db.session.scalars(
            sa.select(OutboxEvent).where(OutboxEvent.type == "choice.offered")
        ).all()
        assert event.payload["offer"]["mentor_ids"] == [m["id"] for m in world.mentors[:3]]
        assert "Ana" not in str(event.payload)

    # What the mentors say later changes nothing of the offer: it is frozen as it was sent.
    api.ok("patch", f"/participants/{world.mentors[3]['id']}", {"goals": GOALS[0]})
    status, page = _page(client, url)
    assert status == 200
    assert "Choose your mentor" in page
    assert "You both want to work on: careers, chess, reading" in page
    # The names shown, not a search of the whole page: its random tokens may spell "Di".
    assert re.findall(r'<strong id="name-\d+">([^<]+)', page) == ["Ana", "Bo", "Cy"]
    for private in (world.mentors[0]["email"], "Reyes", "Lund"):
        assert private not in page


def test_the_mentees_pick_is_the_pairs_match_by_them_with_its_score_and_reasons(app, api, client):
    world = _world(api)
    pair = world.new_pair(0)
    _, url = _send(app, pair["id"])
    bo = world.mentors[1]

    response = _pick(client, url, bo["id"])

    assert response.status_code == 303
    thanks = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "You chose Bo." in thanks
    matched = world.pair(pair["id"])
    assert (matched["state"], matched["mentor_id"]) == ("matched", bo["id"])
    (record,) = api.ok("get", f"/pairs/{pair['id']}/history")["items"]
    assert record["actor"] == {"kind": "system", "id": None, "label": "mentee choice"}
    assert record["reason"].startswith("The mentee's choice among 3 mentors, score ")
    assert "Shares 2 goals: careers, reading" in record["details"]["matching"]["reasons"]
    assert record["details"]["matching"]["score"] > 0
    # Then the introduction is accepted as it always is.
    world.accept_introduction(pair["id"])
    assert api.trigger(pair["id"], "start_training").status_code == 200


def test_a_used_link_shows_a_kind_page_and_a_second_pick_makes_no_second_match(app, api, client):
    world = _world(api)
    pair = world.new_pair(0)
    offer_id, url = _send(app, pair["id"])
    taker = SurveyTaker(client, url)
    token = taker.csrf_token()
    assert taker.submit({"mentor_id": str(world.mentors[0]["id"])}, token=token).status_code == 303

    again = taker.submit({"mentor_id": str(world.mentors[1]["id"])}, token=token)

    assert again.status_code == 200
    assert "You have chosen your mentor" in html.unescape(again.get_data(as_text=True))
    assert "You chose Ana" in html.unescape(again.get_data(as_text=True))
    assert world.pair(pair["id"])["mentor_id"] == world.mentors[0]["id"]
    with app.app_context():
        with pytest.raises(choice.LinkUsed):
            choice.choose(offer_id=offer_id, mentor_id=world.mentors[1]["id"])
        records = db.session.scalars(
            sa.select(TransitionRecord).where(TransitionRecord.pair_id == pair["id"])
        ).all()
    assert len(records) == 1


def test_an_expired_link_shows_a_kind_page_and_the_pair_keeps_waiting(app, api, client):
    world = _world(api)
    pair = world.new_pair(0)
    offer_id, url = _send(app, pair["id"])
    with app.app_context():
        db.session.get(ChoiceOffer, offer_id).expires_at = now() - timedelta(minutes=1)
        db.session.commit()

    status, page = _page(client, url)

    assert status == 410
    assert "This link has expired" in page
    assert "ask your program coordinator to send you a new one" in page
    response = client.post(SurveyTaker(client, url).path, data={"mentor_id": "1"})
    assert response.status_code == 410
    with app.app_context(), pytest.raises(choice.LinkExpired):
        choice.choose(offer_id=offer_id, mentor_id=world.mentors[0]["id"])
    assert world.pair(pair["id"])["state"] == "recruited"


def test_a_mentor_who_became_unavailable_is_refused_and_the_others_stay_pickable(app, api, client):
    world = _world(api)
    pair = world.new_pair(0)
    _, url = _send(app, pair["id"])
    ana, bo, cy = world.mentors[:3]
    taker = SurveyTaker(client, url)
    token = taker.csrf_token()  # the page as the mentee opened it, everyone open
    # Meanwhile Ana's only place goes to another mentee, and Bo leaves the program.
    other = world.new_pair(1)
    api.ok(
        "post", f"/pairs/{other['id']}/transitions", {"trigger": "match", "mentor_id": ana["id"]}
    )
    api.ok("patch", f"/participants/{bo['id']}", {"active": False})

    refused = taker.submit({"mentor_id": str(ana["id"])}, token=token)

    assert refused.status_code == 409
    page = html.unescape(refused.get_data(as_text=True))
    assert (
        "Sorry, Ana is no longer available to mentor you. Please choose one of the others." in page
    )
    assert f'id="mentor-{ana["id"]}" name="mentor_id" value="{ana["id"]}" disabled' in page
    assert f'id="mentor-{bo["id"]}" name="mentor_id" value="{bo["id"]}" disabled' in page
    assert f'value="{cy["id"]}" aria-labelledby' in page  # still open
    assert world.pair(pair["id"])["state"] == "recruited"

    chosen = taker.submit({"mentor_id": str(cy["id"])})
    assert chosen.status_code == 303
    assert world.pair(pair["id"])["mentor_id"] == cy["id"]


def test_a_program_that_does_not_let_mentees_choose_refuses_the_offer(app, api, client):
    world = _world(api, mentee_choice=False)
    pair = world.new_pair(0)

    with app.app_context(), pytest.raises(Conflict) as refusal:
        choice.send(pair_id=pair["id"], actor=system("a test"))
    assert "does not let mentees choose" in refusal.value.detail

    # Turned off after an offer went out: the link no longer chooses.
    api.ok("patch", f"/programs/{world.program['id']}", {"mentee_choice": True})
    offer_id, url = _send(app, pair["id"])
    api.ok("patch", f"/programs/{world.program['id']}", {"mentee_choice": False})
    status, page = _page(client, url)
    assert status == 200 and "there is nothing to choose here any more" in page
    with app.app_context(), pytest.raises(choice.ChoiceClosed):
        choice.choose(offer_id=offer_id, mentor_id=world.mentors[0]["id"])
    assert world.pair(pair["id"])["state"] == "recruited"


def test_a_new_offer_replaces_the_one_sent_before(app, api, client):
    world = _world(api)
    pair = world.new_pair(0)
    _, first = _send(app, pair["id"])
    _, second = _send(app, pair["id"])

    status, page = _page(client, first)

    assert status == 200 and "There is a newer link" in page
    assert _page(client, second)[0] == 200
    assert _pick(client, second, world.mentors[0]["id"]).status_code == 303


def test_only_a_pair_waiting_for_a_mentor_is_offered_a_choice(app, api):
    world = _world(api)
    matched = world.drive_to("matched")

    with app.app_context(), pytest.raises(Conflict) as refusal:
        choice.send(pair_id=matched["id"], actor=system("a test"))

    assert "only a mentee still waiting for a mentor chooses one" in refusal.value.detail


def test_a_tampered_link_is_not_valid(app, api, client):
    world = _world(api)
    pair = world.new_pair(0)
    _, url = _send(app, pair["id"])

    status, page = _page(client, url[:-3] + "abc")

    assert status == 400 and "This link is not valid" in page


def test_where_matches_need_approval_the_choice_files_a_proposal_for_a_coordinator(
    app, api, client
):
    world = _world(api, approval_required=["match"])
    pair = world.new_pair(0)
    offer_id, url = _send(app, pair["id"])

    assert _pick(client, url, world.mentors[1]["id"]).status_code == 303

    assert world.pair(pair["id"])["state"] == "recruited"
    (proposal,) = api.ok("get", f"/proposals?pair_id={pair['id']}")["items"]
    assert proposal["trigger"] == "match"
    assert proposal["params"]["mentor_id"] == world.mentors[1]["id"]
    with app.app_context():
        offer = db.session.get(ChoiceOffer, offer_id)
        assert (offer.outcome, offer.chosen_mentor_id) == ("proposed", world.mentors[1]["id"])


def test_a_link_to_a_pair_that_ended_meanwhile_says_so_kindly(app, api, client):
    world = _world(api, approval_required=[])
    pair = world.new_pair(0)
    _, url = _send(app, pair["id"])
    api.ok(
        "post",
        f"/pairs/{pair['id']}/transitions",
        {"trigger": "withdraw", "reason": "Moved away", "closure_reason": "withdrawn"},
    )

    status, page = _page(client, url)

    assert world.pair(pair["id"])["state"] == "closed"
    assert status == 200 and "This link no longer works" in page


def test_a_link_to_a_pair_a_coordinator_matched_meanwhile_makes_no_second_match(app, api, client):
    world = _world(api)
    pair = world.new_pair(0)
    offer_id, url = _send(app, pair["id"])
    taker = SurveyTaker(client, url)
    token = taker.csrf_token()  # the page open in the mentee's browser
    api.ok(
        "post",
        f"/pairs/{pair['id']}/transitions",
        {"trigger": "match", "mentor_id": world.mentors[2]["id"]},
    )

    refused = taker.submit({"mentor_id": str(world.mentors[0]["id"])}, token=token)

    assert refused.status_code == 200
    assert "Your mentor is being arranged" in html.unescape(refused.get_data(as_text=True))
    assert world.pair(pair["id"])["mentor_id"] == world.mentors[2]["id"]
    with app.app_context(), pytest.raises(choice.ChoiceClosed):
        choice.choose(offer_id=offer_id, mentor_id=world.mentors[0]["id"])


def test_logs_name_the_route_of_a_choice_link_never_its_token(app, api):
    world = _world(api)
    _, url = _send(app, world.new_pair(0)["id"])
    token = url.rsplit("/choose/", 1)[1]

    logged = credentials.scrub(f'"GET /choose/{token} HTTP/1.1" 200 and {url}')

    assert token not in logged
    assert logged.startswith('"GET /choose/<token> HTTP/1.1" 200')


def test_a_spanish_speaking_mentee_is_e_mailed_in_spanish(app, api, client, mailbox, drain):
    world = _world(api)
    api.ok(
        "patch", f"/participants/{world.mentees[0]['id']}", {"language": "es", "languages": ["en"]}
    )
    _, url = _send(app, world.new_pair(0)["id"])

    drain()

    (message,) = mailbox.to(world.mentees[0]["email"])
    assert message["Subject"].startswith("Elige a tu mentor - ")
    assert url in message.get_body(("plain",)).get_content()
