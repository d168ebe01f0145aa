"""Sending one e-mail: over SMTP, or, on a laptop without SMTP_HOST, into instance/mail/."""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage
from pathlib import Path

from flask import Flask, current_app


class MailError(RuntimeError):
    pass


def send(message: EmailMessage, app: Flask | None = None) -> None:
    app = app or current_app
    config = app.config
    if not message["From"]:
        message["From"] = config["MAIL_FROM"]
    if not config.get("SMTP_HOST"):
        if config["PAIRWISE_ENV"] == "production":
            raise MailError("SMTP_HOST is not set; e-mail cannot be sent")
        _write_to_folder(message, Path(app.instance_path) / "mail")
        return
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"{type(error).__name__}: {error}") from error


def _write_to_folder(message: EmailMessage, folder: Path) -> None:
    """Development only: each message becomes a .eml file a mail program can open."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}.eml"
    (folder / name).write_bytes(bytes(message))
