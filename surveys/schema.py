"""The JSON Schema of a survey definition, for editors of `surveys/definitions/*.yaml`.

Generated from the models in `surveys/definition.py`; the committed copy is
`surveys/definition.schema.json` (a test fails when it drifts). After changing the models:

    python -m surveys.schema
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from surveys.definition import SurveyDefinition

SCHEMA_PATH = Path(__file__).with_name("definition.schema.json")
SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


def json_schema() -> dict[str, Any]:
    schema = SurveyDefinition.model_json_schema()
    schema.pop("title", None)
    return {"$schema": SCHEMA_URI, "title": "Pairwise survey definition", **schema}


def render() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    SCHEMA_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")


if __name__ == "__main__":
    main()
