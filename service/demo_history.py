"""A demo program with a long history, for the insights pages: a few hundred pairs over about
eighteen months, drawn from a generator whose effects are known, and written in bulk.

The story it tells: each pair has an engagement level (how many of its planned weekly
meetings it holds). Pairs that miss meetings are more likely to end early each month, rate
their relationship lower (and lower still in the months before an early ending), and answer
fewer check-ins. Coordinators make most of their own contacts on time, some late, a few not
at all. Matches that last their planned twelve months close as completed.

The rows go in as they would have been written over time (pairs, their transition records,
meetings, the calendar's contacts and compliance, check-in answers, endings), but in a few
bulk statements: a few hundred pairs take about a second.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import numpy as np
import sqlalchemy as sa

from service.accounts import service as accounts
from service.accounts.models import User
from service.calendar.models import Compliance, Contact
from service.clock import now
from service.closure.models import EndingReasons
from service.database import db
from service.meetings.models import Meeting
from service.pairs.models import Intervention, Pair, TransitionRecord
from service.participants.models import Participant
from service.programs import service as programs
from service.programs.models import Program
from service.surveys import versions
from service.surveys.models import Invitation, SurveyResponse
from workflows.cadence import OUTCOME_SURVEY, POLICIES, add_months
from workflows.endings import EndingReason

HISTORY_SLUG = "northside-insights-demo"
HISTORY_MONTHS = 18
PLANNED_MONTHS = 12
# The outcome survey is given again this many months after activation.
OUTCOME_MONTHS = 6
# The generator's effects, per month of a running match.
BASE_HAZARD = 0.01  # the chance of ending early in a month with every meeting held
MISSED_HAZARD = 0.12  # added, times the share of the month's planned meetings missed
# Without effects: the same chance every month for every pair, about the average above, and
# ratings that do not sink before an ending (closure that nothing in the record foretells).
RANDOM_HAZARD = 0.047
PLANNED_MEETINGS = 4  # a meeting a week
REQUIRED_MEETINGS = 2  # the program's meeting requirement, per month

_ACTOR = {"kind": "system", "id": None, "label": "demo history"}
_COORDINATORS = ("Ada Mensah", "Ben Okoro", "Carla Duarte")
_EARLY_REASONS = [
    (EndingReason.LACK_OF_TIME, 0.35),
    (EndingReason.LACK_OF_COMMITMENT, 0.2),
    (EndingReason.PERSONALITY_MISMATCH, 0.15),
    (EndingReason.MOVE_OR_LIFE_CHANGE, 0.15),
    (EndingReason.POOR_COMMUNICATION, 0.1),
    (EndingReason.INCOMPATIBLE_GOALS, 0.05),
]


def history_exists() -> bool:
    return db.session.scalar(sa.select(Program.id).where(Program.slug == HISTORY_SLUG)) is not None


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@dataclass
class _Rows:
    pairs: list[dict[str, Any]]
    records: list[list[dict[str, Any]]]
    meetings: list[list[dict[str, Any]]]
    contacts: list[list[dict[str, Any]]]
    responses: list[list[dict[str, Any]]]
    compliance: list[list[dict[str, Any]]]
    interventions: list[list[dict[str, Any]]]
    endings: list[dict[str, Any] | None]
    # Each active pair's engagement, by its index: the outcome measures follow it.
    engagement: dict[int, float] = field(default_factory=dict)


def load(
    *,
    pairs: int = 300,
    months: int = HISTORY_MONTHS,
    seed: int = 17,
    effects: bool = True,
    missed_hazard: float = MISSED_HAZARD,
    slug: str = HISTORY_SLUG,
) -> Program:
    """Create the history program (`pairs` pairs joining over `months` months); call only
    when no program has `slug` yet. Without `effects`, early endings happen at random: the
    record foretells none of them."""
    if pairs < 1:
        raise ValueError(f"pairs must be at least 1, got {pairs}")
    rng = np.random.default_rng(seed)
    today = now().date()
    start = add_months(today, -months)
    program = programs.create(
        name="Northside Mentoring (insights demo)",
        slug=slug,
        description="Demo data: eighteen months of a program's history, for the insights.",
        cadence_policy="mentor_eep",
        meeting_requirement={"period": "month", "meetings": REQUIRED_MEETINGS, "minutes": 0},
        match_length_months=PLANNED_MONTHS,
        outcome_measures=True,
        outcome_months=[OUTCOME_MONTHS],
    )
    coordinator_ids = _coordinators()
    version_ids = {
        role: versions.ensure_standard_version(f"checkin_{role}").id
        for role in ("mentee", "mentor")
    }
    people: list[dict[str, Any]] = [
        {"program_id": program.id, "role": role, "full_name": f"{role.title()} {i + 1}",
         "email": f"{role}{i + 1}@northside.example.org", "language": "en", "capacity": 1,
         "goals": [], "skills": [], "availability": "", "languages": [], "location": "",
         "conflicts": [], "active": True, "placement_version": 0,
         "created_at": _at(start), "updated_at": _at(start)}
        for i in range(pairs)
        for role in ("mentee", "mentor")
    ]  # fmt: skip
    ids = list(
        db.session.scalars(
            sa.insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
            people,
        )
    )
    rows = _Rows([], [], [], [], [], [], [], [])
    # Episodes of trouble draw from their own stream: the rest of the history stays as it was.
    episodes = np.random.default_rng(seed + 1000) if effects else None
    for index in range(pairs):
        _one_pair(
            rows, rng, program.id, ids[2 * index], ids[2 * index + 1],
            int(rng.choice(coordinator_ids)), start, today, months, version_ids,
            missed_hazard if effects else None, episodes,
        )  # fmt: skip
    pair_ids = list(
        db.session.scalars(
            sa.insert(Pair).returning(Pair.id, sort_by_parameter_order=True), rows.pairs
        )
    )

    def flat(groups: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        return [
            {**row, "pair_id": pair_id}
            for pair_id, group in zip(pair_ids, groups, strict=True)
            for row in group
        ]

    for table, groups in (
        (TransitionRecord.__table__, rows.records),
        (Meeting.__table__, rows.meetings),
        (Contact.__table__, rows.contacts),
        (SurveyResponse.__table__, rows.responses),
        (Compliance.__table__, rows.compliance),
        (Intervention.__table__, rows.interventions),
    ):
        batch = flat(groups)
        if batch:
            db.session.execute(sa.insert(cast(sa.Table, table)), batch)
    # Their own stream: the rest of the history stays as it was without them.
    _outcomes(np.random.default_rng(seed + 2000), rows, pair_ids, today)
    endings = [
        {**e, "pair_id": p} for p, e in zip(pair_ids, rows.endings, strict=True) if e is not None
    ]
    if endings:
        db.session.execute(sa.insert(cast(sa.Table, EndingReasons.__table__)), endings)
    db.session.commit()
    return program


def _coordinators() -> list[int]:
    found: list[int] = []
    for name in _COORDINATORS:
        email = name.lower().replace(" ", ".") + "@northside.example.org"
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
        if user_id is None:
            user_id = accounts.create(email=email, full_name=name, role="coordinator").id
        found.append(user_id)
    return found


def _one_pair(
    rows: _Rows,
    rng: np.random.Generator,
    program_id: int,
    mentee_id: int,
    mentor_id: int,
    coordinator_id: int,
    start: date,
    today: date,
    months: int,
    version_ids: dict[str, int],
    missed_hazard: float | None = MISSED_HAZARD,
    episodes: np.random.Generator | None = None,
) -> None:
    joined = start + timedelta(days=int(rng.integers(0, months * 30 - 20)))
    matched = joined + timedelta(days=int(rng.exponential(18)))
    pair: dict[str, Any] = {
        "program_id": program_id, "mentee_id": mentee_id, "mentor_id": None, "state": "recruited",
        "version": 0, "event_sequence": 0, "created_at": _at(joined, 10),
        "state_changed_at": _at(joined, 10), "coordinator_id": coordinator_id, "agreed_goals": 0,
        "matched_at": None, "activated_at": None, "planned_end_on": None, "closed_at": None,
        "closure_reason": None,
    }  # fmt: skip
    records: list[dict[str, Any]] = []
    meetings: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    compliance: list[dict[str, Any]] = []
    interventions: list[dict[str, Any]] = []
    ending: dict[str, Any] | None = None
    rows.pairs.append(pair)
    rows.records.append(records)
    rows.meetings.append(meetings)
    rows.contacts.append(contacts)
    rows.responses.append(responses)
    rows.compliance.append(compliance)
    rows.interventions.append(interventions)

    def move(trigger: str, from_state: str, to_state: str, day: date, **extra: Any) -> None:
        records.append(
            {"sequence": len(records) + 1, "trigger": trigger, "from_state": from_state,
             "to_state": to_state, "actor_kind": _ACTOR["kind"], "actor_id": _ACTOR["id"],
             "actor_label": _ACTOR["label"], "reason": extra.get("reason"), "signals": [],
             "details": extra.get("details", {}), "created_at": _at(day, 14)}
        )  # fmt: skip
        pair.update(state=to_state, version=len(records), state_changed_at=_at(day, 14))

    if matched >= today:
        rows.endings.append(None)
        return
    pair.update(mentor_id=mentor_id, matched_at=_at(matched, 14))
    move("match", "recruited", "matched", matched)
    training = matched + timedelta(days=int(rng.integers(3, 10)))
    activated = training + timedelta(days=int(rng.integers(7, 21)))
    if training >= today:
        rows.endings.append(None)
        return
    move("start_training", "matched", "training", training)
    if activated >= today:
        rows.endings.append(None)
        return
    move("activate", "training", "active", activated)
    pair.update(
        activated_at=_at(activated, 14), planned_end_on=add_months(activated, PLANNED_MONTHS)
    )

    # The match month by month: meetings held, and whether it ends early that month.
    engagement = float(rng.beta(4, 1.8))
    rows.engagement[len(rows.pairs) - 1] = engagement
    ended_on: date | None = None
    how = ""
    month = 0
    held_by_month: list[int] = []
    while True:
        first = add_months(activated, month)
        last = add_months(activated, month + 1)
        if first >= today:
            break
        if month >= PLANNED_MONTHS:
            ended_on, how = add_months(activated, PLANNED_MONTHS), "completed"
            break
        held = int(rng.binomial(PLANNED_MEETINGS, engagement))
        held_by_month.append(held)
        span = max((min(last, today) - first).days, 1)
        for _ in range(PLANNED_MEETINGS):
            day = first + timedelta(days=int(rng.integers(0, span)))
            if day >= today:
                continue
            status = "held" if held > 0 else ("cancelled" if rng.random() < 0.5 else "no_show")
            held -= status == "held"
            meetings.append(
                {"occurred_at": _at(day, 16), "status": status,
                 "duration_minutes": 60 if status == "held" else None,
                 "attendees": ["mentor", "mentee"] if status == "held" else [], "location": "",
                 "activities": "", "missed_by": None if status == "held" else "mentee",
                 "is_final_session": False, "notice_hours": None, "recorded_by_kind": "system",
                 "recorded_by_id": None, "recorded_by_label": "demo history",
                 "created_at": _at(day, 18)}
            )  # fmt: skip
        missed = 1 - held_by_month[-1] / PLANNED_MEETINGS
        hazard = RANDOM_HAZARD if missed_hazard is None else BASE_HAZARD + missed_hazard * missed
        if last <= today and rng.random() < hazard:
            ended_on = first + timedelta(days=int(rng.integers(1, span)))
            draw = rng.random()
            how = "rematched" if draw < 0.25 else "withdrawn" if draw < 0.45 else "ended_early"
            break
        month += 1
    if ended_on is not None and ended_on >= today:
        ended_on = None

    # The requirement, judged per calendar month while the match ran.
    if held_by_month:
        counted: dict[date, int] = {}
        for m in meetings:
            if m["status"] == "held":
                key = m["occurred_at"].date().replace(day=1)
                counted[key] = counted.get(key, 0) + 1
        cursor = activated.replace(day=1)
        stop = (ended_on or today).replace(day=1)
        while cursor < stop:
            nxt = add_months(cursor, 1)
            n = counted.get(cursor, 0)
            compliance.append(
                {"period_start": cursor, "period_end": nxt, "required_meetings": REQUIRED_MEETINGS,
                 "required_minutes": 0, "meetings": n, "minutes": 60 * n,
                 "compliant": n >= REQUIRED_MEETINGS, "closed": True, "updated_at": _at(nxt)}
            )  # fmt: skip
            cursor = nxt

    # The calendar's contacts: check-ins (answered more often by engaged pairs, with a pulse
    # that falls before an early ending), the coordinator's own contacts, the first-meeting
    # check-in.
    until = ended_on or today
    people = {"mentee": mentee_id, "mentor": mentor_id}
    for plan in POLICIES["mentor_eep"].contacts:
        if plan.anchor.value != "activated":
            continue
        for due in plan.occurrences(activated):
            if due >= until:
                break
            for role in plan.audience:
                if role == "guardian":
                    continue
                contacts.append(
                    _contact(rng, plan.kind, role, people.get(role), due, today, engagement,
                             responses, version_ids,
                             ended_on if how != "completed" and missed_hazard is not None
                             else None)
                )  # fmt: skip
    if episodes is not None:
        _episode(episodes, move, interventions, activated, held_by_month, ended_on, how, today)
    if ended_on is not None:
        if how == "rematched":
            # Flagged before the re-match; without effects, only on the day (nothing in the
            # record may foretell the ending).
            flagged = ended_on - timedelta(days=0 if missed_hazard is None else 10)
            if pair["state"] == "active":
                move("flag_risk", "active", "at_risk", flagged)
            move("rematch", "at_risk", "rematched", ended_on, reason="No chemistry.")
        elif how == "completed":
            move("begin_closure", pair["state"], "closing", ended_on - timedelta(days=21))
            move("close", "closing", "closed", ended_on)
            pair.update(closure_reason="completed", closed_at=_at(ended_on, 14))
        else:
            move("withdraw", pair["state"], "closed", ended_on, reason="The match ended early.")
            pair.update(closure_reason=how, closed_at=_at(ended_on, 14))
        reasons, weights = zip(*_EARLY_REASONS, strict=True)
        primary = (
            EndingReason.PROGRAM_ENDED
            if how == "completed"
            else reasons[int(rng.choice(len(reasons), p=weights))]
        )
        ending = {
            "viewpoint": "coordinator", "primary_reason": str(primary), "other_reasons": [],
            "recorded_by_kind": "system", "recorded_by_id": None,
            "recorded_by_label": "demo history", "recorded_at": _at(ended_on, 15),
        }  # fmt: skip
    elif (
        held_by_month
        and held_by_month[-1] <= 1
        and activated < today - timedelta(days=30)
        and pair["state"] == "active"
    ):
        move("flag_risk", "active", "at_risk", today - timedelta(days=int(rng.integers(1, 20))))
    rows.endings.append(ending)


def _outcomes(rng: np.random.Generator, rows: _Rows, pair_ids: list[int], today: date) -> None:
    """The mentees' outcome survey at the start, six months on and at closure: each scale's
    score starts about the middle and rises over the match, by more in pairs that meet."""
    version = versions.ensure_standard_version(OUTCOME_SURVEY)
    definition = versions.definition_of(version)
    invitations: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for index, engagement in rows.engagement.items():
        pair = rows.pairs[index]
        activated = pair["activated_at"].date()
        closed = pair["closed_at"].date() if pair["closed_at"] else None
        ended = closed or (
            pair["state_changed_at"].date() if pair["state"] == "rematched" else None
        )
        occasions: list[tuple[str, date, float]] = [("baseline", activated, 0.0)]
        six_months = add_months(activated, OUTCOME_MONTHS)
        if six_months < min(ended or today, today):
            occasions.append((f"month_{OUTCOME_MONTHS}", six_months, float(OUTCOME_MONTHS)))
        measured_at_closure = pair["closure_reason"] in ("completed", "ended_early")
        if closed is not None and closed < today and measured_at_closure:
            occasions.append(("closure", closed, (closed - activated).days / 30.4))
        start = {scale.key: float(rng.normal(2.8, 0.5)) for scale in definition.scales}
        for occasion, day, months in occasions:
            if rng.random() > 0.55 + 0.4 * engagement:
                continue  # not answered
            given: dict[str, int] = {}
            for scale in definition.scales:
                gain = (0.1 + 0.9 * engagement) * min(months, 12) / 12
                level = start[scale.key] + gain + float(rng.normal(0, 0.25))
                for item in scale.items:
                    value = int(np.clip(round(level + rng.normal(0, 0.6)), 1, 5))
                    given[item] = 6 - value if item in scale.reverse else value
            answered = _at(day + timedelta(days=int(rng.integers(0, 5))), 19)
            invitations.append(
                {"nonce": secrets.token_urlsafe(16), "survey_version_id": version.id,
                 "participant_id": pair["mentee_id"], "pair_id": pair_ids[index],
                 "expires_at": _at(day + timedelta(days=14)), "used_at": answered,
                 "occasion": occasion, "created_by_kind": _ACTOR["kind"],
                 "created_by_id": _ACTOR["id"], "created_by_label": _ACTOR["label"],
                 "created_at": _at(day, 9)}
            )  # fmt: skip
            answers.append(
                {"survey_version_id": version.id, "survey_key": OUTCOME_SURVEY,
                 "purpose": "outcome_measure", "participant_id": pair["mentee_id"],
                 "respondent_role": "mentee", "recorded_by_kind": None, "recorded_by_id": None,
                 "recorded_by_label": None, "pair_id": pair_ids[index], "answers": given,
                 "pulse_rating": None, "submitted_at": answered}
            )  # fmt: skip
    if not invitations:
        return
    invitation_ids = list(
        db.session.scalars(
            sa.insert(Invitation).returning(Invitation.id, sort_by_parameter_order=True),
            invitations,
        )
    )
    db.session.execute(
        sa.insert(cast(sa.Table, SurveyResponse.__table__)),
        [{**row, "invitation_id": i} for row, i in zip(answers, invitation_ids, strict=True)],
    )


# The playbook entries coordinators answer a bad month with, and how often the pair recovers
# (is resolved within a few weeks) when the match does not end anyway.
_EPISODES = {
    "too_busy_to_schedule": 0.8,
    "missed_meetings": 0.65,
    "mentee_unprepared": 0.5,
    "no_chemistry": 0.3,
}


def _episode(
    rng: np.random.Generator,
    move: Any,
    interventions: list[dict[str, Any]],
    activated: date,
    held_by_month: list[int],
    ended_on: date | None,
    how: str,
    today: date,
) -> None:
    """After the first month with half its meetings missed or more, most pairs are flagged
    and the coordinator records an intervention: the pair is resolved a few weeks later
    (more often for some playbook entries than others), unless the match ends first."""
    limit = (ended_on or today) - timedelta(days=25)
    month = next((i for i, held in enumerate(held_by_month) if i and held <= 2), None)
    if month is None:
        return
    flagged = add_months(activated, month + 1) + timedelta(days=3)
    if flagged >= limit or rng.random() >= 0.6:
        return
    signals = list(_EPISODES)
    signal = signals[int(rng.integers(0, len(signals)))]
    move("flag_risk", "active", "at_risk", flagged)
    acted = flagged + timedelta(days=2)
    interventions.append(
        {"description": "Called the mentor and the mentee.", "approach": "individual",
         "signal": signal, "follow_up_on": acted + timedelta(days=14),
         "recorded_by_kind": "system", "recorded_by_id": None,
         "recorded_by_label": "demo history", "created_at": _at(acted, 11)}
    )  # fmt: skip
    if ended_on is not None and how != "completed" and (ended_on - acted).days <= 60:
        return  # the match ends while at risk
    quick = rng.random() < _EPISODES[signal]
    resolved = acted + timedelta(days=int(rng.integers(5, 40) if quick else rng.integers(61, 120)))
    if resolved < limit:
        move("resolve", "at_risk", "active", resolved)


def _contact(
    rng: np.random.Generator,
    kind: str,
    role: str,
    participant_id: int | None,
    due: date,
    today: date,
    engagement: float,
    responses: list[dict[str, Any]],
    version_ids: dict[str, int],
    ends_early_on: date | None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": kind, "recipient": "staff" if role == "staff" else f"{role}:{participant_id}",
        "participant_id": participant_id, "due_on": due, "due_at": _at(due, 9),
        "reminders_sent": 0, "next_reminder_at": None, "done_at": None, "invitation_id": None,
        "created_at": _at(due, 9),
    }  # fmt: skip
    age = (today - due).days
    if role == "staff":
        draw = rng.random()
        if age < 7:
            row["status"] = "due"
        elif draw < 0.75:
            row.update(
                status="done", done_at=_at(due + timedelta(days=int(rng.integers(0, 6))), 15)
            )
        elif draw < 0.87 and age > 20:
            row.update(
                status="done", done_at=_at(due + timedelta(days=int(rng.integers(8, 20))), 15)
            )
        else:
            row["status"] = "overdue"
        return row
    reminded = rng.random() < 0.35
    row["reminders_sent"] = int(reminded and age >= 3)
    if age >= 1 and rng.random() < 0.4 + 0.55 * engagement:
        answered = due + timedelta(days=int(rng.integers(0, 3)) + (4 if reminded else 0))
        if answered >= today:
            row["status"] = "invited"
            return row
        row.update(status="answered", done_at=_at(answered, 19))
        if kind == "checkin":
            # The pulse follows engagement, and sinks in the two months before an early end.
            sinking = 0.0
            if ends_early_on is not None and (ends_early_on - due).days < 60:
                sinking = 2.5 * (1 - max((ends_early_on - due).days, 0) / 60)
            rating = int(np.clip(round(3 + 6 * engagement - sinking + rng.normal(0, 1)), 1, 10))
            responses.append(
                {"invitation_id": None, "survey_version_id": version_ids[role],
                 "survey_key": f"checkin_{role}", "purpose": "checkin",
                 "participant_id": participant_id, "respondent_role": role,
                 "recorded_by_kind": None, "recorded_by_id": None, "recorded_by_label": None,
                 "answers": {"relationship_rating": rating}, "pulse_rating": rating,
                 "submitted_at": _at(answered, 19)}
            )  # fmt: skip
    elif age >= 14:
        row["status"] = "overdue"
    else:
        row["status"] = "invited"
    return row
