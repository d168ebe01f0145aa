"""The SQL statements a hot path sends, counted: a budget that fails when it grows.

Time is what matters, but it varies from machine to machine; the number of round trips to
the database does not, and it is most of a request's time. Each budget is the figure the
path was brought down to (bench/requests_per_second.py --profile prints them): a change
that adds a statement to these paths has to say why, here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from service.database import db
from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, invite

# Statements per request, BEGIN and COMMIT not counted (the driver sends those itself).
# The transition measured flags a pair at risk: the token, the pair locked with its program
# (and whether it has pending proposals to supersede), the compare-and-set (which also
# numbers its events and marks its calendar stale: the sweep redraws it after the
# transition), the transition record and the outbox event. The submission: the link with
# everything its answers need (the pair's earlier ratings included), the invitation used up,
# the response, the contact answered, the pair's event number and the outbox event.
TRANSITION_BUDGET = 5
SUBMISSION_BUDGET = 6
SURVEY_PAGE_BUDGET = 1
# A mentee's suggestions: the mentee, the program, the places taken, whether the program's
# mentors changed (they are kept between calls, and read as columns, however many, only when
# they did), the mentee's previous mentors, then the rows of those shown (the best and the
# ruled out, at most `limit` each, in one query).
SUGGESTIONS_BUDGET = 6


@pytest.fixture
def statements(app) -> Iterator[list[str]]:
    """Every statement the app sends while the test runs, as text."""
    sent: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(connection, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    @contextmanager
    def counting() -> Iterator[list[str]]:
        sent.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            yield sent
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)

    yield counting


def _report(sent: list[str]) -> str:
    """The statements, numbered, each on one line: what to look at when a budget fails."""
    lines = (" ".join(statement.split())[-300:] for statement in sent)
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))


def test_a_transition_stays_within_its_statement_budget(world, api, statements):
    pair = world.drive_to("active")
    with statements() as sent:
        response = api.trigger(pair["id"], "flag_risk", signals=["missed_meetings"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["pair"]["state"] == "at_risk"
    assert len(sent) <= TRANSITION_BUDGET, _report(sent)


def test_a_survey_submission_stays_within_its_statement_budget(world, api, client, statements):
    pair = world.drive_to("active")
    invitation = invite(api, "checkin_mentee", world.mentees[0]["id"], pair_id=pair["id"])
    taker = SurveyTaker(client, invitation["url"])
    token = taker.csrf_token()
    with statements() as sent:
        response = taker.submit(CALM_MENTEE_CHECKIN, token=token)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert len(sent) <= SUBMISSION_BUDGET, _report(sent)


def test_a_survey_page_stays_within_its_statement_budget(world, api, client, statements):
    pair = world.drive_to("active")
    invitation = invite(api, "checkin_mentee", world.mentees[0]["id"], pair_id=pair["id"])
    taker = SurveyTaker(client, invitation["url"])
    with statements() as sent:
        page = taker.open()
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    assert len(sent) <= SURVEY_PAGE_BUDGET, _report(sent)


def test_the_participant_list_sends_as_many_statements_for_many_rows_as_for_few(
    world, make_staff, console_as, statements
):
    console = console_as(make_staff("coordinator"))
    world.drive_to("matched", mentee_index=0)
    console.page("/console/participants")  # the first request of a session warms it up
    with statements() as sent:
        console.page("/console/participants")
    few = len(sent)
    for index in range(1, 3):
        world.drive_to("matched", mentee_index=index, mentor_index=index)
    for _ in range(6):
        world.add_participant("mentee")
    with statements() as sent:
        page = console.page("/console/participants")
    assert page.count("<tr>") == 13  # the header, and twelve participants
    assert len(sent) == few, _report(sent)


def test_ranking_suggestions_sends_as_many_statements_for_many_mentors_as_for_few(
    app, api, statements
):
    from service.matching import suggestions
    from tests.helpers import World

    def ranked(mentors: int) -> tuple[list[str], int]:
        world = World.build(api, mentors=mentors, mentees=2)
        # A mentor with a place taken, and a previous mentor of the mentee ranked.
        taken = world.new_pair(1)
        api.trigger(taken["id"], "match", mentor_id=world.mentors[1]["id"])
        api.ok("patch", f"/participants/{world.mentees[0]['id']}", {"goals": ["Reading"]})
        with app.app_context():
            suggestions.rank(mentee_id=world.mentees[0]["id"], limit=10)  # warms up
            with statements() as sent:
                ranking = suggestions.rank(mentee_id=world.mentees[0]["id"], limit=10)
            assert ranking.considered == mentors
            return list(sent), len(ranking.candidates)

    few, shown_of_few = ranked(3)
    many, shown_of_many = ranked(60)
    assert (shown_of_few, shown_of_many) == (2, 10)  # the full mentor is ruled out
    assert len(many) == len(few), _report(many)
    assert len(many) <= SUGGESTIONS_BUDGET, _report(many)
