"""E-mail notifications: queued in the caller's transaction, sent by a job, retried with
back-off, and marked failed (visible, never dropped) when every attempt failed."""

from __future__ import annotations

import logging
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from jinja2 import TemplateNotFound

from service.clock import now
from service.database import db
from service.events import service as events
from service.notifications import mailer
from service.notifications.models import Notification, NotificationStatus

log = logging.getLogger(__name__)

# Waits before each retry of a failed send: 30 s, 2 min, 10 min, 30 min, 2 h.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
)


def queue_email(
    *,
    template: str,
    to_address: str,
    context: dict[str, Any],
    language: str = "en",
    participant_id: int | None = None,
    pair_id: int | None = None,
) -> Notification:
    notification = Notification(
        template=template,
        to_address=to_address,
        language=language,
        context=context,
        participant_id=participant_id,
        pair_id=pair_id,
    )
    db.session.add(notification)
    db.session.flush()
    events.emit("notification.queued", {"notification_id": notification.id})
    return notification


def _render(template: str, language: str, extension: str, context: dict[str, Any]) -> str:
    for name in (f"email/{template}.{language}.{extension}", f"email/{template}.{extension}"):
        try:
            return render_template(name, **context)
        except TemplateNotFound:
            continue
    raise TemplateNotFound(f"email/{template}.{extension}")


def build_message(notification: Notification) -> EmailMessage:
    """The e-mail, plain text and HTML. The text template's first line is `Subject: …`."""
    context = dict(notification.context)
    text = _render(notification.template, notification.language, "txt", context)
    subject_line, _, body = text.partition("\n")
    message = EmailMessage()
    message["Subject"] = subject_line.removeprefix("Subject:").strip()
    message["To"] = notification.to_address
    message["From"] = current_app.config["MAIL_FROM"]
    message.set_content(body.lstrip("\n"))
    try:
        html = _render(notification.template, notification.language, "html", context)
        message.add_alternative(html, subtype="html")
    except TemplateNotFound:
        pass
    return message


def deliver(notification_id: int) -> str:
    """Send one notification (a job). Retries are scheduled here, so the final failure is
    recorded on the row rather than lost in a queue."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.status != NotificationStatus.PENDING:
        return "nothing to do"
    try:
        mailer.send(build_message(notification))
    except mailer.MailError as error:
        notification.attempts += 1
        notification.last_error = str(error)[:1000]
        if notification.attempts > len(RETRY_DELAYS):
            notification.status = NotificationStatus.FAILED
            db.session.commit()
            log.error("giving up on notification %s: %s", notification.id, error)
            return "failed"
        delay = RETRY_DELAYS[notification.attempts - 1]
        db.session.commit()
        from service.notifications.jobs import schedule_retry

        schedule_retry(notification.id, delay)
        return f"retrying in {delay}"
    notification.status = NotificationStatus.SENT
    notification.sent_at = now()
    notification.attempts += 1
    db.session.commit()
    return "sent"


def recent(*, limit: int = 100, status: str | None = None) -> list[Notification]:
    query = sa.select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status:
        query = query.where(Notification.status == status)
    return list(db.session.scalars(query))
