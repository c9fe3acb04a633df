"""A simulated clock kept in the database, so the web app, schedulers and `kompis clock advance`
all see the same simulated time."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from engine import calendar
from engine.clock import STOCKHOLM, Clock, SystemClock
from engine.errors import ClockError
from engine.models import ClockState

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


class StoredClock(Clock):
    """Reads the simulated time from `clock_state` on every call (one indexed row).
    Starts at the real current time the first time it is read."""

    def __init__(self, engine: Engine):
        # A plain engine of its own: the clock is read in the middle of other transactions, and on
        # SQLite the main engine's BEGIN IMMEDIATE would make that read wait for the write lock.
        options = {"connect_args": {"timeout": 30, "check_same_thread": False}} \
            if engine.dialect.name == "sqlite" else {"pool_size": 2, "pool_pre_ping": True}
        self._engine = create_engine(engine.url, **options)

    def now(self) -> datetime:
        with Session(self._engine) as session:
            value = session.scalar(select(ClockState.simulated_now).where(ClockState.id == 1))
        if value is None:
            value = SystemClock().now().replace(microsecond=0)
            with Session(self._engine) as session, session.begin():
                if session.get(ClockState, 1) is None:
                    session.add(ClockState(id=1, simulated_now=value))
        return value

    def dispose(self) -> None:
        self._engine.dispose()

    def set(self, instant: datetime) -> None:
        """Move the clock to `instant` (the first call may start it anywhere; later ones only forward)."""
        if instant.tzinfo is None:
            raise ClockError("Tiden måste ha en tidszon.")
        with Session(self._engine) as session, session.begin():
            row = session.get(ClockState, 1)
            if row is None:
                session.add(ClockState(id=1, simulated_now=instant))
                return
            if instant < row.simulated_now:
                raise ClockError("Den simulerade klockan går aldrig bakåt.")
            row.simulated_now = instant


def parse_duration(text: str) -> tuple[int, int, timedelta]:
    """(months, days, exact time) of an ISO 8601 duration such as P3M, P1Y2M, P10D or PT5H."""
    match = _DURATION.match((text or "").strip().upper())
    if not match or not any(match.groups()):
        raise ClockError(f"'{text}' är ingen ISO 8601-varaktighet (t.ex. P3M, P1Y, P10D, PT5H).")
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return 12 * years + months, 7 * weeks + days, timedelta(hours=hours, minutes=minutes, seconds=seconds)


def add_duration(start: datetime, text: str) -> datetime:
    """`start` plus a duration: months and days on the Stockholm calendar (DST-correct),
    hours, minutes and seconds as elapsed time."""
    months, days, exact = parse_duration(text)
    local = start.astimezone(STOCKHOLM)
    day = calendar.to_date(calendar.add_days(calendar.add_months(local.date(), months), days))
    moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=STOCKHOLM)
    return moved.astimezone(start.tzinfo) + exact
