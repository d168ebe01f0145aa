"""Helpers that let tests read as a specification: an API client and a small world."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from werkzeug.test import TestResponse


class Api:
    """The test client, authenticated, rooted at /api/v1."""

    def __init__(self, client, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(f"/api/v1{path}", headers=self._headers(), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.post(f"/api/v1{path}", json=json, headers=self._headers(), **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.patch(f"/api/v1{path}", json=json, headers=self._headers(), **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.put(f"/api/v1{path}", json=json, headers=self._headers(), **kwargs)

    def ok(self, method: str, path: str, json: Any = None, status: int | None = None) -> Any:
        """Call and insist on success, showing the problem document if there is none."""
        response = (
            getattr(self, method)(path, json=json)
            if json is not None
            else getattr(self, method)(path)
        )
        expected = {status} if status else {200, 201, 202}
        assert response.status_code in expected, (response.status_code, response.get_json())
        return response.get_json()

    def colleague(self, *scopes: str) -> Api:
        """Another service's token on the same client: four eyes, someone else approves."""
        from service.tokens import service as tokens

        with self.client.application.app_context():
            _, raw = tokens.create(
                name=f"colleague-{secrets.token_hex(3)}",
                scopes=scopes or ("pairs:read", "proposals:decide"),
            )
        return Api(self.client, raw)

    def trigger(self, pair_id: int, trigger: str, **fields: Any) -> TestResponse:
        return self.post(f"/pairs/{pair_id}/transitions", {"trigger": trigger, **fields})


def service_api(app) -> Api:
    """A new test client holding a token with every scope but admin, as a connected service
    holds one (the `api` fixture, for set-ups that outlive one test)."""
    from service.tokens import service as tokens
    from service.tokens.service import SCOPES

    with app.app_context():
        _, raw = tokens.create(
            name=f"token-{secrets.token_hex(3)}", scopes=tuple(s for s in SCOPES if s != "admin")
        )
    return Api(app.test_client(), raw)


_PATHS = {
    "recruited": [],
    "matched": ["matched"],
    "training": ["matched", "training"],
    "active": ["matched", "training", "active"],
    "at_risk": ["matched", "training", "active", "at_risk"],
    "closing": ["matched", "training", "active", "closing"],
}


def _person(program_id: int, role: str) -> dict[str, Any]:
    return {
        "program_id": program_id,
        "role": role,
        "full_name": f"{role.title()} {secrets.token_hex(2)}",
        "email": f"{role}-{secrets.token_hex(4)}@example.org",
    }


class _Schemas:
    """The API's schemas, built once (a marshmallow schema costs a millisecond to build)."""

    def __getattr__(self, name: str) -> Any:
        from service.participants.schemas import ParticipantSchema
        from service.programs.schemas import ProgramSchema

        built = {"program": ProgramSchema(), "participant": ParticipantSchema()}
        self.__dict__.update(built)
        return built[name]


_SCHEMAS = _Schemas()


@dataclass
class World:
    """One program with mentors and mentees who completed their orientation."""

    api: Api
    program: dict
    mentors: list[dict] = field(default_factory=list)
    mentees: list[dict] = field(default_factory=list)
    _approver: Api | None = None

    @classmethod
    def build(cls, api: Api, *, mentors: int = 3, mentees: int = 3, **program: Any) -> World:
        """The program through its service; its trained people as rows added at once, as
        `participants.create` and `training.record` store them (set-up, not a test of those
        services or of the API), in one transaction, returned as the API shows them."""
        from service.database import db, unit_of_work
        from service.participants import service as participants
        from service.participants.models import Participant
        from service.programs import service as programs
        from service.training.models import TrainingRecord

        settings = {"name": f"Program {secrets.token_hex(2)}", **program}
        with api.client.application.test_request_context(), unit_of_work():
            created = programs.create(**_SCHEMAS.program.load(settings))
            world = cls(api, _SCHEMAS.program.dump(created))
            roles = ["mentor"] * mentors + ["mentee"] * mentees
            people = [
                Participant(**_SCHEMAS.participant.load(_person(created.id, role)))
                for role in roles
            ]
            db.session.add_all(people)
            db.session.flush()
            required = world.program["required_training"]
            db.session.add_all(
                TrainingRecord(
                    participant_id=person.id,
                    session=session,
                    completed_on=date.today(),
                    topics=[],
                )
                for person in people
                for session in required.get(person.role, [])
            )
            participants.annotate_waiting(people)
            for person in people:
                getattr(world, f"{person.role}s").append(_SCHEMAS.participant.dump(person))
        return world

    def add_participant(self, role: str, *, trained: bool = False, **fields: Any) -> dict:
        body = {**_person(self.program["id"], role), **fields}
        participant = self.api.ok("post", "/participants", body)
        if trained:
            for session in self.program["required_training"].get(role, []):
                self.record_training(participant["id"], session)
        return participant

    def record_training(self, participant_id: int, session: str, pair_id: int | None = None):
        body = {"session": session, "completed_on": date.today().isoformat()}
        if pair_id is not None:
            body["pair_id"] = pair_id
        return self.api.ok("post", f"/participants/{participant_id}/training", body)

    def new_pair(self, mentee_index: int = 0) -> dict:
        body = {"program_id": self.program["id"], "mentee_id": self.mentees[mentee_index]["id"]}
        return self.api.ok("post", "/pairs", body)

    def pair(self, pair_id: int) -> dict:
        return self.api.ok("get", f"/pairs/{pair_id}")

    def accept_introduction(self, pair_id: int) -> None:
        for role in ("mentor", "mentee"):
            self.api.ok("post", f"/pairs/{pair_id}/acceptances", {"role": role})

    def log_meeting(self, pair_id: int, **fields: Any) -> dict:
        body = {
            "occurred_at": "2026-11-20T16:00:00+00:00",
            "status": "held",
            "duration_minutes": 60,
            "attendees": ["mentor", "mentee"],
            **fields,
        }
        return self.api.ok("post", f"/pairs/{pair_id}/meetings", body)

    @property
    def approver(self) -> Api:
        """The token that approves what `api` proposes (never the one that filed it)."""
        if self._approver is None:
            self._approver = self.api.colleague()
        return self._approver

    def approve(self, proposal_id: int, **fields: Any) -> dict:
        return self.approver.ok("post", f"/proposals/{proposal_id}/approve", fields)

    def drive_to(self, state: str, mentee_index: int = 0, mentor_index: int = 0) -> dict:
        """A pair walked through the API to `state` (one of the states on the main path),
        its calendar drawn for that state (read once, as the sweep would redraw it)."""
        pair = self.new_pair(mentee_index)
        for step in _PATHS[state]:
            pair = self._step(pair, step, mentor_index)
        calendar = self.api.get(f"/pairs/{pair['id']}/calendar")
        assert calendar.status_code == 200, calendar.get_json()
        return pair

    def _step(self, pair: dict, step: str, mentor_index: int) -> dict:
        pair_id = pair["id"]
        if step == "matched":
            result = self.api.trigger(pair_id, "match", mentor_id=self.mentors[mentor_index]["id"])
        elif step == "training":
            self.accept_introduction(pair_id)
            result = self.api.trigger(pair_id, "start_training")
        elif step == "active":
            result = self.api.trigger(pair_id, "activate")
        elif step == "at_risk":
            result = self.api.trigger(pair_id, "flag_risk", signals=["missed_meetings"])
        else:
            final = (date.today() + timedelta(days=7)).isoformat()
            proposed = self.api.trigger(pair_id, "begin_closure", final_session_on=final)
            assert proposed.status_code == 202, proposed.get_json()
            return self.approve(proposed.get_json()["proposal"]["id"])["pair"]
        assert result.status_code == 200, result.get_json()
        return result.get_json()["pair"]


class SurveyTaker:
    """A participant with a link, answering through the real pages (CSRF token and all)."""

    def __init__(self, client, url: str) -> None:
        self.client = client
        self.path = url.split("://", 1)[1].split("/", 1)[1]
        self.path = "/" + self.path

    def open(self) -> TestResponse:
        return self.client.get(self.path)

    def csrf_token(self) -> str:
        import re

        page = self.open().get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert match, "the survey page has no CSRF token"
        return match.group(1)

    def submit(self, answers: dict[str, Any], *, token: str | None = None) -> TestResponse:
        data = {"csrf_token": token or self.csrf_token(), **answers}
        return self.client.post(self.path, data=data)


CALM_MENTEE_CHECKIN = {
    "meetings_held": "3",
    "meetings_missed": "0",
    "relationship_rating": "8",
    "progress_on_actions": "yes",
    "talking_balance": "even",
    "feels_unsafe": "no",
}


def invite(api: Api, survey_key: str, participant_id: int, pair_id: int | None = None, **extra):
    body = {"survey_key": survey_key, "participant_id": participant_id, **extra}
    if pair_id is not None:
        body["pair_id"] = pair_id
    return api.ok("post", "/invitations", body, status=201)
