"""The insights page's filters, read from the query string: the period and a coordinator."""

from __future__ import annotations

from service.web.forms import ConsoleForm, Day, Id


class InsightsFilterForm(ConsoleForm):
    class Meta:
        csrf = False

    since = Day("From")
    until = Day("To")
    coordinator = Id("Coordinator")
