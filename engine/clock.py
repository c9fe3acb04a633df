"""The engine's only source of "now": a Clock is injected everywhere, never datetime.now()."""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


class Clock(ABC):
    @abstractmethod
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""

    def today(self):
        """Today's date in Europe/Stockholm."""
        return self.now().astimezone(STOCKHOLM).date()


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class SimulatedClock(Clock):
    """A clock that only moves when told to; tests and the demo live through years with it."""

    def __init__(self, start: datetime | None = None):
        start = start or datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start time")
        self._now = start.astimezone(timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("time must be timezone-aware")
        with self._lock:
            if instant < self._now:
                raise ValueError("the simulated clock never moves backwards")
            self._now = instant.astimezone(timezone.utc)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            if delta < timedelta(0):
                raise ValueError("the simulated clock never moves backwards")
            self._now += delta
            return self._now
