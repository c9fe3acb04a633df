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

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.timer_clock import using_clock
from engine.cases import WITHOUT_MODEL_FILES, _load, _park, _save, _steps
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


def claim_due_timers(session: Session, now: datetime, limit: int = 1) -> list[WaitingTimer]:
    """The earliest due timers whose cases nobody else holds, with those case rows locked."""
    statement = (select(WaitingTimer).join(Case, Case.id == WaitingTimer.case_id)
                 .where(WaitingTimer.due_at <= now, Case.status == RUNNING)
                 .order_by(WaitingTimer.due_at, WaitingTimer.id).limit(limit))
    if is_postgresql(session):
        statement = statement.with_for_update(of=Case, skip_locked=True)
    return list(session.scalars(statement))


def claim_due_timer(session: Session, now: datetime) -> WaitingTimer | None:
    """The earliest due timer whose case nobody else holds, with that case row locked."""
    claimed = claim_due_timers(session, now, 1)
    return claimed[0] if claimed else None


def fire_timer(session: Session, timer: WaitingTimer, *, clock: Clock) -> Case | None:
    """Wake the case that owns `timer` (its case row locked) and run it as far as it goes.
    Returns None when another scheduler fired it first."""
    # The claim's snapshot may predate another scheduler's commit; under the case lock, look again.
    timer = session.get(WaitingTimer, timer.id, populate_existing=True)
    if timer is None or timer.due_at > clock.now():
        return None
    runtime = Runtime(session=session, clock=clock, actor="system")
    case = session.get(Case, timer.case_id, populate_existing=True, options=[WITHOUT_MODEL_FILES])
    workflow = _load(case, runtime)
    element_id, task_id, due_at = timer.element_id, timer.task_id, timer.due_at
    record_event(session, clock, actor="system", kind="timer_fired", case_id=case.id, element_id=element_id,
                 task_id=task_id, data={"due_at": due_at.isoformat()})

    def wake():
        with using_clock(clock):
            workflow.refresh_timers()
            workflow.do_engine_steps()

    _steps(workflow, case, runtime, first=wake)
    _save(case, workflow, runtime)
    # The save rewrote the case's timer rows in this session: the row is deleted when the timer fired,
    # moved on when a cycle timer did; still here and due means the engine did not accept it.
    still = not inspect(timer).was_deleted and timer.due_at <= clock.now()
    if still and case.status == RUNNING:
        # Never spin on it forever.
        timer.attempts += 1
        if timer.attempts >= MAX_ATTEMPTS:
            _park(case, RuntimeError(f"Timern {element_id} kunde inte utlösas efter {MAX_ATTEMPTS} försök."),
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


def _fire_batch(session: Session, timers: list[WaitingTimer], clock: Clock, report: TimerReport) -> bool:
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
