"""What a training record accepts, declared once for the API's schema and the console's form
(`tests/console/test_form_bounds.py` checks both sides read these)."""

from __future__ import annotations

# What a session covered: a few short topics ("safety", "boundaries", "goal setting").
TOPIC: tuple[int, int] = (1, 100)
TOPICS_MAX = 20
