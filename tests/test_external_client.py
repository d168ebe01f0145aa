"""An external service with an API token and the OpenAPI document drives pairs end to end,
over real HTTP, against the app served by gunicorn."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

pytestmark = pytest.mark.slow


class ExternalClient:
    """Knows only the base URL, its token and what the OpenAPI document says. Proposals it
    files are approved by another service's token (four eyes)."""

    def __init__(self, base_url: str, token: str, approver_token: str) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        self.approver = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {approver_token}"}, timeout=30
        )
        self.spec = self.http.get("/api/v1/openapi.json").json()

    def call(
        self,
        method: str,
        template: str,
        body: dict | None = None,
        *,
        http: httpx.Client | None = None,
        **path,
    ) -> httpx.Response:
        operation = self.spec["paths"][template][method]  # KeyError: not documented
        response = (http or self.http).request(method, template.format(**path), json=body)
        assert str(response.status_code) in operation["responses"], (
            f"{method.upper()} {template} answered {response.status_code}, "
            "which the OpenAPI document does not list"
        )
        return response

    def create(self, template: str, body: dict) -> dict:
        response = self.call("post", template, body)
        assert response.status_code == 201, response.json()
        return response.json()

    def trigger(self, pair_id: int, trigger: str, expect: int = 200, **fields) -> dict:
        response = self.call(
            "post",
            "/api/v1/pairs/{pair_id}/transitions",
            {"trigger": trigger, **fields},
            pair_id=pair_id,
        )
        assert response.status_code == expect, response.json()
        return response.json()

    def approve(self, proposal_id: int) -> dict:
        response = self.call(
            "post",
            "/api/v1/proposals/{proposal_id}/approve",
            {},
            http=self.approver,
            proposal_id=proposal_id,
        )
        assert response.status_code == 200, response.json()
        return response.json()


@pytest.fixture
def external(live_server, make_token) -> ExternalClient:
    return ExternalClient(
        live_server,
        make_token("admin", name="crm"),
        make_token("pairs:read", "proposals:decide", name="coordinators-app"),
    )


def _person(client: ExternalClient, program_id: int, role: str, name: str) -> dict:
    person = client.create(
        "/api/v1/participants",
        {
            "program_id": program_id,
            "role": role,
            "full_name": name,
            "email": f"{name.lower()}@example.org",
        },
    )
    sessions = {
        "mentor": ["mentor_orientation", "joint_workshop"],
        "mentee": ["mentee_orientation", "joint_workshop"],
    }[role]
    for session in sessions:
        recorded = client.call(
            "post",
            "/api/v1/participants/{participant_id}/training",
            {"session": session, "completed_on": date.today().isoformat()},
            participant_id=person["id"],
        )
        assert recorded.status_code == 201
    return person


def _to_active(client: ExternalClient, program_id: int, mentee: dict, mentor: dict) -> int:
    pair = client.create("/api/v1/pairs", {"program_id": program_id, "mentee_id": mentee["id"]})
    assert pair["state"] == "recruited"
    assert client.trigger(pair["id"], "match", mentor_id=mentor["id"])["pair"]["state"] == "matched"
    for role in ("mentor", "mentee"):
        client.call(
            "post", "/api/v1/pairs/{pair_id}/acceptances", {"role": role}, pair_id=pair["id"]
        )
    assert client.trigger(pair["id"], "start_training")["pair"]["state"] == "training"
    assert client.trigger(pair["id"], "activate")["pair"]["state"] == "active"
    return pair["id"]


def test_a_pair_goes_from_recruited_to_closed_through_a_risk_episode(external):
    program = external.create("/api/v1/programs", {"name": "Northside Mentoring"})
    mentor = _person(external, program["id"], "mentor", "Mira")
    mentee = _person(external, program["id"], "mentee", "Theo")
    pair_id = _to_active(external, program["id"], mentee, mentor)

    at_risk = external.trigger(pair_id, "flag_risk", signals=["missed_meetings"])
    assert at_risk["pair"]["state"] == "at_risk"
    external.call(
        "post",
        "/api/v1/pairs/{pair_id}/interventions",
        {"description": "Called both, agreed a slot", "approach": "pair"},
        pair_id=pair_id,
    )
    assert external.trigger(pair_id, "resolve")["pair"]["state"] == "active"

    final = (date.today() + timedelta(days=14)).isoformat()
    proposed = external.trigger(pair_id, "begin_closure", expect=202, final_session_on=final)
    assert external.approve(proposed["proposal"]["id"])["pair"]["state"] == "closing"
    external.call(
        "post",
        "/api/v1/pairs/{pair_id}/meetings",
        {
            # Held today, earlier than planned: a held meeting cannot be in the future.
            "occurred_at": datetime.now(UTC).isoformat(),
            "status": "held",
            "duration_minutes": 90,
            "attendees": ["mentor", "mentee"],
            "is_final_session": True,
            "activities": "Celebration",
        },
        pair_id=pair_id,
    )
    closed = external.trigger(pair_id, "close")["pair"]
    assert (closed["state"], closed["closure_reason"]) == ("closed", "completed")

    history = external.call("get", "/api/v1/pairs/{pair_id}/history", pair_id=pair_id).json()
    assert [h["to"] for h in history["items"]] == [
        "matched",
        "training",
        "active",
        "at_risk",
        "active",
        "closing",
        "closed",
    ]
    assert [h["sequence"] for h in history["items"]] == list(range(1, 8))


def test_a_pair_at_risk_is_rematched_and_its_successor_starts_matched(external):
    program = external.create("/api/v1/programs", {"name": "Eastside Mentoring"})
    first_mentor = _person(external, program["id"], "mentor", "Ada")
    new_mentor = _person(external, program["id"], "mentor", "Ben")
    mentee = _person(external, program["id"], "mentee", "Cleo")
    pair_id = _to_active(external, program["id"], mentee, first_mentor)
    external.trigger(pair_id, "flag_risk", signals=["no_chemistry"])

    proposed = external.trigger(pair_id, "rematch", expect=202, mentor_id=new_mentor["id"])
    result = external.approve(proposed["proposal"]["id"])
    assert result["pair"]["state"] == "rematched"
    successor = external.call(
        "get", "/api/v1/pairs/{pair_id}", pair_id=result["pair"]["successor_id"]
    ).json()
    assert successor["state"] == "matched"
    assert (successor["mentor_id"], successor["mentee_id"]) == (new_mentor["id"], mentee["id"])
    assert successor["predecessor_id"] == pair_id

    # Every trigger the new state does not allow is a 409 problem.
    refused = external.trigger(pair_id, "resolve", expect=409)
    assert refused["type"] == "/problems/trigger-not-allowed"
    assert refused["allowed_triggers"] == []
