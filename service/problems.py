"""RFC 7807 problem details: one catalogue of stable problem types, and the error handlers.

A client branches on `type`, never on `title` or `detail`. Each type is dereferenceable:
GET /problems/<slug> describes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, NotFound

from service.encryption import SecretUnreadable
from service.web.credentials import loggable_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    description: str

    @property
    def uri(self) -> str:
        return f"/problems/{self.slug}"


def _types(*types: ProblemType) -> dict[str, ProblemType]:
    return {problem.slug: problem for problem in types}


PROBLEM_TYPES = _types(
    ProblemType(
        "malformed-request",
        400,
        "Malformed request",
        "The body is not valid JSON, or the request cannot be read.",
    ),
    ProblemType(
        "unauthorized",
        401,
        "Authentication required",
        "Send a valid API token as 'Authorization: Bearer <token>'.",
    ),
    ProblemType(
        "forbidden",
        403,
        "Not allowed",
        "The credentials are valid but lack the scope or role this needs.",
    ),
    ProblemType("not-found", 404, "Not found", "No such resource, or no such URL."),
    ProblemType(
        "method-not-allowed",
        405,
        "Method not allowed",
        "This URL does not accept that HTTP method.",
    ),
    ProblemType(
        "unsupported-media-type",
        415,
        "Unsupported media type",
        "Send request bodies as application/json.",
    ),
    ProblemType(
        "validation-error",
        422,
        "Invalid request",
        "A field is missing, unknown, of the wrong type or out of range; `errors` lists each one.",
    ),
    ProblemType(
        "trigger-not-allowed",
        409,
        "Trigger not allowed in this state",
        "The pair's current state has no such transition; `allowed_triggers` "
        "lists what it accepts now.",
    ),
    ProblemType(
        "guard-failed",
        409,
        "Transition requirements not met",
        "The transition exists from this state but its requirements are not met; "
        "`requirements` lists the unmet ones.",
    ),
    ProblemType(
        "concurrent-update",
        409,
        "Changed by someone else",
        "Another request changed this resource first; read it again and retry.",
    ),
    ProblemType(
        "proposal-already-decided",
        409,
        "Proposal already decided",
        "Someone decided this proposal first; `decided_by`, `decided_at` and "
        "`proposal_status` say who, when and how.",
    ),
    ProblemType(
        "conflict",
        409,
        "Conflicts with current data",
        "The request contradicts data that already exists.",
    ),
    ProblemType(
        "webhook-url-refused",
        422,
        "Webhook URL refused",
        "Webhooks go to http or https URLs on public addresses; this one is not, or does not "
        "resolve. `detail` says why. An operator may allow-list on-premises receivers "
        "(PAIRWISE_WEBHOOK_ALLOW).",
    ),
    ProblemType(
        "inbound-signature-invalid",
        401,
        "Signature missing or invalid",
        "An inbound request must be signed with its source's secret: Standard Webhooks headers "
        "(webhook-id, webhook-timestamp, webhook-signature) or Calendly-Webhook-Signature. "
        "Nothing was recorded.",
    ),
    ProblemType(
        "inbound-replayed",
        401,
        "Signature too old",
        "The signature is valid but its timestamp is more than 5 minutes from now: a replayed "
        "or delayed request. Sign it again and resend. Nothing was recorded.",
    ),
    ProblemType(
        "inbound-duplicate",
        409,
        "Event already received",
        "This sender sent an event with this id before; it was recorded then and nothing was "
        "changed now. `inbound_event_id` names the stored event.",
    ),
    ProblemType(
        "service-unavailable",
        503,
        "Temporarily unavailable",
        "The database is unreachable or busy; nothing was changed. Retry after `Retry-After` "
        "seconds.",
    ),
    ProblemType(
        "encryption-key-missing",
        503,
        "Encryption key missing",
        "A stored secret cannot be decrypted with the configured encryption keys: an operator "
        "must list the key it was encrypted with in PAIRWISE_ENCRYPTION_KEYS. Nothing was "
        "changed.",
    ),
    ProblemType(
        "internal-error",
        500,
        "Internal error",
        "Something failed on our side; nothing was changed. The error is logged.",
    ),
)


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(self, slug: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.type = PROBLEM_TYPES[slug]
        self.detail = detail
        self.extensions = extensions


def not_found(what: str, ident: object) -> Problem:
    return Problem("not-found", f"No {what} with id {ident}.")


def invalid(field: str, message: str, *, location: str = "json") -> Problem:
    """A 422 about one field of the request, in the same shape as schema errors."""
    return Problem(
        "validation-error",
        f"{field}: {message}.",
        errors=[{"location": location, "field": field, "message": message}],
    )


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response:
    body = {
        "type": problem.type.uri,
        "title": problem.type.title,
        "status": problem.type.status,
        "detail": problem.detail,
        "instance": request.path,
        **problem.extensions,
    }
    response = jsonify(body)
    response.status_code = problem.type.status
    response.mimetype = "application/problem+json"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _validation_errors(messages: dict[str, Any]) -> list[dict[str, str]]:
    """Flatten webargs' {location: {field: [messages]}} into a list a client can show."""
    errors: list[dict[str, str]] = []

    def walk(node: Any, location: str, path: list[str]) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, location, [*path, str(key)])
        elif isinstance(node, list) and node and all(isinstance(m, str) for m in node):
            for message in node:
                errors.append({"location": location, "field": ".".join(path), "message": message})
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, location, [*path, str(index)])
        else:
            errors.append({"location": location, "field": ".".join(path), "message": str(node)})

    for location, fields in messages.items():
        walk(fields, location, [])
    return errors


def validation_problem(messages: dict[str, Any]) -> Problem:
    """A 422 from marshmallow's messages by location, for bodies a view loads itself."""
    errors = _validation_errors(messages)
    summary = "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
    )
    return Problem("validation-error", summary or "Invalid request.", errors=errors)


_SLUG_FOR_STATUS = {
    400: "malformed-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    415: "unsupported-media-type",
    422: "validation-error",
}


def _from_http_exception(error: HTTPException) -> Problem:
    status = error.code or 500
    slug = _SLUG_FOR_STATUS.get(status, "internal-error" if status >= 500 else "malformed-request")
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        errors = _validation_errors(data["messages"])
        summary = "; ".join(
            f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
        )
        return Problem(slug, summary or PROBLEM_TYPES[slug].description, errors=errors)
    return Problem(slug, error.description or PROBLEM_TYPES[slug].description)


def _is_contention(error: OperationalError) -> bool:
    """Deadlock or serialisation failure (SQLSTATE 40P01, 40001): safe to retry."""
    return getattr(error.orig, "sqlstate", None) in ("40P01", "40001", "55P03")


def html_error(status: int, title: str, detail: str) -> tuple[str, int]:
    """The error page, for browsers."""
    return render_template("error.html", status=status, title=title, detail=detail), status


def init_app(app: Flask) -> None:
    @app.errorhandler(Problem)
    def handle_problem(problem: Problem):
        if _wants_json():
            return problem_response(problem)
        return html_error(problem.type.status, problem.type.title, problem.detail)

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        if not _wants_json():
            return html_error(error.code or 500, error.name, error.description or "")
        problem = _from_http_exception(error)
        headers = {}
        if error.code == 405 and (response := error.get_response()) is not None:
            headers["Allow"] = response.headers.get("Allow", "")
        return problem_response(problem, headers)

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(error: IntegrityError):
        # A constraint caught what a service check did not: refuse, change nothing.
        from service.database import db

        db.session.rollback()
        log.warning("integrity error on %s %s: %s", request.method, loggable_path(), error.orig)
        problem = Problem("conflict", "The change conflicts with data that already exists.")
        if _wants_json():
            return problem_response(problem)
        return html_error(409, problem.type.title, problem.detail)

    @app.errorhandler(OperationalError)
    def handle_operational_error(error: OperationalError):
        from service.database import db

        db.session.rollback()
        if _is_contention(error):
            # PostgreSQL chose this transaction as the victim of a lock conflict.
            problem = Problem(
                "concurrent-update",
                "Another request changed the same data at the same moment; nothing was "
                "changed by this one. Read it again and retry.",
            )
            headers = {}
        else:
            log.error("database unavailable on %s %s: %s", request.method, loggable_path(), error)
            problem = Problem(
                "service-unavailable", PROBLEM_TYPES["service-unavailable"].description
            )
            headers = {"Retry-After": "5"}
        if _wants_json():
            return problem_response(problem, headers)
        return html_error(problem.type.status, problem.type.title, problem.detail)

    @app.errorhandler(SecretUnreadable)
    def handle_secret_unreadable(error: SecretUnreadable):
        # The operator's to fix: say so in the log, without a traceback, and to the client.
        from service.database import db

        db.session.rollback()
        log.error("%s %s: %s", request.method, loggable_path(), error)
        problem = Problem(
            "encryption-key-missing", PROBLEM_TYPES["encryption-key-missing"].description
        )
        if _wants_json():
            return problem_response(problem)
        return html_error(problem.type.status, problem.type.title, problem.detail)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, loggable_path())
        from service.database import db

        db.session.rollback()
        problem = Problem("internal-error", PROBLEM_TYPES["internal-error"].description)
        if _wants_json():
            return problem_response(problem)
        return html_error(500, problem.type.title, problem.detail)

    app.register_blueprint(blueprint)


blueprint = Blueprint("problems", __name__)


@blueprint.get("/problems/<slug>")
def describe(slug: str):
    problem = PROBLEM_TYPES.get(slug)
    if problem is None:
        raise NotFound(f"No problem type {slug!r}.")
    return jsonify(
        type=problem.uri,
        title=problem.title,
        status=problem.status,
        description=problem.description,
    )
