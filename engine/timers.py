"""Fire due timers in small batches per transaction, each case all-or-nothing, safe with any number
of schedulers.

A scheduler claims due timers by locking their rows and their cases' rows with SKIP LOCKED
(PostgreSQL): a case that another scheduler or a caseworker is working on is skipped, never waited
for, never fired twice.
On SQLite every write transaction is already exclusive (BEGIN IMMEDIATE).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.case_rows import case_from_row
from engine.cases import _load, _park, _save, _steps
from engine.clock import Clock
from engine.db import is_postgresql
from engine.derived import StoredRows, read_stored_rows
from engine.events import collected_events, record_event
from engine.held_writes import held_writes
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
# The claim reads the timers and their cases' rows in one statement: a batch costs one round trip
# to find and load its cases, not one per case.
_DUE = (select(_TIMERS.c.id.label("timer_id"), _TIMERS.c.task_id.label("timer_task_id"),
               _TIMERS.c.element_id.label("timer_element_id"), _TIMERS.c.due_at.label("timer_due_at"),
               _TIMERS.c.attempts.label("timer_attempts"), *_CASES.c)
        .join(_CASES, _CASES.c.id == _TIMERS.c.case_id)
        .where(_TIMERS.c.due_at <= bindparam("now"), _CASES.c.status == RUNNING)
        .order_by(_TIMERS.c.due_at, _TIMERS.c.id).limit(bindparam("limit")))
# Both rows locked: a timer row that another scheduler deleted (fired) after this statement's
# snapshot is skipped by PostgreSQL's re-check instead of being fired twice.
_DUE_LOCKED = _DUE.with_for_update(of=[_TIMERS, _CASES], skip_locked=True)
_COUNT_ATTEMPT = update(_TIMERS).where(_TIMERS.c.id == bindparam("id")).values(attempts=bindparam("attempts"))


@dataclass(frozen=True)
class ClaimedTimer:
    id: int
    task_id: str
    element_id: str
    due_at: datetime
    attempts: int
    case_row: dict

    @property
    def case_id(self) -> int:
        return self.case_row["id"]


def claim_due_timers(session: Session, now: datetime, limit: int = 1) -> list[ClaimedTimer]:
    """The earliest due timers whose cases nobody else holds, with those rows locked; one per case
    (waking a case fires every timer of it that is due)."""
    statement = _DUE_LOCKED if is_postgresql(session) else _DUE
    claimed, cases = [], set()
    for row in session.connection().execute(statement, {"now": now, "limit": limit}).mappings():
        if row["id"] in cases:
            continue
        cases.add(row["id"])
        claimed.append(ClaimedTimer(row["timer_id"], row["timer_task_id"], row["timer_element_id"],
                                    row["timer_due_at"], row["timer_attempts"],
                                    {column.name: row[column.name] for column in _CASES.c}))
    return claimed


def fire_timer(session: Session, timer: ClaimedTimer, *, clock: Clock, stored: StoredRows | None = None) -> Case:
    """Wake the case that owns the claimed `timer` (its rows locked) and run it as far as it goes.
    `stored`: the case's query rows read with the batch, used if nothing in this transaction has
    touched the case since (a command on a case always loads it into the session)."""
    runtime = Runtime(session=session, clock=clock, actor="system")
    if session.identity_map.get(session.identity_key(Case, timer.case_id)) is not None:
        stored = None  # another case of the batch woke this one (a message): read its rows again
    case = case_from_row(session, timer.case_row)
    workflow = _load(case, runtime)
    record_event(session, clock, actor="system", kind="timer_fired", case_id=case.id, element_id=timer.element_id,
                 task_id=timer.task_id, data={"due_at": timer.due_at.isoformat()})

    # _steps runs the engine on from the woken timer (once: each run walks the whole task tree).
    _steps(workflow, case, runtime, first=workflow.refresh_timers)
    changes = _save(case, workflow, runtime, stored=stored)
    # The save rewrote the case's timer rows: gone when the timer fired, moved on when a cycle timer
    # did; still here and due means the engine did not accept it.
    due = changes.timers.get(timer.task_id)
    if due is not None and due <= clock.now() and case.status == RUNNING:
        # Never spin on it forever.
        session.connection().execute(_COUNT_ATTEMPT, {"id": timer.id, "attempts": timer.attempts + 1})
        if timer.attempts + 1 >= MAX_ATTEMPTS:
            _park(case, RuntimeError(f"Timern {timer.element_id} kunde inte utlösas efter {MAX_ATTEMPTS} försök."),
                  runtime)
            _save(case, workflow, runtime)
    return case


class _BatchFailed(Exception):
    """A case failed in a batch fired without SAVEPOINTs: roll back and fire it case by case."""


def fire_due_timers(session_factory: sessionmaker, *, clock: Clock, limit: int | None = None,
                    on_fired=None, batch: int = BATCH) -> TimerReport:
    """Fire every timer due at clock.now(), earliest first, up to `batch` per transaction, each case
    all-or-nothing. A failing case is parked with its error and does not stop the others.

    A batch first runs without SAVEPOINTs (two round trips fewer per case). If any case in it raises,
    the whole transaction is rolled back and the same batch runs again with a SAVEPOINT per case."""
    report = TimerReport()
    careful = False
    while limit is None or report.fired + report.failed < limit:
        size = batch if limit is None else min(batch, limit - report.fired - report.failed)
        tally = TimerReport()
        with session_factory() as session:
            try:
                with session.begin():
                    timers = claim_due_timers(session, clock.now(), size)
                    if not timers:
                        break
                    healthy = _fire_batch(session, timers, clock, tally, careful=careful)
            except _BatchFailed:
                careful = True
                continue
            except Exception as exc:  # noqa: BLE001 - the transaction itself failed (database gone)
                log.exception("timer sweep: the batch could not be committed")
                report.failed += 1
                report.errors.append(str(exc))
                break
        careful = False
        report.fired, report.failed = report.fired + tally.fired, report.failed + tally.failed
        report.errors += tally.errors
        if on_fired is not None:
            on_fired(report)
        if not healthy:
            break
    return report


def _fire_batch(session: Session, timers: list[ClaimedTimer], clock: Clock, report: TimerReport, *,
                careful: bool) -> bool:
    """Fire the claimed timers in one transaction. `careful`: one SAVEPOINT per timer keeps a crashing
    case from taking the batch with it; False when even parking it failed (the sweep should stop)."""
    stored = read_stored_rows(session, [timer.case_id for timer in timers])  # one read for the batch
    if not careful:
        # All-or-nothing, so the batch's events go out in one statement and its row writes in one
        # executemany per statement (engine.held_writes) when it ends.
        fired, case_id = [], None
        try:
            with collected_events(session), held_writes(session):
                for timer in timers:
                    case_id = timer.case_id
                    fired.append(fire_timer(session, timer, clock=clock, stored=stored[timer.case_id]))
                case_id = None  # a failure from here on is the batch's writes, not one case
        except Exception as exc:
            log.warning("timer sweep: %s failed (%s); the batch runs again case by case",
                        f"case {case_id}" if case_id is not None else "writing the batch", exc)
            raise _BatchFailed from exc
        for case in fired:
            _count(case, report)
        return True
    for timer in timers:
        try:
            with session.begin_nested():
                case = fire_timer(session, timer, clock=clock, stored=stored[timer.case_id])
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the sweep
            log.exception("timer sweep: firing failed")
            report.failed += 1
            report.errors.append(str(exc))
            if not _park_after_crash(session, timer.case_id, clock, exc):
                return False
            continue
        _count(case, report)
    return True


def _count(case: Case, report: TimerReport) -> None:
    if case.status == "error":
        report.failed += 1
        report.errors.append(f"case {case.id}: {case.failure['message']}")
    else:
        report.fired += 1


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
