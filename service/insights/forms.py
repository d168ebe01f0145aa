"""The insights page's filters, read from the query string (the period and a coordinator),
and the warehouse export's (a time to start from and a format)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from wtforms import Field, SelectField
from wtforms.widgets import TextInput

from service.insights import warehouse
from service.web.forms import ConsoleForm, Day, Id, choices_of, one_of, parse_stripped


class InsightsFilterForm(ConsoleForm):
    class Meta:
        csrf = False

    since = Day("From")
    until = Day("To")
    coordinator = Id("Coordinator")


class Moment(Field):
    """A time like 2026-11-01T00:00:00+00:00 (an export's cursor; without an offset, UTC), or
    None when left empty."""

    widget = TextInput()
    data: datetime | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        parse_stripped(
            self,
            valuelist,
            _moment,
            f"{self.label.text}: use a time like 2026-11-01T00:00:00Z, as the cursor in the "
            "last export's manifest.json reads.",
        )

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.isoformat() if self.data else ""


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class WarehouseExportForm(ConsoleForm):
    class Meta:
        csrf = False

    since = Moment("Changed after")
    format = SelectField(
        "Format",
        choices=choices_of(warehouse.FORMATS),
        default="csv",
        validate_choice=False,  # the message below, in the console's words
        validators=one_of(warehouse.FORMATS, "Format: choose CSV or Parquet.", optional=True),
    )
