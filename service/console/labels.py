"""What the console calls the calendar's contacts and checks, in plain words: "Mentee
check-in, 13 Dec", never a code."""

from __future__ import annotations

from datetime import date

from service.clock import now
from workflows.cadence import occasion_months, occasion_of

# One kind of contact or check, as a coordinator would say it.
KINDS: dict[str, str] = {
    # The calendar's entry for all of a pair's participants; each contact names one of them.
    "checkin": "Participants' check-ins",
    "staff_contact": "Your check-in with the pair",
    "in_depth": "In-depth support meeting",
    "first_meeting": "First-meeting check-in",
    "event_followup": "Follow-up after the event",
    "six_month_update": "Six-month update",
    "closure_reflection": "Closure reflection",
    "end_of_match": "Planned end of the match",
    "final_session_reminder": "Final session reminder",
    "no_meeting": "Check for a long time without a meeting",
    "meeting_requirement": "Meeting requirement period ends",
    "rematch_briefing": "New mentor's re-match briefing",
    "intervention_follow_up": "Follow-up on an intervention",
    "rematch_prompt": "Time to consider a re-match",
    "pause_end": "End of the pause",
}
# The outcome survey's occasions; a month N reads "N months on".
OCCASIONS = {"baseline": "at the start", "closure": "at closure"}
# A participant's survey contact is named for whom it goes to.
ROLES = {"mentee": "Mentee", "mentor": "Mentor", "guardian": "Parent or guardian"}


def contact_kind(kind: str, recipient: str | None = None) -> str:
    """'Mentee check-in', 'Your check-in with the pair', 'Six-month update (mentor)'."""
    role = (recipient or "").split(":")[0]
    occasion = occasion_of(kind)
    if occasion is not None:
        months = occasion_months(occasion)
        when = f"{months} months on" if months is not None else OCCASIONS.get(occasion, occasion)
        return f"Outcome survey ({when})"
    if kind == "checkin" and role in ROLES:
        return f"{ROLES[role]} check-in"
    label = KINDS.get(kind, kind.replace("_", " ").capitalize())
    if role in ROLES:
        return f"{label} ({ROLES[role].lower()})"
    return label


def short_day(day: date) -> str:
    """'13 Dec' this year, '13 Dec 2027' in another."""
    return f"{day.day} {day:%b}" if day.year == now().year else f"{day.day} {day:%b %Y}"


def contact(kind: str, day: date, recipient: str | None = None) -> str:
    """'Mentee check-in, 13 Dec'."""
    return f"{contact_kind(kind, recipient)}, {short_day(day)}"
