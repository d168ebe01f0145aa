"""What a decision on a proposal accepts, declared once for the API's schemas and the
console's decision form (`tests/console/test_form_bounds.py` checks both sides)."""

from __future__ import annotations

# Why a proposal is approved (optional) or rejected (required).
REASON_MAX = 5000
