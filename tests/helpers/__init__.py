"""What tests share besides fixtures (those live in the conftest.py files).

The API client and the small world most tests start from are importable from here; the
rest by module: `staff` (the console), `calendar` (simulated time), `servers` (ports and
processes), `mail`, `receiver`, `inbound` (meeting senders), `browser`, `forms` (what a
page's forms carry), `faults`, `jobs`.
"""

from tests.helpers.world import CALM_MENTEE_CHECKIN, Api, SurveyTaker, World, invite

__all__ = ["CALM_MENTEE_CHECKIN", "Api", "SurveyTaker", "World", "invite"]
