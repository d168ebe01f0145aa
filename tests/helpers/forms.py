"""What the pages' forms carry, read from the HTML the server drew."""

from __future__ import annotations

import re


def csrf_token_in(page: str, where: str) -> str:
    """The CSRF token a page's forms carry (Flask-WTF's hidden field); `where` names the page
    in the failure."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"{where} has no CSRF token"
    return match.group(1)
