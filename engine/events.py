"""Append to the event log. Rows are never updated or deleted (enforced on the mapper)."""
from __future__ import annotations

import logging
from contextlib import contextmanager

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.held_writes import INSERT, write
from engine.models import Event

log = logging.getLogger(__name__)
_INSERT = insert(Event.__table__)
_COLLECTED = "kompis.collected_events"


def record_event(session: Session, clock: Clock, *, actor: str, kind: str, case_id: int | None,
                 element_id: str | None = None, task_id: str | None = None, data: dict | None = None) -> None:
    """Append one event row in the caller's transaction (at the end of the command inside
    collected_events).

    A plain INSERT, not an ORM object: every command writes events, and the unit of work costs more
    than the statement. Rows still waiting in the session are flushed first (the event may be about
    a case added a moment ago)."""
    row = {"case_id": case_id, "at": clock.now(), "actor": actor, "kind": kind, "element_id": element_id,
           "task_id": task_id, "data": data}
    collected = session.info.get(_COLLECTED)
    if collected is not None:
        collected.append(row)
        return
    _write(session, [row])


@contextmanager
def collected_events(session: Session):
    """Write the events recorded inside the block together when it ends: one statement (PostgreSQL:
    one round trip) for a command's two or three events, or for a whole batch of timer firings.
    Only for blocks that do not read the event log back before they end. Nested blocks join the
    outermost one. On an exception the events are still written if the transaction allows, as
    record_event would have, and the exception goes on."""
    if _COLLECTED in session.info:
        yield
        return
    collected = session.info[_COLLECTED] = []
    try:
        yield
    except BaseException:
        del session.info[_COLLECTED]
        try:
            _write(session, collected)
        except Exception:  # the transaction is already lost; the first error is the one to see
            log.debug("the events of a failed block could not be written", exc_info=True)
        raise
    del session.info[_COLLECTED]
    _write(session, collected)


def _write(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    if session.new:
        session.flush()
    write(session, INSERT, _INSERT, rows)  # inside engine.held_writes: with the command's other writes


@sa_event.listens_for(Event, "before_update")
@sa_event.listens_for(Event, "before_delete")
def _append_only(mapper, connection, target):
    raise RuntimeError("The event log is append-only")
