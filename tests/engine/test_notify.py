"""The outbox: reminders are stored with the step that made them and delivered, retried, or kept."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.models import Notification
from engine.notify import BACKOFF_MINUTES, OutboxOnlySender, Sender, SmtpSender, deliver_pending, queue_notification


class FlakySender(Sender):
    def __init__(self, failures: int):
        self.failures, self.sent = failures, []

    def send(self, notification):
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("smtp down")
        self.sent.append(notification.subject)


def queue(sessions, clock, subject="Påminnelse"):
    with sessions.begin() as session:
        queue_notification(session, clock, recipient="sara@example.se", subject=subject,
                           body="Vi väntar på din månadsrapport.")
        return session.scalars(select(Notification.id).where(Notification.subject == subject)).one()


def status(sessions, notification_id):
    with sessions() as session:
        row = session.get(Notification, notification_id)
        return row.status, row.attempts


def test_failed_send_is_retried_with_back_off_and_then_sent(sessions, clock):
    note = queue(sessions, clock)
    sender = FlakySender(failures=2)
    assert deliver_pending(sessions, sender, clock=clock) == (0, 1)
    assert deliver_pending(sessions, sender, clock=clock) == (0, 0)  # waiting for its back-off
    clock.advance(timedelta(minutes=BACKOFF_MINUTES[0]))
    assert deliver_pending(sessions, sender, clock=clock) == (0, 1)
    clock.advance(timedelta(minutes=BACKOFF_MINUTES[1]))
    assert deliver_pending(sessions, sender, clock=clock) == (1, 0)
    assert status(sessions, note) == ("sent", 3) and sender.sent == ["Påminnelse"]


def test_a_message_that_never_goes_out_is_kept_as_failed(sessions, clock):
    note = queue(sessions, clock)
    sender = FlakySender(failures=100)
    for _ in range(len(BACKOFF_MINUTES) + 1):
        deliver_pending(sessions, sender, clock=clock)
        clock.advance(timedelta(days=1))
    assert status(sessions, note) == ("failed", len(BACKOFF_MINUTES) + 1)
    with sessions() as session:
        assert "smtp down" in session.get(Notification, note).last_error


def test_development_sender_marks_messages_sent(sessions, clock):
    note = queue(sessions, clock)
    assert deliver_pending(sessions, OutboxOnlySender(), clock=clock) == (1, 0)
    assert status(sessions, note)[0] == "sent"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, received
    controller.stop()


def test_smtp_sender_delivers_swedish_text_with_a_case_link(sessions, clock, smtp_server):
    controller, received = smtp_server
    note = queue(sessions, clock, subject="Månadsrapport saknas")
    sender = SmtpSender("127.0.0.1", controller.port, sender="kompis@kommun.se",
                        base_url="https://kompis.kommun.se")
    with sessions.begin() as session:
        session.get(Notification, note).case_id = None
    assert deliver_pending(sessions, sender, clock=clock) == (1, 0)
    [mail] = received
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(mail["Subject"]))) == "Månadsrapport saknas"
    assert mail["To"] == "sara@example.se"
    assert "månadsrapport" in mail.get_payload(decode=True).decode("utf-8")
