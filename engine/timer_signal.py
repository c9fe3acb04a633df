"""Tell schedulers that a new timer exists, once the transaction that made it commits.

In the same process, listeners are called after commit; across processes on PostgreSQL a
`NOTIFY kompis_timers` (delivered by the database at commit) reaches every `kompis scheduler`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import event, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
CHANNEL = "kompis_timers"
_listeners: list[Callable[[datetime], None]] = []
_KEY = "kompis_earliest_new_timer"


def subscribe(listener: Callable[[datetime], None]) -> None:
    _listeners.append(listener)


def unsubscribe(listener: Callable[[datetime], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def scheduled(session: Session, due_at: datetime) -> None:
    """Note a new or moved timer in this transaction."""
    earliest = session.info.get(_KEY)
    if earliest is not None and earliest <= due_at:
        return
    session.info[_KEY] = due_at


@event.listens_for(Session, "before_commit")
def _notify_other_processes(session: Session) -> None:
    # Once, at the end: a statement in the middle of a batch would send its held writes early
    # (engine.held_writes). PostgreSQL delivers the NOTIFY at commit either way.
    due_at = session.info.get(_KEY)
    if due_at is not None and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :due)"), {"channel": CHANNEL, "due": due_at.isoformat()})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    due_at = session.info.pop(_KEY, None)
    if due_at is None:
        return
    for listener in list(_listeners):
        try:
            listener(due_at)
        except Exception:  # noqa: BLE001 - a listener must never break a commit
            log.exception("timer listener failed")


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
