"""Garbage-collector settings for Kompis' long-running processes (web workers, schedulers).

A command allocates tens of thousands of short-lived objects (a workflow's task tree, its JSON,
the statements' parameters). With CPython's default (a collection every 700 net allocations) the
collector ran many times per command and each run walked everything the process keeps for good:
parsed BPMN specs, SQLAlchemy's mappings, Flask's routes. Measured on the start-a-case path that was
about a fifth of the time. What is alive at start-up is frozen (never walked again) and the young
generation may grow to 50,000 objects; the few cycles a command leaves are still collected.
"""
from __future__ import annotations

import gc

YOUNG_GENERATION = 50_000


def tune_for_service() -> None:
    """Call once a process has loaded what it keeps (after the app or scheduler is built)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)
