"""The playbook and the signals agree: every signal a survey can raise has an entry, and
every entry is for a signal that a survey answer or an event can raise."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from surveys import loader
from workflows import meeting_rules
from workflows.playbook import APPROACHES
from workflows.signals import SIGNALS

ROOT = Path(__file__).resolve().parents[2]
# The one signal a person raises by hand: a coordinator flagging a pair with a reason of
# their own, when no listed signal fits.
BY_HAND = {"coordinator_flag"}


def _raised_by_surveys() -> set[str]:
    codes: set[str] = set()
    for definition, _ in loader.standard().values():
        codes |= {rule.signal for rule in definition.all_rules}
        codes |= {trend.signal for trend in definition.trends}
    return codes


def _raised_by_meeting_events() -> set[str]:
    due = datetime(2026, 3, 2, 12, tzinfo=UTC)
    earlier = (due - timedelta(days=2), due - timedelta(days=1))
    streaks = meeting_rules.Streaks(missed=earlier, late=earlier)
    thresholds = meeting_rules.Thresholds()
    codes: set[str] = set()
    for kind in meeting_rules.MeetingEventType:
        observation = meeting_rules.Observation(kind, due, notice_hours=1, cancelled_by="mentee")
        codes |= {s.code for s in meeting_rules.signals_for(observation, streaks, thresholds)}
    return codes


def _raised_by_the_service() -> set[str]:
    """Signals the service raises from what happens (the calendar's overdue contacts and
    meeting requirement): every `RaisedSignal("code", …)` it writes."""
    pattern = re.compile(r'RaisedSignal\(\s*"([a-z_]+)"')
    return {
        code
        for path in (ROOT / "service").rglob("*.py")
        for code in pattern.findall(path.read_text())
    }


def test_every_signal_a_survey_can_raise_has_a_playbook_entry():
    assert _raised_by_surveys() - set(APPROACHES) == set()


def test_every_signal_in_the_catalogue_has_a_playbook_entry():
    assert set(SIGNALS) - set(APPROACHES) == set()


def test_every_playbook_signal_can_be_raised_by_a_survey_answer_or_an_event():
    raisable = _raised_by_surveys() | _raised_by_meeting_events() | _raised_by_the_service()

    assert set(APPROACHES) - raisable - BY_HAND == set()


def test_the_meeting_events_raise_both_of_their_warning_signs():
    assert _raised_by_meeting_events() == {"missed_meetings", "last_minute_rescheduling"}
