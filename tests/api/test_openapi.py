"""The OpenAPI 3.1 document is generated from the code and is valid."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
from openapi_spec_validator import validate

from service.problems import PROBLEM_TYPES


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def test_the_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_api_route_is_documented(app, spec):
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("openapi.json"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is not in the OpenAPI document"


def test_every_operation_requires_a_bearer_token(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]


def test_errors_are_documented_as_problem_documents(spec):
    conflict = spec["components"]["responses"]["CONFLICT"]
    assert "application/problem+json" in conflict["content"]
    transitions = spec["paths"]["/api/v1/pairs/{pair_id}/transitions"]["post"]["responses"]
    assert {"200", "202", "409", "422"} <= set(transitions)


def test_the_transition_request_lists_every_trigger(spec):
    schema = spec["components"]["schemas"]["TransitionRequest"]
    assert set(schema["properties"]["trigger"]["enum"]) == {
        "match",
        "start_training",
        "activate",
        "flag_risk",
        "resolve",
        "rematch",
        "begin_closure",
        "close",
        "withdraw",
        "reopen",
    }


def test_every_problem_type_the_api_uses_is_in_the_catalogue():
    assert {"trigger-not-allowed", "guard-failed", "validation-error"} <= set(PROBLEM_TYPES)


def test_email_addresses_are_documented_as_internationalised(spec):
    # `format: email` is ASCII only: it would call "tomás.silva@example.org" invalid.
    email = spec["components"]["schemas"]["Participant"]["properties"]["email"]
    assert email["format"] == "idn-email"
    checker = jsonschema_rs.validator_for(email, validate_formats=True)
    assert checker.is_valid("tomás.silva@example.org")
    assert not checker.is_valid("tomás silva@example.org")


def test_every_request_body_has_an_example_that_fits_its_schema(spec):
    # The signed inbound URLs take what the sender's own format says; they are not ours to show.
    signed = {"/api/v1/inbound/{slug}/meetings", "/api/v1/inbound/{slug}/calendly"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or "requestBody" not in operation or path in signed:
                continue
            content = operation["requestBody"]["content"]
            # A file upload (an import) is multipart; everything else is JSON.
            body = content.get("application/json") or content["multipart/form-data"]
            assert "example" in body, f"{method.upper()} {path} has no example body"
            schema = {**body["schema"], "components": spec["components"]}
            checker = jsonschema_rs.validator_for(schema, validate_formats=True)
            errors = [error.message for error in checker.iter_errors(body["example"])]
            assert errors == [], f"{method.upper()} {path}: {errors}"
