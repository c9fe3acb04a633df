"""Kompis' case engine: pure Python, no Flask. See engine/README.md for the rules of this folder."""
from engine.bpmn import timer_clock as _timer_clock

_timer_clock.install()

from engine.cases import (  # noqa: E402
    assign_task,
    cancel_case,
    claim_task,
    complete_task,
    correlate_message,
    deliver_message,
    get_open_task,
    retry_case,
    save_draft,
    start_case,
    unclaim_task,
)
from engine.clock import Clock, SimulatedClock, SystemClock  # noqa: E402
from engine.timers import fire_due_timers, next_due_at  # noqa: E402

__all__ = [
    "Clock", "SimulatedClock", "SystemClock",
    "start_case", "complete_task", "save_draft", "claim_task", "unclaim_task", "assign_task",
    "correlate_message", "deliver_message", "cancel_case", "retry_case", "get_open_task", "fire_due_timers", "next_due_at",
]
