"""What a domain refuses, in its own terms.

Services raise these, never HTTP problems: the edge that called them decides what a refusal
becomes. The API answers with problem JSON (`service/problems.py` maps `problem_type` to the
catalogue's type and status), the console shows the detail on the page, a background job logs
it as the job's outcome. `problem_type` is the stable slug of the problem catalogue, so a
client sees the same `type` whichever service refused.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal: `detail` says why in words a coordinator can read; `extensions` carry the
    machine-readable facts (ids, states, lists) that the API adds to its problem document."""

    problem_type: ClassVar[str] = "conflict"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(DomainError):
    problem_type = "not-found"

    @classmethod
    def of(cls, what: str, ident: object) -> NotFound:
        return cls(f"No {what} with id {ident}.")


class Invalid(DomainError):
    """Input that names something wrong: one field, or several (`errors`)."""

    problem_type = "validation-error"

    def __init__(self, field: str, message: str, *, location: str = "json") -> None:
        super().__init__(
            f"{field}: {message}.",
            errors=[{"location": location, "field": field, "message": message}],
        )

    @classmethod
    def many(cls, errors: list[dict[str, str]]) -> Invalid:
        """Several fields at once, each `{"location", "field", "message"}`."""
        error = cls.__new__(cls)
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        DomainError.__init__(error, summary or "Invalid input.", errors=errors)
        return error


class Conflict(DomainError):
    """The request contradicts what exists now (a mentee already paired, a pair closed)."""

    problem_type = "conflict"


class Forbidden(DomainError):
    """The actor may not do this, whatever the data says."""

    problem_type = "forbidden"


class ConcurrentUpdate(DomainError):
    """Someone changed the row first; reading it again and retrying is safe."""

    problem_type = "concurrent-update"


class TriggerNotAllowed(DomainError):
    problem_type = "trigger-not-allowed"


class GuardFailed(DomainError):
    problem_type = "guard-failed"


class AlreadyDecided(DomainError):
    """A proposal was decided by someone else first."""

    problem_type = "proposal-already-decided"
