"""The console's own small forms."""

from __future__ import annotations

from wtforms import validators

from service.web.forms import ConsoleForm, Id


class InboxItemForm(ConsoleForm):
    """An inbox item marked read; one that is not a number is ignored."""

    item = Id(validators=[validators.DataRequired()])
