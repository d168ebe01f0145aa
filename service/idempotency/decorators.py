"""`@idempotent`: a creating API operation that a client may retry safely.

Same key (per token) and same request → the stored answer again, marked with
`Idempotent-Replayed: true`; same key and another request → 422; the same key while its
first request still runs → 409. The work and its answer commit in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

from flask import Response, make_response, request
from flask_smorest import Blueprint

from service.auth import current_actor
from service.database import unit_of_work
from service.idempotency import service
from service.problems import Problem

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
# The draft makes the value a Structured Field string ("…"); a bare value is accepted too.
_KEY = re.compile(r'^"([\x21\x23-\x7e]{1,255})"$|^([\x21\x23-\x7e]{1,255})$')
_KEPT_HEADERS = ("Location", "Content-Type")
# A malformed key, a key in flight, a key used for another request.
_PROBLEMS = (HTTPStatus.BAD_REQUEST, HTTPStatus.CONFLICT, HTTPStatus.UNPROCESSABLE_ENTITY)

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 257,
        "pattern": '^[!#-~]{1,255}$|^"[!#-~]{1,255}"$',
    },
    "description": (
        "Makes retrying safe (draft-ietf-httpapi-idempotency-key-header), e.g. a UUID. A retry "
        "with the same key and the same request gets the first answer again, with "
        f"`{REPLAYED}: true`, and changes nothing; the same key with another request is a 422 "
        "`idempotency-key-reused`; while the first request runs, a 409 "
        "`idempotency-key-in-flight`. Keys are per token and kept for 24 hours."
    ),
    "example": "5f0c6d2e-8a4b-4d51-9b1e-3f7a2c9d8e10",
}

View = Callable[..., Any]


def _key() -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    match = _KEY.match(raw.strip())
    if not match:
        raise Problem(
            "idempotency-key-invalid",
            f"{HEADER} must be 1 to 255 visible ASCII characters (no quotes or spaces), "
            'e.g. "5f0c6d2e-8a4b-4d51-9b1e-3f7a2c9d8e10".',
        )
    return match.group(1) or match.group(2)


def _fingerprint() -> str:
    """The request a key stands for: method, path, query and body (JSON compared as data,
    so spacing and key order do not matter)."""
    body = request.get_json(silent=True)
    payload = (
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        if body is not None
        else request.get_data()
    )
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.encode(), payload):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(stored: service.StoredAnswer, secret_of: Callable[[dict], str | None] | None):
    body = stored.body
    if secret_of is not None:
        document = json.loads(body)
        document["secret"] = secret_of(document)
        body = json.dumps(document)
    response = Response(body, status=stored.status_code)
    for name, value in stored.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def _stored_body(response: Response, secret_of: Callable[[dict], str | None] | None) -> str:
    if secret_of is None:
        return response.get_data(as_text=True)
    # Secrets are kept where they belong (and encrypted there), never in a stored answer:
    # a replay reads the resource's current one.
    document = json.loads(response.get_data(as_text=True))
    document.pop("secret", None)
    return json.dumps(document)


def idempotent(
    blueprint: Blueprint, *, secret_of: Callable[[dict], str | None] | None = None
) -> Callable[[View], View]:
    """Decorate a POST view, below `require_scope` and above `arguments`; documents the
    header and the problems it may answer.

    `secret_of`, for answers that show a secret: reads the resource's secret from the
    answer (its `id`), so that the stored copy never holds it."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = _key()
            if key is None:
                return view(*args, **kwargs)
            owner = f"{current_actor().kind.value}:{current_actor().id}"
            claimed = service.claim(owner=owner, key=key, fingerprint=_fingerprint())
            if isinstance(claimed, service.StoredAnswer):
                return _replay(claimed, secret_of)
            try:
                with unit_of_work():
                    response = make_response(view(*args, **kwargs))
                    service.answer(
                        claimed,
                        status_code=response.status_code,
                        body=_stored_body(response, secret_of),
                        headers={
                            name: response.headers[name]
                            for name in _KEPT_HEADERS
                            if name in response.headers
                        },
                    )
            except BaseException:
                service.release(claimed)
                raise
            return response

        documented = set(getattr(view, "_apidoc", {}).get("response", {}).get("responses", {}))
        for status in _PROBLEMS:
            if status.value not in documented:
                wrapper = blueprint.alt_response(status.value, response=status.name)(wrapper)
        return blueprint.doc(parameters=[PARAMETER])(wrapper)

    return decorate
