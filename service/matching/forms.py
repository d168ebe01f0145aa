"""The cohort matching page's forms: reviewing a proposal (pin, swap, leave out, run again)
and committing it."""

from __future__ import annotations

from wtforms import ValidationError

from service.matching.bounds import COHORT_MAX
from service.pairs.forms import Lines
from service.schemas import MAX_ID
from service.web.forms import ConsoleForm, all_digits


def _couple(text: str) -> tuple[int, int] | None:
    """'12:4' → (pair 12, mentor 4); None when it is not two ids."""
    left, _, right = text.partition(":")
    if not (all_digits(left) and all_digits(right)):
        return None
    pair_id, mentor_id = int(left), int(right)
    if not (0 < pair_id <= MAX_ID and 0 < mentor_id <= MAX_ID):
        return None
    return pair_id, mentor_id


def _ids(values: list[str] | None) -> list[int]:
    return [int(v) for v in values or [] if all_digits(v) and 0 < int(v) <= MAX_ID]


class _Couples(Lines):
    def pre_validate(self, form: object) -> None:
        if len(self.data or []) > COHORT_MAX:
            raise ValidationError(f"At most {COHORT_MAX} pairs at once.")
        if any(_couple(v) is None for v in self.data or []):
            raise ValidationError("A pair and its mentor were not understood: run it again.")


class ReviewForm(ConsoleForm):
    """What the coordinator asks of a proposal, read from the page's address."""

    pin = _Couples("Pin")
    swap = Lines("Swap")
    exclude = Lines("Leave out")

    def validate_swap(self, field: Lines) -> None:
        if field.data and len(_ids(field.data)) != 2:
            raise ValidationError("Tick exactly two matches to swap their mentors.")

    def pins(self) -> dict[int, int]:
        return dict(c for v in self.pin.data or [] if (c := _couple(v)) is not None)

    def swapped(self) -> list[int]:
        return _ids(self.swap.data)

    def excluded(self) -> list[int]:
        return _ids(self.exclude.data)


class CommitForm(ConsoleForm):
    """The matches as proposed on the page: each 'pair:mentor'."""

    match = _Couples("Matches")

    def validate_match(self, field: _Couples) -> None:
        if not field.data:
            raise ValidationError("There is no match to commit.")

    def matches(self) -> list[tuple[int, int]]:
        return [c for v in self.match.data or [] if (c := _couple(v)) is not None]
