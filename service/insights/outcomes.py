"""Outcome measures: how each scale of the outcome survey changed since the baseline. Read-only.

The calendar sends the mentee's outcome survey at activation (the baseline), at the months
the program chose and at closure; each invitation records its occasion. A respondent counts
for an occasion when they have a score for the scale both at the baseline and then (their
latest answer to each, should a link have been sent twice); the change is the mean of their
changes, with the paired t interval (`workflows.evidence.paired_change`). A scale's score is
that of the survey version the answers were given under (`surveys.definition.Scale`).

No figure is given from fewer respondents than the program's minimum group.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from service.database import among, db, plain_rows
from service.surveys.models import Invitation, SurveyResponse, SurveyVersion
from service.surveys.versions import current_version, definition_of
from surveys.definition import SurveyDefinition
from workflows import cadence, evidence

PURPOSE = "outcome_measure"
# (pair, participant): one respondent; a mentee re-matched answers again for the new pair.
Respondent = tuple[int, int]


@dataclass(frozen=True)
class Part:
    """A scale, or a subscale (key `scale.subscale`), as the report names it."""

    key: str
    title: str
    scale: str  # the scale's title (its own, for a scale)
    subscale: bool


@dataclass(frozen=True)
class OutcomeRow:
    """One scale at one occasion against the baseline. `change` is None when fewer than the
    minimum (or two) respondents were measured both times."""

    part: Part
    occasion: str  # "month_6", "closure"
    respondents: int
    change: evidence.Change | None


def occasion_label(occasion: str) -> str:
    """ "6 months", "At closure", "At the start", as the page says them."""
    months = cadence.occasion_months(occasion)
    if months is not None:
        return f"{months} month" + ("s" if months != 1 else "")
    if occasion == cadence.CLOSURE:
        return "At closure"
    if occasion == cadence.BASELINE:
        return "At the start"
    return occasion.replace("_", " ")


def _occasion_order(occasion: str) -> tuple[int, int]:
    months = cadence.occasion_months(occasion)
    if months is not None:
        return (1, months)
    return (0, 0) if occasion == cadence.BASELINE else (2, 0)


def parts_of(definition: SurveyDefinition) -> list[Part]:
    return [
        Part(key, title, scale.title, key != scale.key)
        for scale in definition.scales
        for key, title, _ in scale.parts
    ]


@dataclass(frozen=True)
class Scored:
    """One occasion's scores: its respondents in the order they first answered (their latest
    answer counts), and by scale or subscale key the scores and whether each is known."""

    respondents: dict[Respondent, int]
    scores: dict[str, tuple[np.ndarray, np.ndarray]]

    def of(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.respondents)
        return self.scores.get(key, (np.zeros(n), np.zeros(n, dtype=bool)))


def scores(
    rows: Sequence[tuple[int, int, int, str, dict[str, Any]]],
    definitions: dict[int, SurveyDefinition],
) -> dict[str, Scored]:
    """Each occasion's scores by respondent, from rows (pair, participant, version, occasion,
    answers) in the order they were given: a later answer replaces an earlier one. Scored
    many at a time, a version at a time (`SurveyDefinition.scale_scores_of`)."""
    latest: dict[str, dict[Respondent, int]] = {}
    for index, (pair_id, participant_id, _, occasion, _) in enumerate(rows):
        latest.setdefault(occasion, {})[(pair_id, participant_id)] = index
    by_occasion: dict[str, Scored] = {}
    for occasion, chosen in latest.items():
        picked = list(chosen.values())
        n = len(picked)
        scored: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        by_version: dict[int, list[int]] = {}
        for position, index in enumerate(picked):
            by_version.setdefault(rows[index][2], []).append(position)
        for version_id, positions in by_version.items():
            at = np.asarray(positions, dtype=np.int64)
            answers = [rows[picked[position]][4] for position in positions]
            for key, (value, known) in definitions[version_id].scale_scores_of(answers).items():
                values, knowns = scored.setdefault(key, (np.zeros(n), np.zeros(n, dtype=bool)))
                values[at] = value
                knowns[at] = known
        by_occasion[occasion] = Scored(
            {respondent: position for position, respondent in enumerate(chosen)}, scored
        )
    return by_occasion


def changes(
    parts: list[Part],
    by_occasion: dict[str, Scored],
    occasions: Iterable[str],
    minimum: int,
) -> list[OutcomeRow]:
    """For each part and each occasion after the baseline, the respondents scored at both and
    the mean change (their scores in the order they answered, as `paired_change` adds them)."""
    baseline = by_occasion.get(cadence.BASELINE, Scored({}, {}))
    # Each occasion's respondents with where they are among the baseline's (-1: not there).
    then: dict[str, tuple[Scored, np.ndarray]] = {}
    for occasion in sorted(set(occasions) - {cadence.BASELINE}, key=_occasion_order):
        later = by_occasion.get(occasion, Scored({}, {}))
        where = np.fromiter(
            (baseline.respondents.get(respondent, -1) for respondent in later.respondents),
            dtype=np.int64,
            count=len(later.respondents),
        )
        then[occasion] = (later, where)
    rows: list[OutcomeRow] = []
    for part in parts:
        before_values, before_known = baseline.of(part.key)
        for occasion, (later, where) in then.items():
            after_values, after_known = later.of(part.key)
            present = where >= 0
            both = present & after_known
            both[present] &= before_known[where[present]]
            measured = list(
                zip(
                    before_values[where[both]].tolist(),
                    after_values[both].tolist(),
                    strict=True,
                )
            )
            rows.append(
                OutcomeRow(part, occasion, len(measured), evidence.paired_change(measured, minimum))
            )
    return rows


def compute(
    *,
    program_id: int,
    outcome_months: Iterable[int],
    pair_ids: list[int],
    end: datetime,
    minimum: int,
) -> list[OutcomeRow]:
    """The change per scale of the matches `pair_ids`, from the answers given before `end`.
    The occasions are the program's (its months and the closure) and any others answered."""
    if not pair_ids:
        return []
    # The answers as the database's text, parsed here: SQLAlchemy's conversion of each JSON
    # value cost more than the parse itself.
    answered = plain_rows(
        sa.select(
            SurveyResponse.pair_id,
            SurveyResponse.participant_id,
            SurveyResponse.survey_version_id,
            sa.cast(SurveyResponse.answers, sa.Text),
            Invitation.occasion,
        )
        .join(Invitation, Invitation.id == SurveyResponse.invitation_id)
        .where(
            SurveyResponse.purpose == PURPOSE,
            among(SurveyResponse.pair_id, pair_ids),
            SurveyResponse.submitted_at < end,
            Invitation.occasion.is_not(None),
            SurveyResponse.participant_id.is_not(None),
        )
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    )
    if not answered:
        return []  # nothing measured: no table of empty rows
    # Only a respondent scored at the baseline and on another occasion has a change: the
    # others' answers (a match too young for its next occasion) are neither parsed nor scored.
    first = {(p, q) for p, q, _, _, occasion in answered if occasion == cadence.BASELINE}
    again = {(p, q) for p, q, _, _, occasion in answered if occasion != cadence.BASELINE}
    both = first & again
    rows: list[tuple[int, int, int, str, dict[str, Any]]] = [
        (pair_id, participant_id, version_id, occasion, json.loads(answers))
        for pair_id, participant_id, version_id, answers, occasion in answered
        if (pair_id, participant_id) in both
    ]
    definitions = {
        version.id: definition_of(version)
        for version in db.session.scalars(
            sa.select(SurveyVersion).where(SurveyVersion.id.in_({r[2] for r in answered}))
        )
    }
    current = definition_of(
        current_version(survey_key=cadence.OUTCOME_SURVEY, program_id=program_id)
    )
    parts = parts_of(current)
    known = {part.key for part in parts}
    for definition in definitions.values():  # a scale an older version had, still reported
        parts += [part for part in parts_of(definition) if part.key not in known]
        known |= {part.key for part in parts}
    by_occasion = scores(rows, definitions)
    occasions = {cadence.month_occasion(n) for n in outcome_months} | {cadence.CLOSURE}
    return changes(parts, by_occasion, occasions | {r[4] for r in answered}, minimum)
