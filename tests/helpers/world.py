"""Helpers that let tests read as a specification: an API client and a small world."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import g
from werkzeug.test import TestResponse

from service.actors import Actor
from service.approvals import decisions
from service.auth import actor_of_token
from service.calendar import schedule
from service.observability.logs import request_id_context
from service.pairs import lifecycle
from service.pairs import service as pairs
from service.pairs.facts import TransitionRequest
from tests.helpers.forms import csrf_token_in


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
        from service.pairs.schemas import PairSchema, TransitionRequestSchema
        from service.participants.schemas import ParticipantSchema
        from service.programs.schemas import ProgramSchema

        built = {
            "program": ProgramSchema(),
            "participant": ParticipantSchema(),
            "pair": PairSchema(),
            "transition": TransitionRequestSchema(),
        }
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

    @contextmanager
    def _as(self, api: Api) -> Iterator[Actor]:
        """What one API request with `api`'s token does around its view, without the HTTP: a
        request context (in the app context already pushed, the test's or `drive_to`'s, as a
        request's would be, else in one of its own with its own database session), a request
        id for the events written, and the token resolved to its actor as the API resolves it
        (its use recorded), once per app context, as the API keeps a request's actor in `g`."""
        app = self.api.client.application
        with app.test_request_context(), request_id_context(uuid.uuid4().hex):
            actors = g.setdefault("world_actors", {})
            if api.token not in actors:
                actors[api.token] = actor_of_token(api.token or "")
            actor = actors[api.token]
            assert actor is not None, "the world's token is unknown or revoked"
            yield actor

    def new_pair(self, mentee_index: int = 0) -> dict:
        """A `recruited` pair for the mentee, made by the service `POST /pairs` calls (set-up,
        not a test of that endpoint), returned as the API shows it."""
        with self._as(self.api) as actor:
            pair = pairs.create(
                program_id=self.program["id"],
                mentee_id=self.mentees[mentee_index]["id"],
                actor=actor,
            )
            return _SCHEMAS.pair.dump(pair)

    def pair(self, pair_id: int) -> dict:
        return self.api.ok("get", f"/pairs/{pair_id}")

    def accept_introduction(self, pair_id: int) -> None:
        """The mentor and the mentee accept, as `POST /pairs/{id}/acceptances` records it."""
        for role in ("mentor", "mentee"):
            with self._as(self.api) as actor:
                pairs.accept_introduction(pair_id=pair_id, role=role, actor=actor)

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
        """A pair walked to `state` (one of the states on the main path) by the services the
        API's endpoints call, as the world's token (a closure approved by a colleague's), its
        calendar drawn for that state as reading it draws it (as the sweep would redraw it).
        Set-up, not a test of the API: what it writes is what those requests write."""
        # One app context for every step (or the test's own, as a request would use it).
        with self.api.client.application.test_request_context():
            pair = self.new_pair(mentee_index)
            for step in _PATHS[state]:
                pair = self._step(pair, step, mentor_index)
            with self._as(self.api):
                schedule.bring_up_to_date(pair["id"])
        return pair

    def _step(self, pair: dict, step: str, mentor_index: int) -> dict:
        pair_id = pair["id"]
        if step == "matched":
            return self._transition(pair_id, "match", mentor_id=self.mentors[mentor_index]["id"])
        if step == "training":
            self.accept_introduction(pair_id)
            return self._transition(pair_id, "start_training")
        if step == "active":
            return self._transition(pair_id, "activate")
        if step == "at_risk":
            return self._transition(pair_id, "flag_risk", signals=["missed_meetings"])
        final = (date.today() + timedelta(days=7)).isoformat()
        return self._transition(pair_id, "begin_closure", proposed=True, final_session_on=final)

    def _transition(self, pair_id: int, trigger: str, *, proposed: bool = False, **fields) -> dict:
        """`POST /pairs/{id}/transitions` through the lifecycle's service, the body read by
        the API's schema; a trigger that files a proposal (`proposed`) is approved by the
        approver, as `POST /proposals/{id}/approve` would. The pair as the API answers it."""
        with self._as(self.api) as actor:
            body = _SCHEMAS.transition.load({"trigger": trigger, **fields})
            request = TransitionRequest.from_body(body)
            outcome = lifecycle.request_transition(pair_id=pair_id, request=request, actor=actor)
            assert outcome.applied is not proposed, (trigger, outcome)
            if outcome.applied:
                return _SCHEMAS.pair.dump(outcome.pair)
            assert outcome.proposal is not None
            proposal_id = outcome.proposal.id
        with self._as(self.approver) as approver:
            approved = decisions.approve(proposal_id=proposal_id, actor=approver)
            return _SCHEMAS.pair.dump(approved.pair)


class SurveyTaker:
    """A participant with a link, answering through the real pages (CSRF token and all)."""

    def __init__(self, client, url: str) -> None:
        self.client = client
        self.path = url.split("://", 1)[1].split("/", 1)[1]
        self.path = "/" + self.path

    def open(self) -> TestResponse:
        return self.client.get(self.path)

    def csrf_token(self) -> str:
        return csrf_token_in(self.open().get_data(as_text=True), "the survey page")

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
