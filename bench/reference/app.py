"""The reference for bench/requests_per_second.py: the same units of work, done minimally.

    DATABASE_URL=... SECRET_KEY=... gunicorn bench.reference.app:app

Not part of the product, and not a toy either: each route does what Pairwise must do for the
request, correctly, and nothing else, with Flask, SQLAlchemy Core and the same database and
gunicorn settings. What Pairwise costs above it is what its structure costs.

- `POST /api/v1/pairs/<id>/transitions` (`flag_risk` only: active → at_risk): the bearer
  token found by its SHA-256 digest (one indexed read) and its scope checked; then one
  transaction: a compare-and-set of the pair's state that also bumps its version and event
  sequence (`UPDATE … WHERE state = 'active' RETURNING`), the transition record and the
  outbox event inserted; the answer is JSON built from what is in hand.
- `POST /s/<token>`: the signed link checked, the invitation with its survey version,
  participant, program and pair in one query, the Flask-WTF form (CSRF included) validated;
  then one transaction: the invitation used up with a compare-and-set, the response
  inserted, the answer rules run with the pair's rating history (one query), signals
  inserted if any, the outbox event (sequence bumped in the same statement that reads it),
  the calendar's contact marked answered; a 303 to the thank-you page.
- `GET /s/<token>`: the form's CSRF token and session cookie (the load generator reads them
  once per client), and `GET /` for gunicorn's readiness check.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, jsonify, redirect, render_template_string, request
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer

from surveys.definition import SurveyDefinition, parse
from surveys.forms import answers_from, form_class
from workflows import rules
from workflows.signals import SIGNALS

URL = os.environ["DATABASE_URL"]
for _prefix in ("postgres://", "postgresql://"):
    if URL.startswith(_prefix):
        URL = "postgresql+psycopg://" + URL[len(_prefix) :]
engine = sa.create_engine(URL)
POSTGRESQL = engine.dialect.name == "postgresql"

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
links = URLSafeSerializer(app.config["SECRET_KEY"], salt="pairwise-survey-invitation")

# The tables, as far as these routes touch them.
tokens = sa.table(
    "api_tokens",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("token_hash", sa.String),
    sa.column("scopes", sa.JSON),
    sa.column("revoked_at", sa.DateTime),
)
pairs = sa.table(
    "pairs",
    *(sa.column(name, sa.Integer) for name in ("id", "program_id", "mentee_id", "mentor_id")),
    *(sa.column(name, sa.Integer) for name in ("version", "event_sequence")),
    *(sa.column(name, sa.Integer) for name in ("predecessor_id", "successor_id")),
    sa.column("state", sa.String),
    sa.column("state_changed_at", sa.DateTime),
)
records = sa.table(
    "transition_records",
    sa.column("id", sa.Integer),
    sa.column("pair_id", sa.Integer),
    sa.column("sequence", sa.Integer),
    *(sa.column(name, sa.String) for name in ("trigger", "from_state", "to_state", "reason")),
    *(sa.column(f"actor_{part}", sa.String) for part in ("kind", "id", "label")),
    sa.column("signals", sa.JSON),
    sa.column("details", sa.JSON),
    sa.column("created_at", sa.DateTime),
)
outbox = sa.table(
    "outbox_events",
    sa.column("event_id", sa.String),
    sa.column("type", sa.String),
    sa.column("pair_id", sa.Integer),
    sa.column("pair_sequence", sa.Integer),
    sa.column("payload", sa.JSON),
    sa.column("occurred_at", sa.DateTime),
)
invitations = sa.table(
    "invitations",
    *(sa.column(name, sa.Integer) for name in ("id", "survey_version_id", "participant_id")),
    sa.column("pair_id", sa.Integer),
    sa.column("nonce", sa.String),
    sa.column("expires_at", sa.DateTime),
    sa.column("used_at", sa.DateTime),
)
versions = sa.table(
    "survey_versions", sa.column("id", sa.Integer), sa.column("definition", sa.JSON)
)
participants = sa.table(
    "participants",
    sa.column("id", sa.Integer),
    sa.column("program_id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("guardian_of_id", sa.Integer),
)
programs = sa.table(
    "programs",
    sa.column("id", sa.Integer),
    sa.column("rating_drop_threshold", sa.Integer),
    sa.column("rating_divergence_gap", sa.Integer),
)
responses = sa.table(
    "survey_responses",
    sa.column("id", sa.Integer),
    *(sa.column(name, sa.Integer) for name in ("invitation_id", "survey_version_id")),
    *(sa.column(name, sa.Integer) for name in ("participant_id", "pair_id", "pulse_rating")),
    *(sa.column(name, sa.String) for name in ("survey_key", "purpose", "respondent_role")),
    sa.column("answers", sa.JSON),
    sa.column("submitted_at", sa.DateTime),
)
signals = sa.table(
    "signals",
    sa.column("pair_id", sa.Integer),
    *(sa.column(name, sa.String) for name in ("code", "category", "source", "source_id")),
    sa.column("question", sa.String),
    sa.column("raised_at", sa.DateTime),
)
contacts = sa.table(
    "contacts",
    sa.column("invitation_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("done_at", sa.DateTime),
    sa.column("next_reminder_at", sa.DateTime),
)


def now() -> datetime:
    """UTC: aware for PostgreSQL's timestamptz, naive for SQLite, as Pairwise stores them."""
    moment = datetime.now(UTC)
    return moment if POSTGRESQL else moment.replace(tzinfo=None)


def event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def problem(status: int, title: str):
    answer = jsonify(type=f"about:blank#{title}", title=title, status=status)
    answer.status_code, answer.content_type = status, "application/problem+json"
    return answer


@app.get("/")
def ready() -> str:
    return "ok"


# -- a transition --------------------------------------------------------------------------

TOKEN = sa.select(tokens.c.id, tokens.c.name, tokens.c.scopes, tokens.c.revoked_at).where(
    tokens.c.token_hash == sa.bindparam("digest")
)
FLAG_RISK = ("flag_risk", "active", "at_risk")


@app.post("/api/v1/pairs/<int:pair_id>/transitions")
def transition(pair_id: int):
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw:
        return problem(401, "unauthorized")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("trigger") != FLAG_RISK[0]:
        return problem(422, "validation-error")
    raised = body.get("signals", [])
    if not isinstance(raised, list) or not all(code in SIGNALS for code in raised) or not raised:
        return problem(422, "validation-error")
    trigger, from_state, to_state = FLAG_RISK
    moment = now()
    with engine.begin() as connection:
        token = connection.execute(
            TOKEN, {"digest": hashlib.sha256(raw.encode()).hexdigest()}
        ).one_or_none()
        if token is None or token.revoked_at is not None:
            return problem(401, "unauthorized")
        if not {"pairs:write", "admin"} & set(token.scopes):
            return problem(403, "forbidden")
        pair = connection.execute(
            sa.update(pairs)
            .where(pairs.c.id == pair_id, pairs.c.state == from_state)
            .values(
                state=to_state,
                version=pairs.c.version + 1,
                event_sequence=pairs.c.event_sequence + 1,
                state_changed_at=moment,
            )
            .returning(*pairs.c)
        ).one_or_none()
        if pair is None:
            connection.rollback()
            return problem(409, "trigger-not-allowed")
        record = {
            "pair_id": pair_id,
            "sequence": pair.version,
            "trigger": trigger,
            "from_state": from_state,
            "to_state": to_state,
            "actor_kind": "token",
            "actor_id": str(token.id),
            "actor_label": token.name,
            "reason": body.get("reason"),
            "signals": raised,
            "details": {},
            "created_at": moment,
        }
        record_id = connection.execute(
            sa.insert(records).values(record).returning(records.c.id)
        ).scalar_one()
        pair_ref = {
            "id": pair.id,
            "program_id": pair.program_id,
            "state": pair.state,
            "mentee_id": pair.mentee_id,
            "mentor_id": pair.mentor_id,
            "predecessor_id": pair.predecessor_id,
            "successor_id": pair.successor_id,
            "links": {"self": f"/api/v1/pairs/{pair.id}"},
        }
        occurred = moment.isoformat()
        transition_ref = {
            "sequence": pair.version,
            "trigger": trigger,
            "from": from_state,
            "to": to_state,
            "actor_kind": "token",
            "signals": raised,
            "proposal_id": None,
            "occurred_at": occurred,
            "links": {"history": f"/api/v1/pairs/{pair_id}/history"},
        }
        connection.execute(
            sa.insert(outbox).values(
                event_id=event_id(),
                type="pair.transitioned",
                pair_id=pair_id,
                pair_sequence=pair.event_sequence,
                payload={"pair": pair_ref, "transition": transition_ref},
                occurred_at=moment,
            )
        )
    return jsonify(
        outcome="applied",
        pair={**pair_ref, "version": pair.version, "state_changed_at": occurred},
        transition={**transition_ref, "id": record_id, "reason": record["reason"]},
        proposal=None,
    )


# -- a survey submission -------------------------------------------------------------------

INVITATION = (
    sa.select(
        invitations,
        versions.c.definition,
        participants.c.role,
        participants.c.guardian_of_id,
        programs.c.rating_drop_threshold,
        programs.c.rating_divergence_gap,
        pairs.c.mentee_id,
        pairs.c.mentor_id,
    )
    .join(versions, versions.c.id == invitations.c.survey_version_id)
    .join(participants, participants.c.id == invitations.c.participant_id)
    .join(programs, programs.c.id == participants.c.program_id)
    .outerjoin(pairs, pairs.c.id == invitations.c.pair_id)
    .where(invitations.c.id == sa.bindparam("invitation_id"))
)
_forms: dict[int, tuple[SurveyDefinition, type[FlaskForm]]] = {}


def _survey(version_id: int, data: dict[str, Any]) -> tuple[SurveyDefinition, type[FlaskForm]]:
    if version_id not in _forms:
        definition = parse(data, source=f"version {version_id}")
        _forms[version_id] = definition, form_class(definition)
    return _forms[version_id]


def _invitation(connection: sa.Connection, token: str):
    try:
        invitation_id, nonce = links.loads(token)
    except (BadSignature, ValueError, TypeError):
        abort(400)
    found = connection.execute(INVITATION, {"invitation_id": invitation_id}).one_or_none()
    if found is None or found.nonce != nonce:
        abort(400)
    expires = found.expires_at if found.expires_at.tzinfo else found.expires_at.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        abort(410)
    return found


def _role(found) -> str:
    if found.participant_id == found.mentee_id:
        return "mentee"
    if found.participant_id == found.mentor_id:
        return "mentor"
    return found.role


def _history(connection: sa.Connection, pair_id: int, participant_id: int, role: str):
    """The respondent's previous rating and the other side's latest, in one query."""

    def latest(condition) -> sa.ScalarSelect:
        return (
            sa.select(responses.c.pulse_rating)
            .where(responses.c.pair_id == pair_id, responses.c.pulse_rating.is_not(None), condition)
            .order_by(responses.c.submitted_at.desc(), responses.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    other = {"mentee": "mentor", "mentor": "mentee"}.get(role, "")
    row = connection.execute(
        sa.select(
            latest(responses.c.participant_id == participant_id),
            latest(responses.c.respondent_role == other),
        )
    ).one()
    return rules.RatingHistory(previous_own=row[0], latest_other=row[1] if other else None)


ALREADY = "We already have your answers."
PAGE = '<form method="post">{{ form.csrf_token }}</form>'


@app.route("/s/<token>", methods=["GET", "POST"])
def survey(token: str):
    with engine.begin() as connection:
        found = _invitation(connection, token)
        if found.used_at is not None:
            return ALREADY
        definition, form_type = _survey(found.survey_version_id, found.definition)
        form = form_type()
        if request.method == "GET" or not form.validate():
            return render_template_string(PAGE, form=form), 200 if request.method == "GET" else 422
        answers = answers_from(form, definition)
        moment = now()
        used = connection.execute(
            sa.update(invitations)
            .where(invitations.c.id == found.id, invitations.c.used_at.is_(None))
            .values(used_at=moment)
        )
        if used.rowcount != 1:
            return ALREADY
        role = _role(found)
        pulse = next(
            (int(answers[t.question]) for t in definition.trends if answers.get(t.question)), None
        )
        response_id = connection.execute(
            sa.insert(responses)
            .values(
                invitation_id=found.id,
                survey_version_id=found.survey_version_id,
                survey_key=definition.key,
                purpose=definition.purpose,
                participant_id=found.participant_id,
                respondent_role=role,
                pair_id=found.pair_id,
                answers=answers,
                pulse_rating=pulse,
                submitted_at=moment,
            )
            .returning(responses.c.id)
        ).scalar_one()
        if found.pair_id is not None:
            raised = rules.signals_from_answers(definition, answers)
            if pulse is not None:
                history = _history(connection, found.pair_id, found.participant_id, role)
                raised += rules.trend_signals(
                    definition,
                    answers,
                    history,
                    drop_threshold=found.rating_drop_threshold,
                    divergence_gap=found.rating_divergence_gap,
                )
            if raised:
                connection.execute(
                    sa.insert(signals),
                    [
                        {
                            "pair_id": found.pair_id,
                            "code": signal.code,
                            "category": str(SIGNALS[signal.code].category),
                            "source": "survey",
                            "source_id": str(response_id),
                            "question": signal.question,
                            "raised_at": moment,
                        }
                        for signal in raised
                    ],
                )
            sequence = connection.execute(
                sa.update(pairs)
                .where(pairs.c.id == found.pair_id)
                .values(event_sequence=pairs.c.event_sequence + 1)
                .returning(pairs.c.event_sequence)
            ).scalar_one()
            reference = {
                "id": response_id,
                "survey": definition.key,
                "purpose": definition.purpose,
                "respondent_role": role,
                "pair_id": found.pair_id,
                "participant_id": found.participant_id,
                "submitted_at": moment.isoformat(),
                "links": {"self": f"/api/v1/responses/{response_id}"},
            }
            connection.execute(
                sa.insert(outbox).values(
                    event_id=event_id(),
                    type="survey.submitted",
                    pair_id=found.pair_id,
                    pair_sequence=sequence,
                    payload={"response": reference},
                    occurred_at=moment,
                )
            )
        connection.execute(
            sa.update(contacts)
            .where(contacts.c.invitation_id == found.id)
            .values(status="answered", done_at=moment, next_reminder_at=None)
        )
    return redirect(f"/s/{token}/received", code=303)
