"""Live through months in seconds: move the simulated clock forward, firing every timer in due order."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from engine.clock import Clock
from engine.clock_store import add_duration
from engine.errors import ClockError
from engine.timers import fire_due_timers, next_due_at


@dataclass
class AdvanceReport:
    end: object
    fired: int = 0
    failed: int = 0


def advance_clock(sessions: sessionmaker, clock: Clock, duration: str, *,
                  on_progress: Callable[[AdvanceReport], None] | None = None) -> AdvanceReport:
    """Move a simulated clock forward by an ISO duration; every timer that falls due on the way fires
    at its own due time, earliest first. Raises ClockError for a real clock or a bad duration."""
    if not hasattr(clock, "set"):
        raise ClockError("Klockan är verklig (KOMPIS_CLOCK=real); bara en simulerad klocka kan flyttas.")
    start = clock.now()
    target = add_duration(start, duration)
    report = AdvanceReport(end=target)

    def sweep() -> bool:
        swept = fire_due_timers(sessions, clock=clock)
        report.fired += swept.fired
        report.failed += swept.failed
        if on_progress is not None:
            on_progress(report)
        return bool(swept.fired or swept.failed)

    while True:
        with sessions() as session:
            due = next_due_at(session)
        if due is None or due > target:
            break
        if due > clock.now():
            clock.set(due)
        if not sweep():
            break  # nothing could fire (held by another process); the rest waits for the scheduler
    clock.set(target)
    sweep()
    return report
