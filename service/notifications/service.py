"""E-mail notifications: written in the transaction that calls for them, sent in batches by
a job the clock starts when mail is waiting, retried with back-off, and marked failed
(visible, never dropped) when every attempt failed.

The notifications table is its own outbox: a row is claimed by compare-and-set before it is
sent, so however many jobs reach it, it is sent once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app, render_template
from jinja2 import TemplateNotFound

from service.clock import now
from service.database import db, insert_rows, rowcount, table_of, transaction
from service.notifications import mailer
from service.notifications.models import Notification, NotificationStatus

if TYPE_CHECKING:
    from service.participants.models import Participant
    from service.programs.models import Program

log = logging.getLogger(__name__)

# Waits before each retry of a failed send: 30 s, 2 min, 10 min, 30 min, 2 h.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
)
BATCH_SIZE = 100
STALLED_AFTER = timedelta(minutes=10)


def queue_email(
    *,
    template: str,
    to_address: str,
    context: dict[str, Any],
    language: str = "en",
    participant_id: int | None = None,
    pair_id: int | None = None,
) -> Notification:
    """An e-mail to send; it is sent only if the caller's transaction commits."""
    notification = Notification(
        template=template,
        to_address=to_address,
        language=language,
        context=context,
        participant_id=participant_id,
        pair_id=pair_id,
        next_attempt_at=now(),
    )
    db.session.add(notification)
    db.session.flush()
    return notification


def queue_emails(emails: Sequence[dict[str, Any]]) -> None:
    """`queue_email` for many e-mails (each a dict of its arguments): one INSERT, compiled once,
    for all the rows."""
    if not emails:
        return
    moment = now()
    rows = [
        {
            "language": "en",
            "participant_id": None,
            "pair_id": None,
            **email,
            "status": NotificationStatus.PENDING,
            "attempts": 0,
            "created_at": moment,
            "next_attempt_at": moment,
        }
        for email in emails
    ]
    insert_rows(table_of(Notification), rows)


def participant_email(
    participant: Participant,
    program: Program,
    *,
    template: str,
    pair_id: int | None,
    **context: Any,
) -> dict[str, Any]:
    """The arguments of `queue_email` for an e-mail to a participant, in their language,
    greeting them by name."""
    return {
        "template": template,
        "to_address": participant.email,
        "language": participant.language,
        "participant_id": participant.id,
        "pair_id": pair_id,
        "context": {"name": participant.full_name, "program": program.name, **context},
    }


def email_participant(
    participant: Participant,
    program: Program,
    *,
    template: str,
    pair_id: int | None,
    **context: Any,
) -> Notification:
    """An e-mail to a participant, in their language, greeting them by name."""
    return queue_email(
        **participant_email(participant, program, template=template, pair_id=pair_id, **context)
    )


def _names(template: str, language: str) -> tuple[str, str]:
    """The text and HTML template names in the recipient's language, else in English; both
    parts of one e-mail are always in the same language."""
    localised = f"email/{template}.{language}.txt"
    if language != "en" and _exists(localised):
        return localised, f"email/{template}.{language}.html"
    return f"email/{template}.txt", f"email/{template}.html"


def _exists(name: str) -> bool:
    try:
        current_app.jinja_env.get_template(name)
        return True
    except TemplateNotFound:
        return False


def build_message(notification: Notification) -> EmailMessage:
    """The e-mail, plain text and HTML. The text template's first line is `Subject: …`."""
    context = dict(notification.context)
    text_name, html_name = _names(notification.template, notification.language)
    text = render_template(text_name, **context)
    subject_line, _, body = text.partition("\n")
    message = EmailMessage(policy=mailer.MAIL_POLICY)
    message["Subject"] = subject_line.removeprefix("Subject:").strip()
    message["Date"] = format_datetime(now())
    message["To"] = notification.to_address
    message["From"] = current_app.config["MAIL_FROM"]
    message.set_content(body.lstrip("\n"))
    if _exists(html_name):
        message.add_alternative(render_template(html_name, **context), subtype="html")
    return message


def waiting() -> bool:
    """Is mail due to be sent? (The clock asks, to start a delivery job.)"""
    return (
        db.session.scalar(
            sa.select(Notification.id)
            .where(
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at <= now(),
            )
            .limit(1)
        )
        is not None
    )


def _claim(ids: Iterable[int]) -> list[int]:
    """Claim the given pending notifications in one statement; returns those this sender
    won (a row another sender claimed first is no longer pending, and is not returned)."""
    wanted = list(ids)
    if not wanted:
        return []
    won = db.session.scalars(
        sa.update(Notification)
        .where(
            Notification.id.in_(wanted),
            Notification.status == NotificationStatus.PENDING,
        )
        .values(status=NotificationStatus.SENDING, claimed_at=now())
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(won)


def deliver(ids: Iterable[int]) -> dict[str, int]:
    """Send the given notifications over one SMTP connection. Returns what happened."""
    claimed = _claim(ids)
    outcome = {"sent": 0, "retrying": 0, "failed": 0}
    if not claimed:
        return outcome
    rows = db.session.scalars(sa.select(Notification).where(Notification.id.in_(claimed))).all()
    with mailer.connection() as outbox:
        for notification in sorted(rows, key=lambda n: n.id):
            # Each send is recorded at once; the rows are this sender's (claimed), so the
            # commit need not expire them and the next one's e-mail costs no reload.
            with transaction(keep_loaded=True):
                try:
                    outbox.send(build_message(notification))
                except Exception as error:  # a broken template fails like a refused send
                    log.warning("notification %s not sent: %s", notification.id, error)
                    outcome[_failed(notification, error)] += 1
                else:
                    notification.status = NotificationStatus.SENT
                    notification.sent_at = now()
                    notification.attempts += 1
                    outcome["sent"] += 1
    return outcome


def _failed(notification: Notification, error: Exception) -> str:
    notification.attempts += 1
    notification.last_error = str(error)[:1000]
    if notification.attempts > len(RETRY_DELAYS):
        notification.status = NotificationStatus.FAILED
        log.error("giving up on notification %s: %s", notification.id, error)
        return "failed"
    notification.status = NotificationStatus.PENDING
    notification.next_attempt_at = now() + RETRY_DELAYS[notification.attempts - 1]
    return "retrying"


def deliver_waiting(*, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send batches of due mail until none is left (the delivery job)."""
    total = {"sent": 0, "retrying": 0, "failed": 0}
    while True:
        due = db.session.scalars(
            sa.select(Notification.id)
            .where(
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at <= now(),
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
        ).all()
        if not due:
            return total
        for key, count in deliver(due).items():
            total[key] += count


def deliver_now(pending: list[Notification]) -> None:
    """Send urgent e-mails at once, after the caller committed; the delivery job, when it
    comes, finds them sent."""
    if pending:
        deliver([n.id for n in pending])


def recover_stalled() -> int:
    """Hand back sends that died halfway (a worker killed mid-send) to be tried again."""
    recovered = db.session.execute(
        sa.update(Notification)
        .where(
            Notification.status == NotificationStatus.SENDING,
            Notification.claimed_at < now() - STALLED_AFTER,
        )
        .values(status=NotificationStatus.PENDING, next_attempt_at=now())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rowcount(recovered)


def recent(*, limit: int = 100, status: str | None = None) -> list[Notification]:
    query = sa.select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status:
        query = query.where(Notification.status == status)
    return list(db.session.scalars(query))
