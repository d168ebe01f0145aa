"""Sending e-mail: over SMTP, or, on a laptop without SMTP_HOST, into instance/mail/."""

from __future__ import annotations

import functools
import smtplib
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.policy import default as default_policy
from pathlib import Path

from flask import Flask, current_app


class _RememberedHeaders(HeaderRegistry):
    """The standard header registry, remembering the headers it has parsed.

    With the standard policy, building a two-part e-mail parses its Content-Type headers a
    dozen times over (each `get_content_type` parses the header afresh): 1.6 ms of the 1.9
    it takes here. Parsed headers are immutable, and every e-mail repeats the same few, so
    each is parsed once. The e-mail's bytes are the same.
    """

    def __call__(self, name: str, value: str) -> BaseHeader:
        return _parsed(name, value)


_STANDARD_HEADERS = HeaderRegistry()


@functools.lru_cache(maxsize=2048)
def _parsed(name: str, value: str) -> BaseHeader:
    return _STANDARD_HEADERS(name, value)


# The standard (RFC 5322, Unicode-aware) policy, with parsed headers remembered.
MAIL_POLICY: EmailPolicy[EmailMessage] = default_policy.clone(header_factory=_RememberedHeaders())


class MailError(RuntimeError):
    pass


class _Smtp:
    """One SMTP session for a batch; a broken session is opened again for the next message."""

    def __init__(self, app: Flask) -> None:
        self.config = app.config
        self.session: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        config = self.config
        session = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15)
        if config["SMTP_STARTTLS"]:
            session.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            session.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        return session

    def send(self, message: EmailMessage) -> None:
        try:
            if self.session is None:
                self.session = self._open()
            self.session.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise MailError(f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        if self.session is not None:
            with suppress(OSError, smtplib.SMTPException):
                self.session.quit()
            self.session = None


class _Folder:
    """Development only: each message becomes a .eml file a mail program can open."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{time.time_ns()}.eml").write_bytes(bytes(message))

    def close(self) -> None:
        pass


class _Refusing:
    def send(self, message: EmailMessage) -> None:
        raise MailError("SMTP_HOST is not set; e-mail cannot be sent")

    def close(self) -> None:
        pass


@contextmanager
def connection(app: Flask | None = None) -> Iterator[_Smtp | _Folder | _Refusing]:
    app = app or current_app
    outbox: _Smtp | _Folder | _Refusing
    if app.config.get("SMTP_HOST"):
        outbox = _Smtp(app)
    elif app.config["PAIRWISE_ENV"] == "production":
        outbox = _Refusing()
    else:
        outbox = _Folder(Path(app.instance_path) / "mail")
    try:
        yield outbox
    finally:
        outbox.close()
