"""The console's own small forms."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, validators

from service.accounts import saved_views
from service.console import inbox_list, proposal_list, queries
from service.console.pair_list import SORTS, Criteria
from service.pairs.bulk import MAX_AT_ONCE, sendable_surveys
from service.participants import bounds as participant_bounds
from service.web.forms import (
    ConsoleForm,
    Id,
    Text,
    WholeNumber,
    at_most,
    between,
    choices_of,
    one_of,
)
from workflows.pairing import State

# What can be done to several pairs at once from the list.
BULK_ACTIONS = ("hand_over", "send_survey")


class InboxItemForm(ConsoleForm):
    """An inbox item marked read; one that is not a number is ignored."""

    item = Id(validators=[validators.DataRequired()])


class PairListForm(ConsoleForm):
    """The pairs list's search, filters, order and place (read from the page's address,
    so a list can be bookmarked, shared and exported as it is shown)."""

    q = Text("Search", at_most("Search", participant_bounds.SEARCH[1]))
    program = Id("Program")
    coordinator = Id("Coordinator")
    state = SelectField(
        "State",
        choices=choices_of(["", *State]),
        validate_choice=False,
        validators=one_of(list(State), "Choose a state.", optional=True),
    )
    # Narrowed from the dashboard's counts: in their state for at most `within` days, and
    # what the pairs need (an overdue contact, a follow-up, more meetings).
    within = WholeNumber(
        "Days in their state",
        between("Days in their state", (0, queries.MAX_WITHIN_DAYS), optional=True),
    )
    need = SelectField(
        "Needing",
        choices=choices_of(["", *queries.Need]),
        validate_choice=False,
        validators=one_of(list(queries.Need), "Choose what the pairs need.", optional=True),
    )
    sort = SelectField(
        "Sort by",
        choices=choices_of(SORTS),
        validate_choice=False,
        validators=one_of(SORTS, "Choose an order.", optional=True),
    )
    after = Id()

    def criteria(self) -> Criteria:
        return Criteria(
            filters=queries.Filters(
                program_id=self.program.data,
                coordinator_id=self.coordinator.data,
                state=self.state.data or None,
                # Read also from a refused form (its page shows the filters as they were).
                within_days=self.within.data
                if self.within.data is not None and 0 <= self.within.data <= queries.MAX_WITHIN_DAYS
                else None,
                need=queries.Need(self.need.data) if self.need.data in set(queries.Need) else None,
            ),
            search=(self.q.data or "").strip(),
            sort=self.sort.data or "number",
        )


class PairBulkForm(PairListForm):
    """An action on the pairs ticked on the list, or on every pair it shows (the list's
    search and filters come with it); `confirmed` once it has been read back."""

    action = SelectField(
        choices=choices_of(BULK_ACTIONS),
        validate_choice=False,
        validators=one_of(BULK_ACTIONS, "Choose what to do."),
    )
    pair = SelectMultipleField(coerce=int, validate_choice=False)
    everything = BooleanField()
    to_coordinator = Id("Coordinator")
    survey = StringField()
    confirmed = BooleanField()

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not valid:
            return False
        if not self.pair.data and not self.everything.data:
            self.pair.errors = ["Tick the pairs to act on, or choose every pair in the list."]
        elif len(self.pair.data or []) > MAX_AT_ONCE:
            self.pair.errors = [f"At most {MAX_AT_ONCE} pairs at once."]
        elif self.action.data == "hand_over" and self.to_coordinator.data is None:
            self.to_coordinator.errors = ["Choose the coordinator to hand the pairs over to."]
        elif self.action.data == "send_survey" and self.survey.data not in sendable_surveys():
            self.survey.errors = ["Choose the survey to send."]
        else:
            return True
        return False


class ProposalListForm(ConsoleForm):
    """The proposals list's search, filters, order and place (from the page's address)."""

    q = Text("Search", at_most("Search", participant_bounds.SEARCH[1]))
    program = Id("Program")
    coordinator = Id("Coordinator")
    sort = SelectField(
        "Sort by",
        choices=choices_of(proposal_list.ORDERS),
        validate_choice=False,
        validators=one_of(proposal_list.ORDERS, "Choose an order.", optional=True),
    )
    after = Id()

    def criteria(self) -> proposal_list.Criteria:
        return proposal_list.Criteria(
            filters=queries.Filters(
                program_id=self.program.data, coordinator_id=self.coordinator.data
            ),
            search=(self.q.data or "").strip(),
            sort=self.sort.data or proposal_list.DEFAULT_ORDER,
        )


class InboxListForm(ConsoleForm):
    """The inbox's search, order and place (from the page's address)."""

    q = Text("Search", at_most("Search", participant_bounds.SEARCH[1]))
    unread = BooleanField("Unread only")
    sort = SelectField(
        "Sort by",
        choices=choices_of(inbox_list.ORDERS),
        validate_choice=False,
        validators=one_of(inbox_list.ORDERS, "Choose an order.", optional=True),
    )
    after = Id()
    # The group the item `after` was in when the page before was read (see inbox_list.Page).
    group = Id()

    def criteria(self) -> inbox_list.Criteria:
        return inbox_list.Criteria(
            search=(self.q.data or "").strip(),
            sort=self.sort.data or inbox_list.DEFAULT_ORDER,
            unread_only=bool(self.unread.data),
        )


class SavedViewForm(ConsoleForm):
    """The list as shown, kept under a name."""

    name = Text(
        "Name of the view",
        at_most("Name of the view", saved_views.NAME_MAX, required="Give the view a name."),
    )
    query = StringField()
