"""The standard surveys, read from `surveys/definitions/*.yaml` and checked at load."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from surveys.definition import DefinitionError, SurveyDefinition, parse

DEFINITIONS_DIRECTORY = Path(__file__).parent / "definitions"


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path(__file__).parent.parent))
    except ValueError:
        return str(path)


def read(path: Path) -> dict[str, Any]:
    """The raw data of a definition file; YAML errors name the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise DefinitionError(_display(path), f"not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise DefinitionError(_display(path), "a survey definition must be a mapping")
    return data


def load_file(path: Path) -> SurveyDefinition:
    return parse(read(path), source=_display(path))


def load_directory(directory: Path) -> dict[str, tuple[SurveyDefinition, dict[str, Any]]]:
    """Every definition in `directory`, by key, with the raw data it was read from."""
    found: dict[str, tuple[SurveyDefinition, dict[str, Any]]] = {}
    origin: dict[str, Path] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = read(path)
        definition = parse(data, source=_display(path))
        if definition.key in found:
            raise DefinitionError(
                _display(path),
                f"key {definition.key!r} is already defined in {origin[definition.key].name}",
            )
        found[definition.key] = (definition, data)
        origin[definition.key] = path
    return found


@cache
def standard() -> dict[str, tuple[SurveyDefinition, dict[str, Any]]]:
    """The standard set shipped with Pairwise."""
    return load_directory(DEFINITIONS_DIRECTORY)
