"""What a client sends is bounded: every list, mapping and text has a documented maximum,
and going past it is a 422 that names the limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from workflows.signals import SIGNALS


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def _unbounded(spec: dict) -> Iterator[tuple[str, str]]:
    """(kind, where) for every list, mapping or text in request bodies and query strings
    without a maximum. Paths and headers are bounded by the HTTP server's line limits."""
    schemas = spec["components"]["schemas"]

    def walk(schema: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
        if schema.get("readOnly"):
            return
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        for part in schema.get("allOf", []) + schema.get("anyOf", []):
            yield from walk(part, where)
        types = schema.get("type")
        types = types if isinstance(types, list) else [types]
        if "array" in types:
            if "maxItems" not in schema:
                yield "list", where
            yield from walk(schema.get("items", {}), f"{where}[]")
        if "object" in types:
            for name, child in schema.get("properties", {}).items():
                yield from walk(child, f"{where}.{name}")
            extra = schema.get("additionalProperties")
            if extra not in (None, False) and "maxProperties" not in schema:
                yield "mapping", where
            if isinstance(extra, dict):
                yield from walk(extra, f"{where}.*")
        bounded_text = "maxLength" in schema or "enum" in schema
        if "string" in types and not bounded_text and schema.get("format") not in _BOUNDED:
            yield "text", where

    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    yield from walk(parameter["schema"], f"{method} {path} ?{parameter['name']}")
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                yield from walk(media["schema"], f"{method} {path} body")


# Formats whose values have a bounded length by definition.
_BOUNDED = {"date", "date-time", "time", "uuid"}


def test_every_list_and_mapping_a_client_sends_has_a_documented_maximum(spec):
    unbounded = sorted(where for kind, where in _unbounded(spec) if kind in ("list", "mapping"))
    assert unbounded == []


def test_every_text_a_client_sends_has_a_documented_maximum_length(spec):
    unbounded = sorted(where for kind, where in _unbounded(spec) if kind == "text")
    assert unbounded == []


def test_ten_thousand_signals_on_a_transition_are_refused_naming_the_limit(api, world):
    pair = world.drive_to("active")

    response = api.trigger(pair["id"], "flag_risk", signals=["no_chemistry"] * 10_000)

    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"] == [
        {
            "location": "json",
            "field": "signals",
            "message": f"At most {len(SIGNALS)} items, got 10000.",
        }
    ]
    assert world.pair(pair["id"])["state"] == "active"


def test_too_many_states_in_a_query_are_refused_naming_the_limit(api):
    response = api.get("/pairs?" + "&".join(["state=active"] * 9))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["message"] == "At most 8 items, got 9."


def test_a_coordinator_checkin_with_too_many_answers_is_refused(api, world):
    pair = world.drive_to("active")
    answers = {f"q{i}": "x" for i in range(101)}
    response = api.post(f"/pairs/{pair['id']}/checkins", {"answers": answers})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["message"] == "At most 100 entries, got 101."


def test_a_survey_question_with_too_many_choices_is_refused(api, world):
    question = {
        "key": "colour",
        "type": "single_choice",
        "label": "Favourite colour?",
        "choices": [{"value": f"c{i}", "label": f"Colour {i}"} for i in range(51)],
    }
    response = api.post(
        f"/programs/{world.program['id']}/surveys/event_followup/versions",
        {"title": "Follow-up", "questions": [question]},
    )
    assert response.status_code == 422
    assert "at most 50 choices" in response.get_json()["detail"]


def test_a_survey_question_with_a_label_too_long_is_refused(api, world):
    question = {"key": "story", "type": "long_text", "label": "Tell us " * 100}
    response = api.post(
        f"/programs/{world.program['id']}/surveys/event_followup/versions",
        {"title": "Follow-up", "questions": [question]},
    )
    assert response.status_code == 422
    assert "label is longer than 500 characters" in response.get_json()["detail"]
