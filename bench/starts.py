"""Starting cases, sustained: one committed transaction per case, as the API's POST /cases does."""
from __future__ import annotations

import time

import engine
from engine.clock import SystemClock

PROCESS = "matching"  # started by hand by caseworkers; runs to its first user task


def start_cases(sessions, n: int = 1000) -> dict:
    clock = SystemClock()
    began = time.perf_counter()
    for _ in range(n):
        with sessions.begin() as session:
            engine.start_case(session, PROCESS, {}, user="anna", clock=clock)
    seconds = time.perf_counter() - began
    return {"started": n, "seconds": seconds, "per_second": n / seconds, "process": PROCESS}
