"""Append to the event log. Rows are never updated or deleted (enforced on the mapper)."""
from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.models import Event


def record_event(session: Session, clock: Clock, *, actor: str, kind: str, case_id: int | None,
                 element_id: str | None = None, task_id: str | None = None, data: dict | None = None) -> Event:
    """Add one event row (flushed with the command's other writes)."""
    row = Event(case_id=case_id, at=clock.now(), actor=actor, kind=kind, element_id=element_id,
                task_id=task_id, data=data)
    session.add(row)
    return row


@sa_event.listens_for(Event, "before_update")
@sa_event.listens_for(Event, "before_delete")
def _append_only(mapper, connection, target):
    raise RuntimeError("The event log is append-only")
