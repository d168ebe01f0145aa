"""The console's form for attaching an inbound event to a pair."""

from __future__ import annotations

from wtforms import validators

from service.web.forms import ConsoleForm, Id


class ResolveForm(ConsoleForm):
    pair_id = Id(validators=[validators.DataRequired("Choose the pair this event belongs to.")])
