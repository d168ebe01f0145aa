"""The one place the service asks what time it is, so tests can move the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def today_in(timezone: str) -> date:
    return now().astimezone(ZoneInfo(timezone)).date()
