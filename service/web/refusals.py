"""What the console does with a refusal: it shows the words on the page it came from.

A refusal is a domain's (`service.errors.DomainError`, from a service function) or the
console's own (`Problem`, raised by a view that could not read its form). Either way the
coordinator reads `detail` in a flash message, never an error page.
"""

from __future__ import annotations

from service.errors import DomainError
from service.problems import Problem

REFUSALS: tuple[type[DomainError], type[Problem]] = (DomainError, Problem)
