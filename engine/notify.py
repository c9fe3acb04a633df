"""Queue notifications in the outbox; senders (SMTP, development) deliver them later."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.models.notifications import Notification


def queue_notification(session: Session, clock: Clock, *, recipient: str, subject: str, body: str,
                       case_id: int | None = None) -> Notification:
    """Add a pending message to the outbox."""
    now = clock.now()
    row = Notification(case_id=case_id, recipient=recipient, subject=subject, body=body, status="pending",
                       attempts=0, created_at=now, next_attempt_at=now)
    session.add(row)
    return row
