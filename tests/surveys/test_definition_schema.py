"""The JSON Schema that editors use for survey YAML is the models' own, and fits the files."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft202012Validator

from surveys import loader, schema

MODELINE = "# yaml-language-server: $schema=../definition.schema.json"


def _published() -> dict:
    return json.loads(schema.SCHEMA_PATH.read_text(encoding="utf-8"))


def test_the_committed_schema_is_the_one_the_models_generate():
    assert _published() == schema.json_schema(), (
        "surveys/definition.schema.json is out of date: run `python -m surveys.schema`"
    )


def test_the_published_schema_is_a_valid_json_schema():
    Draft202012Validator.check_schema(_published())


DEFINITION_FILES = sorted(loader.DEFINITIONS_DIRECTORY.glob("*.yaml"))


@pytest.mark.parametrize("path", DEFINITION_FILES, ids=lambda path: path.name)
def test_every_standard_definition_points_editors_at_the_schema(path):
    assert path.read_text(encoding="utf-8").splitlines()[0] == MODELINE


@pytest.mark.parametrize("path", DEFINITION_FILES, ids=lambda path: path.name)
def test_every_standard_definition_passes_the_published_schema(path):
    errors = list(Draft202012Validator(_published()).iter_errors(yaml.safe_load(path.read_text())))
    assert [error.message for error in errors] == []


@pytest.mark.parametrize(
    ("question", "flagged"),
    [
        ({"key": "mood", "type": "slider", "label": "Mood"}, "'slider' is not one of"),
        ({"key": "mood", "type": "text", "label": "Mood", "colour": "red"}, "'colour' was"),
        (
            {"key": "mood", "type": "yes_no", "label": "Mood", "visibility": "everyone"},
            "'everyone' is not one of",
        ),
    ],
)
def test_an_editor_is_warned_of_what_the_service_refuses(question, flagged):
    data = {
        "key": "broken",
        "title": "Broken",
        "audience": "mentee",
        "purpose": "periodic_checkin",
        "questions": [question],
    }
    messages = [e.message for e in Draft202012Validator(_published()).iter_errors(data)]
    assert any(flagged in message for message in messages), messages
