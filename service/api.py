"""The JSON API under /api/v1: one flask-smorest blueprint per domain, one OpenAPI 3.1 document."""

from __future__ import annotations

import re
from typing import Any

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app, request
from flask_smorest import Api
from marshmallow import Schema
from werkzeug.routing import IntegerConverter, Map

from service.approvals.api import blueprint as approvals
from service.calendar.api import blueprint as calendar
from service.choice.api import blueprint as choice
from service.events.api import blueprint as events
from service.events.schemas import add_to_spec
from service.inbound.api import blueprint as inbound
from service.insights.api import blueprint as insights
from service.matching.api import blueprint as matching
from service.meetings.api import blueprint as meetings
from service.notifications.api import blueprint as notifications
from service.pairs.api import blueprint as pairs
from service.participants.api import blueprint as participants
from service.participants.schemas import ImportRequestSchema
from service.problems import Problem
from service.programs.api import blueprint as programs
from service.schemas import MAX_ID, ProblemSchema
from service.surveys.api import blueprint as surveys
from service.web.csrf import csrf
from service.webhooks.api import blueprint as webhooks

PROBLEM_CONTENT_TYPE = "application/problem+json"


class PairwiseApi(Api):
    """flask-smorest, with RFC 9457 problems documented as every error response."""

    ERROR_SCHEMA = ProblemSchema


class ProblemContentType(BasePlugin):
    """Error responses are served as application/problem+json: document them so.

    flask-smorest documents its error responses with its default content type; this apispec
    plugin (apispec's public extension point) renames it wherever a response carries the
    problem schema, which flask-smorest's `ERROR_SCHEMA` puts on every error response."""

    def response_helper(self, response: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        content = response.get("content") or {}
        body = content.get("application/json")
        if body is not None and _is_problem_schema(body.get("schema")):
            response["content"] = {PROBLEM_CONTENT_TYPE: body}
        return response


def _is_problem_schema(schema: Any) -> bool:
    if isinstance(schema, dict):
        return schema.get("$ref", "").endswith("/Problem")
    return schema is ProblemSchema or isinstance(schema, ProblemSchema)


def schema_name(schema: type[Schema] | Schema) -> str:
    """Name schemas in the OpenAPI document; partial ones (PATCH bodies) get their own name."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type) and (schema.partial or schema.exclude):
        name += "Patch"
    return name


DESCRIPTION = (
    "Every mentor/mentee pair on a persisted state machine. "
    "Authenticate with `Authorization: Bearer <token>` (`pairwise create-token`). "
    "Errors are RFC 9457 problem documents with a stable `type`."
)


class IdConverter(IntegerConverter):
    """`<id:name>`: an id the database can hold. A larger number matches no route (404)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def _id_parameter_schema(converter: IdConverter) -> dict[str, Any]:
    # The examples phase of the fuzz test, and readers, get an id the demo program has.
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID, "examples": [1]}


# No request the API takes nests deeper than a handful of levels; parsing a deeper body
# recurses once per level, which is how a small body could exhaust the stack.
MAX_JSON_DEPTH = 64
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in `body` nest deeper than `limit`, found without parsing:
    brackets inside strings do not count."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(body):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif bracket in (b"]", b"}"):
            depth -= 1
    return False


# The endpoints that take a file rather than JSON.
UPLOAD_PATHS = frozenset({"/api/v1/participants/imports"})


def _check_json_body() -> None:
    """Before any view reads it: JSON only, within the size limit, and not too deep."""
    if not request.path.startswith("/api/"):
        return
    has_body = request.method in ("POST", "PUT", "PATCH") and bool(request.content_length)
    if request.path in UPLOAD_PATHS and request.method == "POST":
        # A spreadsheet: multipart/form-data, up to its own size limit.
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
        if has_body and request.mimetype != "multipart/form-data":
            raise Problem(
                "unsupported-media-type",
                f"Send the file as multipart/form-data, not {request.mimetype or 'untyped data'}.",
            )
        return
    if has_body and not request.is_json:
        raise Problem(
            "unsupported-media-type",
            f"Send the body as application/json, not {request.mimetype or 'untyped data'}.",
        )
    # Reading it enforces MAX_CONTENT_LENGTH (a 413) even without a Content-Length.
    if request.method in ("POST", "PUT", "PATCH") and json_depth_exceeds(request.get_data()):
        raise Problem(
            "request-too-large",
            f"The JSON nests arrays and objects deeper than {MAX_JSON_DEPTH} levels.",
            max_depth=MAX_JSON_DEPTH,
        )


def init_app(app: Flask) -> None:
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.url_map.converters["id"] = IdConverter
    api = PairwiseApi(
        app,
        spec_kwargs={
            "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
            "extra_plugins": [ProblemContentType()],
            "info": {"description": DESCRIPTION},
            "security": [{"bearerAuth": []}],
        },
    )
    api.register_converter(IdConverter, _id_parameter_schema)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "An API token"}
    )
    app.before_request(_check_json_body)
    blueprints = (
        programs,
        participants,
        pairs,
        matching,
        choice,
        insights,
        meetings,
        calendar,
        approvals,
        surveys,
        events,
        notifications,
        webhooks,
        inbound,
    )
    for blueprint in blueprints:
        # Bearer tokens or signatures, not cookies, authenticate the API: no CSRF to defend.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    add_to_spec(api.spec)
    # An import's multipart body, which the view reads itself.
    api.spec.components.schema("ImportRequest", schema=ImportRequestSchema)
    app.extensions["pairwise.api"] = api
