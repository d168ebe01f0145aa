"""The console's forms for webhook endpoints; the bounds are the API's (`bounds.py`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from wtforms import DateTimeField, StringField

from service.events.catalog import public_event_types
from service.web.forms import (
    Choices,
    ConsoleForm,
    Text,
    at_most,
    choices_of,
    one_of,
    parse_stripped,
)
from service.webhooks import bounds


class EndpointForm(ConsoleForm):
    url = Text("URL", at_most("URL", bounds.URL_MAX, required="Give the endpoint's URL."))
    description = Text("Description", at_most("Description", bounds.DESCRIPTION_MAX))
    # None ticked: every event type.
    event_types = Choices("Event types", choices=choices_of(["*", *public_event_types()]))


ACTIONS = ("enable", "disable", "rotate", "redeliver_failed", "delete")


class Moment(DateTimeField):
    """A date and time; without an offset it is UTC."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        parse_stripped(
            self, valuelist, _utc_moment, f"{self.name}: a date and time such as 2026-11-24T09:00"
        )


def _utc_moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class EndpointActionForm(ConsoleForm):
    action = StringField(validators=one_of(ACTIONS, "Unknown action."))
    # redeliver_failed: the failed deliveries in this range are sent again.
    since = Moment()
    until = Moment()
