"""Hand-made histories for the insights: a program whose pairs, ratings, meetings and contacts
are written straight into the database with the dates a test chooses, so the figures can be
worked out by hand beside it."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from typing import Any

from service.actors import ActorRef
from service.calendar.models import Compliance, Contact
from service.database import db
from service.meetings.models import Meeting
from service.pairs.models import Intervention, Pair, Pause, TransitionRecord
from service.participants.models import Participant
from service.programs import service as programs
from service.programs.models import Program
from service.surveys.models import SurveyResponse, SurveyVersion

_TEST = ActorRef("system", None, "a hand-made history")
_numbers = itertools.count(1)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


class History:
    def __init__(self, program: Program) -> None:
        self.program = program
        version = SurveyVersion(
            survey_key="checkin", program_id=program.id, version=1, definition={}, created_by=_TEST
        )
        db.session.add(version)
        db.session.commit()
        self.version_id = version.id

    @classmethod
    def new(cls, **settings: Any) -> History:
        number = next(_numbers)
        return cls(programs.create(name=f"History {number}", slug=f"history-{number}", **settings))

    def person(self, role: str, guardian_of: int | None = None) -> Participant:
        number = next(_numbers)
        person = Participant(
            program_id=self.program.id,
            role=role,
            full_name=f"{role} {number}",
            email=f"{role}{number}@example.org",
            guardian_of_id=guardian_of,
        )
        db.session.add(person)
        db.session.flush()
        return person

    def pair(
        self,
        *,
        matched: date,
        activated: date | None = None,
        closed: date | None = None,
        reason: str = "completed",
        rematched: date | None = None,
        created: date | None = None,
        planned_end: date | None = None,
        coordinator_id: int | None = None,
        guardian: bool = False,
    ) -> int:
        mentee, mentor = self.person("mentee"), self.person("mentor")
        if guardian:
            self.person("guardian", guardian_of=mentee.id)
        state = (
            "closed"
            if closed
            else "rematched"
            if rematched
            else "active"
            if activated
            else "matched"
        )
        end = closed or rematched
        pair = Pair(
            program_id=self.program.id,
            mentee_id=mentee.id,
            mentor_id=mentor.id,
            state=state,
            created_at=at(created or matched),
            matched_at=at(matched),
            activated_at=at(activated) if activated else None,
            closed_at=at(closed) if closed else None,
            state_changed_at=at(end) if end else at(activated or matched),
            closure_reason=reason if closed else None,
            planned_end_on=planned_end,
            coordinator_id=coordinator_id,
        )
        db.session.add(pair)
        db.session.commit()
        return pair.id

    def rating(self, pair_id: int, role: str, on: date, rating: int) -> None:
        pair = db.session.get(Pair, pair_id)
        assert pair is not None
        db.session.add(
            SurveyResponse(
                survey_version_id=self.version_id,
                survey_key=f"checkin_{role}",
                purpose="checkin",
                participant_id=pair.mentee_id if role == "mentee" else pair.mentor_id,
                respondent_role=role,
                pair_id=pair_id,
                answers={"relationship_rating": rating},
                pulse_rating=rating,
                submitted_at=at(on),
            )
        )
        db.session.commit()

    def meeting(self, pair_id: int, on: date, status: str = "held") -> None:
        db.session.add(
            Meeting(pair_id=pair_id, occurred_at=at(on), status=status, recorded_by=_TEST)
        )
        db.session.commit()

    def contact(
        self,
        pair_id: int,
        kind: str,
        recipient: str,
        due: date,
        status: str,
        done: date | None = None,
        reminders: int = 0,
    ) -> None:
        pair = db.session.get(Pair, pair_id)
        assert pair is not None
        person = {"mentee": pair.mentee_id, "mentor": pair.mentor_id}.get(recipient)
        db.session.add(
            Contact(
                pair_id=pair_id,
                kind=kind,
                recipient=recipient if person is None else f"{recipient}:{person}",
                participant_id=person,
                due_on=due,
                due_at=datetime.combine(due, time(9), tzinfo=UTC),
                status=status,
                reminders_sent=reminders,
                done_at=at(done, 15) if done else None,
            )
        )
        db.session.commit()

    def pause(self, pair_id: int, starts_on: date, ends_on: date) -> None:
        db.session.add(
            Pause(
                pair_id=pair_id,
                reason="illness",
                starts_on=starts_on,
                ends_on=ends_on,
                recorded_by=_TEST,
            )
        )
        db.session.commit()

    def period_judged(self, pair_id: int, start: date, end: date, *, compliant: bool) -> None:
        db.session.add(
            Compliance(
                pair_id=pair_id, period_start=start, period_end=end, required_meetings=1,
                required_minutes=0, meetings=int(compliant), minutes=0, compliant=compliant,
                closed=True,
            )
        )  # fmt: skip
        db.session.commit()

    def intervention(self, pair_id: int, on: date, signal: str | None = None) -> None:
        db.session.add(
            Intervention(pair_id=pair_id, description="Called both.", signal=signal,
                         recorded_by=_TEST, created_at=at(on, 10))
        )  # fmt: skip
        db.session.commit()

    def moved(self, pair_id: int, on: date, trigger: str, from_state: str, to_state: str) -> None:
        """A transition record (the pair's own state is left as `pair` set it)."""
        sequence = db.session.query(TransitionRecord).filter_by(pair_id=pair_id).count() + 1
        db.session.add(
            TransitionRecord(pair_id=pair_id, sequence=sequence, trigger=trigger,
                             from_state=from_state, to_state=to_state, actor=_TEST,
                             created_at=at(on, 14))
        )  # fmt: skip
        db.session.commit()
