"""Append to the event log. Rows are never updated or deleted (enforced on the mapper)."""
from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.models import Event

_INSERT = insert(Event.__table__)


def record_event(session: Session, clock: Clock, *, actor: str, kind: str, case_id: int | None,
                 element_id: str | None = None, task_id: str | None = None, data: dict | None = None) -> None:
    """Append one event row in the caller's transaction.

    A plain INSERT, not an ORM object: every command writes events, and the unit of work costs more
    than the statement. Rows still waiting in the session are flushed first (the event may be about
    a case added a moment ago)."""
    if session.new:
        session.flush()
    session.connection().execute(_INSERT, {"case_id": case_id, "at": clock.now(), "actor": actor, "kind": kind,
                                           "element_id": element_id, "task_id": task_id, "data": data})


@sa_event.listens_for(Event, "before_update")
@sa_event.listens_for(Event, "before_delete")
def _append_only(mapper, connection, target):
    raise RuntimeError("The event log is append-only")
