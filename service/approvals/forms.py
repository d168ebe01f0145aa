"""The console's form for deciding a proposal; the reason's bound is the API's."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, SelectMultipleField, StringField, ValidationError

from service.approvals import bounds
from service.approvals.bulk import MAX_AT_ONCE
from service.web.forms import ConsoleForm, Text, at_most, one_of


class DecisionForm(ConsoleForm):
    decision = StringField(validators=one_of(("approve", "reject"), "Approve or reject."))
    reason = Text("Reason", at_most("Reason", bounds.REASON_MAX))
    back = StringField()

    def validate(self, extra_validators: Any = None) -> bool:
        # Not an inline `validate_reason`: an empty reason stops its field's checks early.
        valid = super().validate(extra_validators)
        if valid and self.decision.data == "reject" and not self.reason.data:
            self.reason.errors = [
                *self.reason.errors,
                "Say why you reject it; the reason is recorded.",
            ]
            return False
        return valid

    def back_to(self) -> str | None:
        """Where the form was posted from, if it is a console page (never another site)."""
        target = self.back.data or ""
        return target if target.startswith("/console") and "//" not in target else None


class BulkDecisionForm(DecisionForm):
    """Several proposals, one decision and one reason; `confirmed` once the member of staff
    has read what it will do."""

    proposal = SelectMultipleField(coerce=int, validate_choice=False)
    confirmed = BooleanField()

    def validate_proposal(self, field: SelectMultipleField) -> None:
        if not field.data:
            raise ValidationError("Tick the proposals to decide.")
        if len(field.data) > MAX_AT_ONCE:
            raise ValidationError(f"At most {MAX_AT_ONCE} proposals at once.")
