"""RFC 9457 problem details (which replaced RFC 7807): one catalogue of stable problem
types, and the error handlers.

A client branches on `type`, never on `title` or `detail`. Each type is dereferenceable:
GET /problems/<slug> describes it. This is where a domain's refusal (`service.errors`)
becomes a problem document: its `problem_type` names the type, hence the status.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, NotFound

from service.database import Outcome, request_outcome, rollback
from service.encryption import SecretUnreadable
from service.errors import DomainError
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
    ProblemType(
        "self-approval",
        403,
        "Someone else approves this",
        "Whoever filed a proposal (a token, or a member of staff) may not approve it: another "
        "token with `proposals:decide`, or a coordinator, must. Rejecting one's own proposal "
        "withdraws it and is allowed. A program may allow self-approval "
        "(`allow_self_approval`).",
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
        "rate-limited",
        429,
        "Too many requests",
        "This token, source or client went over its rate limit; nothing was done. Retry after "
        "`Retry-After` seconds (also in `retry_after`).",
    ),
    ProblemType(
        "request-too-large",
        413,
        "Request too large",
        "The body is larger than the service accepts (`max_bytes`), or its JSON is nested "
        "deeper than it accepts (`max_depth`). Nothing was read or changed.",
    ),
    ProblemType(
        "idempotency-key-invalid",
        400,
        "Idempotency-Key invalid",
        "The Idempotency-Key header must be 1 to 255 visible ASCII characters, e.g. a UUID.",
    ),
    ProblemType(
        "idempotency-key-reused",
        422,
        "Idempotency-Key used for another request",
        "This Idempotency-Key was used before with another request (method, path or body). "
        "Use a new key for a new request; nothing was changed.",
    ),
    ProblemType(
        "idempotency-key-in-flight",
        409,
        "Request with this Idempotency-Key still in progress",
        "A request with this Idempotency-Key is being processed. Retry after `Retry-After` "
        "seconds to get its answer; nothing was changed by this one.",
    ),
    ProblemType(
        "service-unavailable",
        503,
        "Temporarily unavailable",
        "The database is unreachable or busy; nothing was changed. Retry after `Retry-After` "
        "seconds.",
    ),
    ProblemType(
        "outcome-unknown",
        503,
        "Outcome unknown",
        "The database failed while or after saving the change, so it may have been saved. "
        "Retry with the same Idempotency-Key to get the original answer (or to apply it, if it "
        "was not saved); without one, read the resource before retrying.",
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
        "Something failed on our side; the error is logged. `detail` says whether anything "
        "may have been saved.",
    ),
)


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self, slug: str, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail)
        self.type = PROBLEM_TYPES[slug]
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def from_domain_error(error: DomainError) -> Problem:
    """A domain's refusal as the API answers it: same type, detail and extensions."""
    return Problem(error.problem_type, error.detail, **error.extensions)


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
    413: "request-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
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


def _is_contention(error: BaseException) -> bool:
    """Deadlock or serialisation failure (SQLSTATE 40P01, 40001): safe to retry."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in ("40P01", "40001", "55P03")


def is_database_outage(error: BaseException) -> bool:
    """The database could not be reached or answer (as opposed to refusing a statement)."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _answered_by_server(error: BaseException) -> bool:
    """The server answered with an error (so it rolled the transaction back), rather than the
    connection failing with the outcome unknown (SQLSTATE class 08, or an administrator or
    crash shutdown, 57P01-57P03). SQLite runs in this process: its errors are answers."""
    orig = getattr(error, "orig", None)
    if orig is None:
        return False
    if type(orig).__module__.startswith("sqlite3"):
        return True
    sqlstate = getattr(orig, "sqlstate", None)
    if not sqlstate:
        return False
    return not (sqlstate.startswith("08") or sqlstate in _SHUTDOWN)


_SHUTDOWN = {"57P01", "57P02", "57P03"}

_OUTCOME_DETAIL = {
    Outcome.COMMITTED: "The change was saved, but the database failed before the answer "
    "was complete.",
    Outcome.COMMITTING: "The database failed while saving the change: it may or may not "
    "have been saved.",
}
_RETRY_ADVICE = (
    " Retry with the same Idempotency-Key to get the original answer (or to apply the change "
    "if it was not saved); without one, read the resource before retrying."
)
_PAGE_ADVICE = " Please check whether it was saved before trying again."
_SURVEY_ADVICE = " Open your link again: it will say so if we have your answers."


def _advice() -> str:
    if _wants_json():
        return _RETRY_ADVICE
    return _SURVEY_ADVICE if request.path.startswith("/s/") else _PAGE_ADVICE


def _outcome(error: BaseException | None) -> Outcome:
    """What the request did, as far as we know, given the error that ended it."""
    outcome = request_outcome()
    if outcome is Outcome.COMMITTING and error is not None and _answered_by_server(error):
        return Outcome.UNCHANGED  # the COMMIT itself was refused: nothing was saved
    return outcome


def database_problem(error: BaseException) -> tuple[Problem, dict[str, str]]:
    """The problem to answer for a database failure, honest about what may have been saved."""
    outcome = _outcome(error)
    if outcome is not Outcome.UNCHANGED:
        problem = Problem("outcome-unknown", _OUTCOME_DETAIL[outcome] + _advice())
        return problem, {"Retry-After": "5"}
    if _is_contention(error):
        # PostgreSQL chose this transaction as the victim of a lock conflict.
        problem = Problem(
            "concurrent-update",
            "Another request changed the same data at the same moment; nothing was "
            "changed by this one. Read it again and retry.",
        )
        return problem, {}
    return Problem("service-unavailable", PROBLEM_TYPES["service-unavailable"].description), {
        "Retry-After": "5"
    }


_TOO_LARGE_PAGE = (
    "What you sent is larger than we can receive, so nothing was saved. Please shorten the "
    "longest answers and send it again."
)

# Pages speak to people, not clients: no header names.
_PAGE_DETAIL = {
    "service-unavailable": "Pairwise cannot reach its database just now. Nothing was changed; "
    "please try again in a minute.",
}


def _answer(problem: Problem, headers: dict[str, str] | None = None):
    if _wants_json():
        return problem_response(problem, headers)
    detail = _PAGE_DETAIL.get(problem.type.slug, problem.detail)
    body, status = html_error(problem.type.status, problem.type.title, detail)
    return body, status, headers or {}


# What the console's pages say for the HTTP errors a browser meets, instead of the server's
# stock sentences.
_CONSOLE_WORDS = {
    403: "This page is not open to your account.",
    404: "There is no page at this address: it may have moved, or the link may be mistyped.",
    405: "This page cannot be opened that way. Go back and use the page's own buttons.",
}


def html_error(status: int, title: str, detail: str) -> tuple[str, int]:
    """The error page, for browsers: in the console's layout on the console's pages."""
    template = "console/error.html" if request.path.startswith("/console") else "error.html"
    return render_template(template, status=status, title=title, detail=detail), status


def init_app(app: Flask) -> None:
    @app.errorhandler(Problem)
    def handle_problem(problem: Problem):
        return _answer(problem, problem.headers)

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        return handle_problem(from_domain_error(error))

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        original = getattr(error, "original_exception", None)
        if original is not None and is_database_outage(original):
            # Raised outside a view (an after-request hook, an error handler): still a 503.
            return handle_database_error(original)
        if not _wants_json():
            if error.code == 413:
                return html_error(413, "Too much to send", _TOO_LARGE_PAGE)
            detail = error.description or ""
            if request.path.startswith("/console") and detail == type(error).description:
                detail = _CONSOLE_WORDS.get(error.code or 500, detail)
            return html_error(error.code or 500, error.name, detail)
        problem = _from_http_exception(error)
        headers = {}
        if error.code == 405 and (response := error.get_response()) is not None:
            headers["Allow"] = response.headers.get("Allow", "")
        if error.code == 413:
            problem.extensions["max_bytes"] = app.config["MAX_CONTENT_LENGTH"]
        return problem_response(problem, headers)

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(error: IntegrityError):
        # A constraint caught what a service check did not: refuse, change nothing.
        rollback()
        log.warning("integrity error on %s %s: %s", request.method, loggable_path(), error.orig)
        return _answer(Problem("conflict", "The change conflicts with data that already exists."))

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def handle_database_error(error: Exception):
        rollback()
        if not is_database_outage(error):
            return handle_unexpected(error)
        if not _is_contention(error):
            log.error("database unavailable on %s %s: %s", request.method, loggable_path(), error)
        problem, headers = database_problem(error)
        return _answer(problem, headers)

    @app.errorhandler(SecretUnreadable)
    def handle_secret_unreadable(error: SecretUnreadable):
        # The operator's to fix: say so in the log, without a traceback, and to the client.
        rollback()
        log.error("%s %s: %s", request.method, loggable_path(), error)
        description = PROBLEM_TYPES["encryption-key-missing"].description
        return _answer(Problem("encryption-key-missing", description))

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, loggable_path(), exc_info=error)
        rollback()
        outcome = _outcome(error)
        detail = "Something failed on our side; nothing was changed. The error is logged."
        if outcome is not Outcome.UNCHANGED:
            detail = "Something failed on our side. " + _OUTCOME_DETAIL[outcome] + _advice()
        return _answer(Problem("internal-error", detail))

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
