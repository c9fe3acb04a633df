"""The simulated clock: months pass in seconds, every timer firing at its own due time, in order."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

import engine
from engine.clock import SystemClock
from engine.clock_store import StoredClock, add_duration
from engine.deployments import deploy
from engine.errors import ClockError
from engine.models import Event, OpenTask
from engine.simulation import advance_clock
from tests.bpmn_text import timer_process


@pytest.fixture
def stored_clock(db_engine):
    clock = StoredClock(db_engine)
    yield clock
    clock.dispose()


def test_advance_fires_each_timer_at_its_due_time_in_order(sessions, stored_clock):
    clock = stored_clock
    clock.set(datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc))
    with sessions.begin() as session:
        deploy(session, {"t.bpmn": timer_process('"P10D"')}, "t.bpmn", user="owner", clock=clock)
        deploy(session, {"u.bpmn": timer_process('end_of_day("2026-02-02")', "timeDate", key="dated")}, "u.bpmn",
               user="owner", clock=clock)
        first = engine.start_case(session, "dated", {}, user="anna", clock=clock).id
        second = engine.start_case(session, "timed", {}, user="anna", clock=clock).id
    seen = []
    report = advance_clock(sessions, clock, "P3M", on_progress=lambda r: seen.append(r.fired))
    assert report.fired == 2 and seen == sorted(seen)
    assert clock.now() == datetime(2026, 4, 5, 7, 0, tzinfo=timezone.utc)  # 09:00 Stockholm, summer time
    with sessions() as session:
        fired = session.execute(select(Event.case_id, Event.at).where(Event.kind == "timer_fired")
                                .order_by(Event.id)).all()
        assert [case_id for case_id, _ in fired] == [second, first]
        assert fired[0].at.isoformat() == "2026-01-15T08:00:00.000001+00:00"
        assert fired[1].at.isoformat() == "2026-02-02T22:59:59+00:00"
        assert len(session.scalars(select(OpenTask)).all()) == 2


def test_a_real_clock_cannot_be_advanced(sessions):
    with pytest.raises(ClockError, match="verklig"):
        advance_clock(sessions, SystemClock(), "P1D")


def test_a_bad_duration_is_explained(sessions, stored_clock):
    with pytest.raises(ClockError, match="ISO 8601"):
        advance_clock(sessions, stored_clock, "3 months")


def test_the_stored_clock_never_goes_backwards(sessions, stored_clock):
    clock = stored_clock
    now = clock.now()
    with pytest.raises(ClockError):
        clock.set(now.replace(year=now.year - 1))


def test_calendar_durations_keep_local_time_across_daylight_saving():
    start = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)  # 09:00 Stockholm
    assert add_duration(start, "P1M").isoformat() == "2026-04-01T07:00:00+00:00"  # still 09:00 Stockholm
    assert add_duration(start, "PT24H").isoformat() == "2026-03-02T08:00:00+00:00"
