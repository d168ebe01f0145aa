"""The pair pages of the console: one blueprint, one module per flow.

Views are thin: they read their form (`service/pairs/forms.py`), call the same service
functions the API calls, and redirect back with what happened (a refusal, or what is wrong
with the form, is shown as a flash message on the page).
"""

from service.pairs.views import (
    actions,
    agreement,
    bulk,
    choice,
    closure,
    ending,
    group,
    notes,
    page,
    rematch,
    staff,
    training,
)
from service.pairs.views.common import blueprint

# Importing each flow registers its routes on the blueprint.
__all__ = [
    "actions",
    "agreement",
    "blueprint",
    "bulk",
    "choice",
    "closure",
    "ending",
    "group",
    "notes",
    "page",
    "rematch",
    "staff",
    "training",
]
