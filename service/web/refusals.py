"""What the console does with a refusal: it shows the words on the page it came from.

A refusal is a domain's (`service.errors.DomainError`, from a service function) or the
console's own (`Problem`, raised by a view that could not read its form). Either way the
coordinator reads `detail` in a flash message, never an error page.
"""

from __future__ import annotations

from service.errors import DomainError
from service.problems import PROBLEM_TYPES, Problem

REFUSALS: tuple[type[DomainError], type[Problem]] = (DomainError, Problem)


def status_of(refusal: DomainError | Problem) -> int:
    """The HTTP status of a refusal, for a page shown again with it (a 422 for a form)."""
    if isinstance(refusal, Problem):
        return refusal.type.status
    if isinstance(refusal, DomainError):
        return PROBLEM_TYPES[refusal.problem_type].status
    return 400
