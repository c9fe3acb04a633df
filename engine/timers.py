"""Fire due timers in small batches per transaction, each case in its own SAVEPOINT, safe with any
number of schedulers.

A scheduler claims a due timer by locking its case row with SKIP LOCKED (PostgreSQL): a case that
another scheduler or a caseworker is working on is skipped, never waited for, never fired twice.
On SQLite every write transaction is already exclusive (BEGIN IMMEDIATE).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.timer_clock import using_clock
from engine.case_rows import load_case
from engine.cases import _load, _park, _save, _steps
from engine.clock import Clock
from engine.db import is_postgresql
from engine.events import record_event
from engine.models import Case, WaitingTimer
from engine.models.cases import RUNNING
from engine.runtime import Runtime

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
# Timers fired per transaction: one commit (and, on PostgreSQL, one WAL flush) for many cases, while
# the case rows stay locked only for a fraction of a second.
BATCH = 25


@dataclass
class TimerReport:
    fired: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def next_due_at(session: Session) -> datetime | None:
    """When the earliest timer of a running case falls due (for re-arming the scheduler)."""
    return session.scalar(select(func.min(WaitingTimer.due_at)).join(Case, Case.id == WaitingTimer.case_id)
                          .where(Case.status == RUNNING))


_TIMERS, _CASES = WaitingTimer.__table__, Case.__table__
_DUE = (select(_TIMERS.c.id, _TIMERS.c.case_id, _TIMERS.c.task_id, _TIMERS.c.element_id, _TIMERS.c.due_at)
        .join(_CASES, _CASES.c.id == _TIMERS.c.case_id)
        .where(_TIMERS.c.due_at <= bindparam("now"), _CASES.c.status == RUNNING)
        .order_by(_TIMERS.c.due_at, _TIMERS.c.id).limit(bindparam("limit")))
_DUE_LOCKED = _DUE.with_for_update(of=_CASES, skip_locked=True)
_STILL_DUE = select(_TIMERS.c.attempts).where(_TIMERS.c.id == bindparam("id"), _TIMERS.c.due_at <= bindparam("now"))
_COUNT_ATTEMPT = update(_TIMERS).where(_TIMERS.c.id == bindparam("id")).values(attempts=bindparam("attempts"))


def claim_due_timers(session: Session, now: datetime, limit: int = 1) -> list[Row]:
    """The earliest due timers (id, case_id, task_id, element_id, due_at) whose cases nobody else holds,
    with those case rows locked."""
    statement = _DUE_LOCKED if is_postgresql(session) else _DUE
    return list(session.connection().execute(statement, {"now": now, "limit": limit}))


def fire_timer(session: Session, timer: Row, *, clock: Clock) -> Case | None:
    """Wake the case that owns the claimed `timer` (its case row locked) and run it as far as it goes.
    Returns None when another scheduler fired it first."""
    # The claim's snapshot may predate another scheduler's commit; under the case lock, look again.
    attempts = session.connection().execute(_STILL_DUE, {"id": timer.id, "now": clock.now()}).scalar()
    if attempts is None:
        return None
    runtime = Runtime(session=session, clock=clock, actor="system")
    case = load_case(session, timer.case_id)
    workflow = _load(case, runtime)
    record_event(session, clock, actor="system", kind="timer_fired", case_id=case.id, element_id=timer.element_id,
                 task_id=timer.task_id, data={"due_at": timer.due_at.isoformat()})

    def wake():
        with using_clock(clock):
            workflow.refresh_timers()
            workflow.do_engine_steps()

    _steps(workflow, case, runtime, first=wake)
    changes = _save(case, workflow, runtime)
    # The save rewrote the case's timer rows: gone when the timer fired, moved on when a cycle timer
    # did; still here and due means the engine did not accept it.
    due = changes.timers.get(timer.task_id)
    if due is not None and due <= clock.now() and case.status == RUNNING:
        # Never spin on it forever.
        session.connection().execute(_COUNT_ATTEMPT, {"id": timer.id, "attempts": attempts + 1})
        if attempts + 1 >= MAX_ATTEMPTS:
            _park(case, RuntimeError(f"Timern {timer.element_id} kunde inte utlösas efter {MAX_ATTEMPTS} försök."),
                  runtime)
            _save(case, workflow, runtime)
    return case


def fire_due_timers(session_factory: sessionmaker, *, clock: Clock, limit: int | None = None,
                    on_fired=None, batch: int = BATCH) -> TimerReport:
    """Fire every timer due at clock.now(), earliest first, up to `batch` per transaction, each case
    all-or-nothing in its own SAVEPOINT. A failing case is parked with its error and does not stop
    the others."""
    report = TimerReport()
    while limit is None or report.fired + report.failed < limit:
        size = batch if limit is None else min(batch, limit - report.fired - report.failed)
        with session_factory() as session:
            try:
                with session.begin():
                    timers = claim_due_timers(session, clock.now(), size)
                    if not timers:
                        break
                    healthy = _fire_batch(session, timers, clock, report)
            except Exception as exc:  # noqa: BLE001 - the transaction itself failed (database gone)
                log.exception("timer sweep: the batch could not be committed")
                report.failed += 1
                report.errors.append(str(exc))
                break
        if on_fired is not None:
            on_fired(report)
        if not healthy:
            break
    return report


def _fire_batch(session: Session, timers: list[Row], clock: Clock, report: TimerReport) -> bool:
    """Fire the claimed timers in one transaction. One SAVEPOINT per timer keeps a crashing case from
    taking the batch with it; False when even parking it failed (the sweep should stop)."""
    for timer in timers:
        case_id = timer.case_id
        try:
            with session.begin_nested():
                case = fire_timer(session, timer, clock=clock)
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the sweep
            log.exception("timer sweep: firing failed")
            report.failed += 1
            report.errors.append(str(exc))
            if not _park_after_crash(session, case_id, clock, exc):
                return False
            continue
        if case is None:
            continue
        if case.status == "error":
            report.failed += 1
            report.errors.append(f"case {case.id}: {case.failure['message']}")
        else:
            report.fired += 1
    return True


def _park_after_crash(session: Session, case_id: int, clock: Clock, exc: BaseException) -> bool:
    """Record an unexpected firing error on its case (in the batch's transaction, after the failed
    SAVEPOINT was rolled back) so the sweep can go on; False if impossible."""
    try:
        with session.begin_nested():
            case = session.get(Case, case_id, populate_existing=True)
            if case is None or case.status != RUNNING:
                return True
            _park(case, exc, Runtime(session=session, clock=clock, actor="system"))
        return True
    except Exception:  # noqa: BLE001 - the database itself is gone; the caller retries later
        log.exception("timer sweep: could not record the failure")
        return False
