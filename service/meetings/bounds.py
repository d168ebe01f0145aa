"""What a meeting record accepts, declared once for the API's `MeetingSchema` and the
console's meeting form (`tests/console/test_form_bounds.py` checks both sides)."""

from __future__ import annotations

# A day at most: longer is a typo, not a meeting.
DURATION_MINUTES: tuple[int, int] = (1, 1440)
ATTENDEES: tuple[str, ...] = ("mentor", "mentee", "guardian", "coordinator")
LOCATION_MAX = 200
ACTIVITIES_MAX = 5000
