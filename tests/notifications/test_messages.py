"""The e-mail a notification becomes."""

from __future__ import annotations

from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.policy import SMTP
from email.policy import default as standard_policy
from io import BytesIO

import pytest
import time_machine

from service.notifications import mailer
from service.notifications.models import Notification
from service.notifications.service import build_message

WAITING_IN_SPANISH = Notification(
    template="waiting_kindly",
    language="es",
    to_address="José Pérez <jose@example.org>",
    context={"name": "José", "days": 45, "program": "Mentoría Ñandú"},
)


def _wire(notification: Notification) -> bytes:
    """The bytes sent over SMTP, the parts' boundary fixed (it is random)."""
    message = build_message(notification)
    message.set_boundary("boundary")
    written = BytesIO()
    BytesGenerator(written, policy=SMTP).flatten(message)
    return written.getvalue()


@pytest.mark.usefixtures("app_context")
def test_an_e_mail_is_written_byte_for_byte_as_the_standard_policy_writes_it(monkeypatch):
    with time_machine.travel(datetime(2026, 11, 30, 9, tzinfo=UTC), tick=False):
        remembered = [_wire(WAITING_IN_SPANISH), _wire(WAITING_IN_SPANISH)]
        monkeypatch.setattr(mailer, "MAIL_POLICY", standard_policy)
        standard = _wire(WAITING_IN_SPANISH)

    assert remembered == [standard, standard]
    assert b"To: =?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <jose@example.org>" in standard
    assert b"Content-Type: text/html" in standard
