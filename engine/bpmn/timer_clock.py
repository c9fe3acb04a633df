"""Make SpiffWorkflow's timers read the engine's Clock.

SpiffWorkflow decides whether a timer is due by reading the wall clock inside its timer
module and offers no hook. We swap that module's `datetime` name for a subclass whose `now()`
asks the clock of the command that is running (a context variable, so threads don't mix).
"""
from __future__ import annotations

import contextlib
import contextvars
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine.clock import Clock, SystemClock

_current: contextvars.ContextVar[Clock] = contextvars.ContextVar("kompis_clock", default=SystemClock())

# SpiffWorkflow fires only when due < now; our timer table says a timer is due when due_at <= now.
# One microsecond ahead makes both agree on the boundary instant.
_EPSILON = timedelta(microseconds=1)


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        instant = _current.get().now() + _EPSILON
        return instant.astimezone(tz) if tz else instant.astimezone(timezone.utc).replace(tzinfo=None)


def install() -> None:
    """Idempotent; called when the engine package is imported."""
    spiff_timer.datetime = _ClockDatetime


@contextlib.contextmanager
def using_clock(clock: Clock):
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)


def current_clock() -> Clock:
    return _current.get()
