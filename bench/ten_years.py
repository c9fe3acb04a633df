"""A ten-year assignment (120 monthly reports, 10 annual reviews), driven by the scenario test's own
steps (tests/scenarios/lifecycle.py) on a simulated clock: the largest stored state, and whether a
step costs more in year 10 than in year 1.

The step compared is the one that happens every month in every year: the contact person's report
delivered to that month's case (one committed command), median of the twelve in year 1 and in year 10.
"""
from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import func, select

from engine.clock import SimulatedClock
from engine.db import make_session_factory
from engine.deployments import deploy_builtin_processes
from engine.forms import REPO_FORMS, FormStore
from engine.models import Case
from engine.runtime import set_default_forms
from tests.scenarios import lifecycle
from tests.scenarios.caseworker import Caseworker


class TimedCaseworker(Caseworker):
    """The scenario caseworker, timing each command's transaction (not its round-trip check)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = 0
        self.steps: dict[tuple[int, str], list[float]] = {}  # (year, what) -> seconds

    def _timed(self, what, work):
        began = time.perf_counter()
        result = work()
        self.steps.setdefault((self.year, what), []).append(time.perf_counter() - began)
        return result

    def message(self, name, key, payload):
        return self._timed(name, lambda: super(TimedCaseworker, self).message(name, key, payload))

    def complete(self, title, data):
        return self._timed(title, lambda: super(TimedCaseworker, self).complete(title, data))

    def check_round_trip(self, case_id):
        pass  # the scenario test checks it; here it would only add to the timings


def ten_year_assignment(db) -> dict:
    sessions = make_session_factory(db)
    set_default_forms(FormStore([REPO_FORMS]))
    clock = SimulatedClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=clock)
    anna = TimedCaseworker(sessions, clock, name="anna", group="handlaggare")
    erik = TimedCaseworker(sessions, clock, name="erik", group="enhetschef")
    began = time.perf_counter()
    made = lifecycle.active_assignment(anna, erik, clock, start="2026-02-16", meetings_per_month=4)
    case_id, largest_seen = made["follow_up_case"], 0
    for year in range(1, 11):
        anna.year = year
        ending = {"outcome": "end", "end_reason": "Tio år", "end_date": "2036-02-15"} if year == 10 else {}
        sizes = lifecycle.live_a_year(anna, clock, made["assignment_id"], case_id, **({"outcome": "continue"} | ending))
        largest_seen = max([largest_seen] + [v for per in sizes.values() for v in per.values()])
        if year < 10:
            case_id = lifecycle.cases_of(sessions, "follow_up")[-1].id
    with sessions() as session:
        largest_stored = session.scalar(select(func.max(func.length(Case.state))))
    set_default_forms(None)
    # The same command every month: the contact person's report delivered to its month's case.
    first, last = (statistics.median(anna.steps[(year, "monthly_report")]) for year in (1, 10))
    every = {f"{what} (year {year})": statistics.median(v) * 1000 for (year, what), v in anna.steps.items()
             if year in (1, 10)}
    return {"largest_state_bytes": max(largest_seen, largest_stored or 0),
            "first_year_step_ms": first * 1000, "last_year_step_ms": last * 1000, "ratio": last / first,
            "step": "monthly_report delivered (median of 12 a year)", "medians_ms": every,
            "seconds": time.perf_counter() - began}
