"""Due diligence: each period of a program's meeting requirement, judged from the meeting logs.

Judging a period only records it (`Compliance`); what falling short sets off (a signal, the
coordinator told) is the sweep's business, in `calendar.actions`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import overload
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from service.calendar.models import Compliance
from service.clock import now
from service.database import db
from service.meetings.models import Meeting, MeetingStatus
from service.pairs.models import Pair
from service.programs.models import Program
from workflows.cadence import MeetingRequirement


@overload
def local_date(moment: datetime, timezone: str) -> date: ...
@overload
def local_date(moment: datetime | None, timezone: str) -> date | None: ...
def local_date(moment: datetime | None, timezone: str) -> date | None:
    return moment.astimezone(ZoneInfo(timezone)).date() if moment else None


def last_meeting_day(pair: Pair, program: Program) -> date | None:
    last = db.session.scalar(
        sa.select(sa.func.max(Meeting.occurred_at)).where(
            Meeting.pair_id == pair.id, Meeting.status == MeetingStatus.HELD
        )
    )
    return local_date(last, program.timezone)


def _utc_bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    return (
        datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC),
        datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC),
    )


def judge_period(
    pair: Pair,
    program: Program,
    requirement: MeetingRequirement,
    start: date,
    end: date,
    *,
    closed: bool,
) -> Compliance:
    """Count the period's held meetings and record whether they meet the requirement."""
    low, high = _utc_bounds(start, end, program.timezone)
    count, minutes = db.session.execute(
        sa.select(
            sa.func.count(Meeting.id), sa.func.coalesce(sa.func.sum(Meeting.duration_minutes), 0)
        ).where(
            Meeting.pair_id == pair.id,
            Meeting.status == MeetingStatus.HELD,
            Meeting.occurred_at >= low,
            Meeting.occurred_at < high,
        )
    ).one()
    record = db.session.scalar(
        sa.select(Compliance).where(Compliance.pair_id == pair.id, Compliance.period_start == start)
    )
    if record is None:
        record = Compliance(
            pair_id=pair.id,
            period_start=start,
            period_end=end,
            required_meetings=requirement.meetings,
            required_minutes=requirement.minutes,
        )
        db.session.add(record)
    minutes = int(minutes or 0)  # never None: coalesced
    record.meetings, record.minutes = count, minutes
    record.compliant = requirement.met_by(count, minutes)
    record.closed = record.closed or closed
    record.updated_at = now()
    return record
