"""A real SMTP server on localhost, and what it received."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage

from service.notifications.mailer import MAIL_POLICY


class Inbox:
    """What a real SMTP server on localhost received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        # Read as a mail program reads them, with the product's policy: the standard one,
        # remembering the headers it parsed (parsing each message's Content-Type headers
        # afresh would cost 5 ms a message, and a simulated year receives thousands).
        self.messages.append(message_from_bytes(envelope.content, policy=MAIL_POLICY))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]
