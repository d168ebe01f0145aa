"""What the matching API and the cohort page accept, declared once."""

from __future__ import annotations

# Suggestions for one mentee: how many mentors at most in one answer.
SUGGESTIONS_MAX = 100
# A cohort the coordinator pins, leaves out or commits at once.
COHORT_MAX = 5000
