"""What a webhook endpoint accepts, declared once for the API's `EndpointSchema` and the
console's registration form (`tests/console/test_form_bounds.py` checks both sides)."""

from __future__ import annotations

URL_MAX = 2000
DESCRIPTION_MAX = 500
