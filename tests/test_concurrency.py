"""Two transitions on one pair can never both win, across processes."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import httpx
import pytest
import sqlalchemy as sa

from service.database import db
from service.errors import ConcurrentUpdate
from service.events.models import OutboxEvent
from service.pairs import service as pairs
from service.pairs.models import Pair, TransitionRecord
from tests.helpers.servers import local_http
from workflows.pairing import State

RACERS = 8


def _race(base_url: str, token: str, path: str, body: dict) -> list[httpx.Response]:
    """Send the same request from RACERS threads released at the same instant."""
    barrier = threading.Barrier(RACERS)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def racer() -> None:
        with local_http(base_url=base_url, timeout=60) as http:
            barrier.wait()
            response = http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_a_transition_based_on_a_stale_read_loses_the_compare_and_set(app, world):
    pair_id = world.drive_to("active")["id"]
    with app.app_context():
        stale = db.session.get(Pair, pair_id)
        with app.app_context():
            fresh = db.session.get(Pair, pair_id)
            pairs.compare_and_set_state(fresh, State.AT_RISK, fresh.state_changed_at)
            db.session.commit()
        with pytest.raises(ConcurrentUpdate) as refusal:
            pairs.compare_and_set_state(stale, State.CLOSING, stale.state_changed_at)
        assert refusal.value.problem_type == "concurrent-update"
        db.session.rollback()


@pytest.mark.slow
def test_concurrent_transitions_from_several_processes_have_exactly_one_winner(
    app, api, world, live_server
):
    for round_ in range(3):
        pair_id = world.drive_to("active", mentee_index=round_, mentor_index=round_)["id"]
        responses = _race(
            live_server,
            api.token,
            f"/api/v1/pairs/{pair_id}/transitions",
            {"trigger": "flag_risk", "signals": ["missed_meetings"]},
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [409] * (RACERS - 1), [r.json() for r in responses]
        losers = {r.json()["type"] for r in responses if r.status_code == 409}
        assert losers <= {"/problems/trigger-not-allowed", "/problems/concurrent-update"}
        with app.app_context():
            sequences = db.session.scalars(
                sa.select(TransitionRecord.sequence)
                .where(TransitionRecord.pair_id == pair_id)
                .order_by(TransitionRecord.sequence)
            ).all()
            assert sequences == [1, 2, 3, 4]
            flagged = db.session.scalar(
                sa.select(sa.func.count(OutboxEvent.id)).where(
                    OutboxEvent.pair_id == pair_id,
                    OutboxEvent.type == "pair.transitioned",
                )
            )
            assert flagged == 4


@pytest.mark.slow
def test_concurrent_approvals_of_one_proposal_apply_it_once(app, api, world, live_server):
    pair = world.drive_to("active")
    final = (date.today() + timedelta(days=7)).isoformat()
    proposal = api.trigger(pair["id"], "begin_closure", final_session_on=final).get_json()
    responses = _race(
        live_server,
        world.approver.token,
        f"/api/v1/proposals/{proposal['proposal']['id']}/approve",
        {},
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (RACERS - 1)
    losers = [r.json() for r in responses if r.status_code == 409]
    assert {p["type"] for p in losers} == {"/problems/proposal-already-decided"}
    assert all(p["decided_by"]["kind"] == "token" for p in losers)
    with app.app_context():
        history = db.session.scalars(
            sa.select(TransitionRecord.to_state).where(TransitionRecord.pair_id == pair["id"])
        ).all()
        assert history.count("closing") == 1


def test_a_rejection_racing_a_transition_that_supersedes_it_gets_a_clear_answer(
    app, api, world, monkeypatch
):
    """Both paths lock the pair before its proposals. Were the order reversed, this
    interleaving would deadlock on PostgreSQL and one side would get a 500."""
    from service.approvals import proposals as approvals

    pair = world.drive_to("at_risk")
    proposal = api.trigger(pair["id"], "rematch", mentor_id=world.mentors[1]["id"]).get_json()
    api.ok("post", f"/pairs/{pair['id']}/interventions", {"description": "Talked"})
    supersede = approvals.supersede_stale

    def slow_supersede(**kwargs):
        time.sleep(0.6)  # the transition holds its locks while the rejection arrives
        return supersede(**kwargs)

    monkeypatch.setattr(approvals, "supersede_stale", slow_supersede)
    headers = {"Authorization": f"Bearer {api.token}"}
    answers = {}

    def resolve() -> None:
        answers["resolve"] = app.test_client().post(
            f"/api/v1/pairs/{pair['id']}/transitions", json={"trigger": "resolve"}, headers=headers
        )

    def reject() -> None:
        time.sleep(0.2)
        answers["reject"] = app.test_client().post(
            f"/api/v1/proposals/{proposal['proposal']['id']}/reject",
            json={"reason": "Not now"},
            headers=headers,
        )

    threads = [threading.Thread(target=resolve), threading.Thread(target=reject)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers["resolve"].status_code == 200, answers["resolve"].get_json()
    assert answers["reject"].status_code == 409, answers["reject"].get_json()
    assert answers["reject"].get_json()["proposal_status"] == "superseded"
