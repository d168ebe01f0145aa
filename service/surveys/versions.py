"""Survey versions: the standard definitions shipped as YAML, and each program's own versions.

Every response points at the version it was given under, so old answers always read with the
questions that were asked.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import g
from sqlalchemy.exc import IntegrityError

from service.actors import Actor, ActorKind
from service.database import db, transaction
from service.errors import Invalid, NotFound
from service.programs.models import Program
from service.surveys.models import SurveyVersion
from surveys import loader
from surveys.definition import DefinitionError, SurveyDefinition, parse


def content_key(version: SurveyVersion) -> str:
    """What a version says, as one string: the key for anything derived from it."""
    return json.dumps(version.definition, sort_keys=True)


@lru_cache(maxsize=512)
def _parsed(content: str, source: str) -> SurveyDefinition:
    return parse(json.loads(content), source=source)


def definition_of(version: SurveyVersion) -> SurveyDefinition:
    """The definition a stored version holds, parsed once per process."""
    return _parsed(content_key(version), _source(version))


def definition_stored(
    content: str, *, survey_key: str, program_id: int | None, number: int
) -> SurveyDefinition:
    """The definition of a version read as its stored JSON text (not decoded: `content`
    is the key), parsed once per process. A stored version is never changed, only
    followed by a new one, so its text names what it says."""
    return _parsed(content, _source_of(survey_key, program_id, number))


# The definition column as its stored text, for `definition_stored`.
STORED_DEFINITION = sa.cast(SurveyVersion.definition, sa.Text)


def _source(version: SurveyVersion) -> str:
    return _source_of(version.survey_key, version.program_id, version.version)


def _source_of(survey_key: str, program_id: int | None, number: int) -> str:
    owner = f"program {program_id}'s" if program_id else "the standard"
    return f"{owner} {survey_key} version {number}"


def standard_keys() -> list[str]:
    return sorted(loader.standard())


def standard_definition(survey_key: str) -> SurveyDefinition:
    """The standard definition of a survey, as shipped (a program may have adapted it)."""
    return _standard(survey_key)[0]


def standard_data(survey_key: str) -> dict[str, Any]:
    """The standard definition of a survey as data, as its file holds it."""
    return _standard(survey_key)[1]


def _standard(survey_key: str) -> tuple[SurveyDefinition, dict[str, Any]]:
    found = loader.standard().get(survey_key)
    if found is None:
        raise NotFound.of("survey", survey_key)
    return found


def ensure_standard_version(survey_key: str) -> SurveyVersion:
    """The stored row of the shipped definition, created the first time it is used."""
    definition, data = _standard(survey_key)
    query = sa.select(SurveyVersion).where(
        SurveyVersion.survey_key == survey_key,
        SurveyVersion.program_id.is_(None),
        SurveyVersion.version == definition.version,
    )
    version = db.session.scalar(query)
    if version is None:
        version = SurveyVersion(
            survey_key=survey_key,
            program_id=None,
            version=definition.version,
            definition=data,
            created_by=Actor(ActorKind.SYSTEM, None, "standard surveys").ref,
        )
        try:
            with db.session.begin_nested():
                db.session.add(version)
        except IntegrityError:
            # Another process stored it first: its row is there now.
            version = db.session.scalars(query).one()
    elif version.definition != data:
        raise RuntimeError(
            f"surveys/definitions: {survey_key} changed but is still version "
            f"{definition.version}; give changed definitions a new version number"
        )
    return version


def current_version(*, survey_key: str, program_id: int) -> SurveyVersion:
    """The version new invitations use: the program's own latest, else the standard one.

    Remembered for the rest of the app context: a sweep inviting a thousand participants
    looks it up once per survey and program.
    """
    remembered = g.setdefault("survey_versions", {})
    if (survey_key, program_id) in remembered:
        return get_version(version_id=remembered[(survey_key, program_id)])
    version = _current_version(survey_key, program_id)
    remembered[(survey_key, program_id)] = version.id
    return version


def _current_version(survey_key: str, program_id: int) -> SurveyVersion:
    own = db.session.scalar(
        sa.select(SurveyVersion)
        .where(SurveyVersion.survey_key == survey_key, SurveyVersion.program_id == program_id)
        .order_by(SurveyVersion.version.desc())
        .limit(1)
    )
    return own if own is not None else ensure_standard_version(survey_key)


def versions(*, survey_key: str, program_id: int | None = None) -> list[SurveyVersion]:
    standard = ensure_standard_version(survey_key)
    query = sa.select(SurveyVersion).where(SurveyVersion.survey_key == survey_key)
    if program_id is not None:
        query = query.where(
            sa.or_(SurveyVersion.program_id == program_id, SurveyVersion.id == standard.id)
        )
    ordered = query.order_by(SurveyVersion.program_id.nulls_first(), SurveyVersion.version)
    return list(db.session.scalars(ordered))


def get_version(*, version_id: int) -> SurveyVersion:
    version = db.session.get(SurveyVersion, version_id)
    if version is None:
        raise NotFound.of("survey version", version_id)
    return version


def publish_version(
    *, program_id: int, survey_key: str, data: dict[str, Any], actor: Actor
) -> SurveyVersion:
    """A program's own version of a survey: questions added, reworded or dropped."""
    with transaction():
        program = db.session.get(Program, program_id)
        if program is None:
            raise NotFound.of("program", program_id)
        standard, _ = _standard(survey_key)
        data = {**data, "key": survey_key}
        data.setdefault("purpose", standard.purpose)
        data.setdefault("audience", list(standard.audience))
        latest = max([v.version for v in versions(survey_key=survey_key, program_id=program_id)])
        data["version"] = latest + 1
        try:
            definition = parse(data, source=f"program {program_id}'s version of {survey_key}")
        except DefinitionError as error:
            field = f"questions.{error.question}" if error.question else "definition"
            raise Invalid(field, error.problem) from None
        if definition.purpose != standard.purpose:
            raise Invalid("purpose", f"a version of {survey_key} keeps purpose {standard.purpose}")
        version = SurveyVersion(
            survey_key=survey_key,
            program_id=program.id,
            version=definition.version,
            definition=data,
            created_by=actor.ref,
        )
        db.session.add(version)
        g.pop("survey_versions", None)
    return version
