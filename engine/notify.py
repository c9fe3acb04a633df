"""The notification outbox and its senders. Messages are queued in the command's transaction and
delivered later by the scheduler; a failed send is retried with back-off and never lost."""
from __future__ import annotations

import logging
import os
import smtplib
from abc import ABC, abstractmethod
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock
from engine.held_writes import INSERT, write
from engine.models.notifications import Notification

log = logging.getLogger(__name__)
BACKOFF_MINUTES = (1, 5, 30, 120, 720)
_INSERT = insert(Notification.__table__)


def queue_notification(session: Session, clock: Clock, *, recipient: str, subject: str, body: str,
                       case_id: int | None = None) -> None:
    """Add a pending message to the outbox: a plain INSERT (inside engine.held_writes, sent with the
    command's other writes), as diagram code queues one on many steps."""
    now = clock.now()
    write(session, INSERT, _INSERT, [{"case_id": case_id, "recipient": recipient, "subject": subject, "body": body,
                                      "status": "pending", "attempts": 0, "last_error": None, "created_at": now,
                                      "next_attempt_at": now, "sent_at": None}])


class Sender(ABC):
    name = "sender"

    @abstractmethod
    def send(self, notification: Notification) -> None:
        """Deliver one message or raise."""


class OutboxOnlySender(Sender):
    """Development: the message stays in the outbox (shown on the outbox page) and counts as sent."""

    name = "outbox"

    def send(self, notification: Notification) -> None:
        log.info("outbox: %s <- %s", notification.recipient, notification.subject)


class SmtpSender(Sender):
    """Sends e-mail through the SMTP server named by KOMPIS_SMTP_* settings."""

    name = "smtp"

    def __init__(self, host: str, port: int = 25, *, sender: str, username: str | None = None,
                 password: str | None = None, starttls: bool = False, base_url: str = "", timeout: float = 10):
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls = username, password, starttls
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    @classmethod
    def from_environment(cls) -> SmtpSender:
        return cls(os.environ["KOMPIS_SMTP_HOST"], int(os.environ.get("KOMPIS_SMTP_PORT", "25")),
                   sender=os.environ.get("KOMPIS_SMTP_FROM", "kompis@localhost"),
                   username=os.environ.get("KOMPIS_SMTP_USER"), password=os.environ.get("KOMPIS_SMTP_PASSWORD"),
                   starttls=os.environ.get("KOMPIS_SMTP_STARTTLS", "") in ("1", "true", "yes"),
                   base_url=os.environ.get("KOMPIS_BASE_URL", ""))

    def send(self, notification: Notification) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, notification.recipient, notification.subject
        body = notification.body
        if notification.case_id and self.base_url:
            body += f"\n\nÄrende: {self.base_url}/cases/{notification.case_id}"
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def sender_from_environment() -> Sender:
    return SmtpSender.from_environment() if os.environ.get("KOMPIS_SMTP_HOST") else OutboxOnlySender()


def deliver_pending(sessions: sessionmaker, sender: Sender, *, clock: Clock, limit: int = 100) -> tuple[int, int]:
    """Send what is due in the outbox, one transaction per message; return (sent, failed attempts)."""
    sent = failed = 0
    with sessions() as session:
        ids = session.scalars(select(Notification.id).where(Notification.status == "pending",
                                                            Notification.next_attempt_at <= clock.now())
                              .order_by(Notification.next_attempt_at).limit(limit)).all()
    for notification_id in ids:
        with sessions.begin() as session:
            row = session.scalars(select(Notification).where(Notification.id == notification_id,
                                                             Notification.status == "pending")
                                  .with_for_update(skip_locked=True)).first()
            if row is None:
                continue
            row.attempts += 1
            try:
                sender.send(row)
            except Exception as exc:  # noqa: BLE001 - any failure is retried later
                failed += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                if row.attempts > len(BACKOFF_MINUTES):
                    row.status = "failed"  # kept, shown on the outbox page, can be re-queued
                else:
                    row.next_attempt_at = clock.now() + timedelta(minutes=BACKOFF_MINUTES[row.attempts - 1])
                log.warning("notification %s not sent (attempt %s): %s", row.id, row.attempts, exc)
            else:
                sent += 1
                row.status, row.sent_at, row.last_error = "sent", clock.now(), None
    return sent, failed


def requeue(session: Session, notification_id: int, *, clock: Clock) -> Notification:
    """Put a failed message back in the queue."""
    row = session.get(Notification, notification_id)
    row.status, row.attempts, row.next_attempt_at = "pending", 0, clock.now()
    return row
