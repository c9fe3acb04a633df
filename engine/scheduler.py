"""APScheduler wired to the engine's timer table: wake at the next `due_at`, poll as a safety net.

APScheduler keeps only two jobs in memory (its job store is never shared between processes): the
timer table in the database is the truth, and any number of schedulers may sweep it at once.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import sessionmaker

from engine import timer_signal
from engine.clock import Clock, SystemClock
from engine.notify import Sender, deliver_pending, sender_from_environment
from engine.timers import TimerReport, fire_due_timers, next_due_at

log = logging.getLogger(__name__)
WAKE_JOB, POLL_JOB = "kompis-wake", "kompis-poll"


class TimerScheduler:
    """Sweeps due timers and the notification outbox; `start()` runs it in a background thread."""

    def __init__(self, sessions: sessionmaker, clock: Clock, *, poll_seconds: float = 5.0,
                 sender: Sender | None = None):
        self.sessions, self.clock, self.poll_seconds = sessions, clock, poll_seconds
        self.sender = sender or sender_from_environment()
        self._scheduler = BackgroundScheduler(timezone=timezone.utc)
        self._lock = threading.Lock()
        self._armed: datetime | None = None
        self._stop = threading.Event()
        self.totals = TimerReport()

    # -- sweeping ---------------------------------------------------------------------------
    def sweep(self) -> TimerReport:
        """Fire everything due now and send due notifications; never raises (the database may be away)."""
        with self._lock:
            report = TimerReport()
            try:
                report = fire_due_timers(self.sessions, clock=self.clock)
                deliver_pending(self.sessions, self.sender, clock=self.clock)
            except Exception:  # noqa: BLE001 - log, keep the scheduler alive, retry on the next poll
                log.exception("timer sweep failed; retrying at the next poll")
            self.totals.fired += report.fired
            self.totals.failed += report.failed
            if report.fired or report.failed:
                log.info("fired %s timers (%s failed)", report.fired, report.failed)
            self._rearm()
            return report

    def run_until_idle(self) -> TimerReport:
        """Sweep until nothing is due (the one-shot mode of `kompis scheduler --until-idle`)."""
        while True:
            report = self.sweep()
            if report.fired == 0 and report.failed == 0:
                return self.totals

    # -- arming -----------------------------------------------------------------------------
    def _rearm(self) -> None:
        try:
            with self.sessions() as session:
                due = next_due_at(session)
        except Exception:  # noqa: BLE001
            log.warning("could not read the next due timer; the poll will try again")
            return
        self.arm(due, replace=True)

    def arm(self, due_at: datetime | None, *, replace: bool = False) -> None:
        """Wake at `due_at` (real-clock mode) if that is earlier than the wake already set."""
        if replace:
            self._armed = None  # the previous wake has run or is superseded
        if due_at is None or not self._scheduler.running or not isinstance(self.clock, SystemClock):
            return
        if not replace and self._armed is not None and self._armed <= due_at:
            return
        self._armed = due_at
        run_at = max(due_at, self.clock.now()) + timedelta(milliseconds=5)
        self._scheduler.add_job(self.sweep, DateTrigger(run_date=run_at), id=WAKE_JOB, replace_existing=True,
                                max_instances=1, coalesce=True, misfire_grace_time=None)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._scheduler.add_job(self.sweep, IntervalTrigger(seconds=self.poll_seconds), id=POLL_JOB,
                                max_instances=1, coalesce=True, next_run_time=SystemClock().now())
        timer_signal.subscribe(self.arm)
        self._scheduler.start()
        bind = self.sessions.kw.get("bind")
        if bind is not None and bind.dialect.name == "postgresql":
            threading.Thread(target=self._listen, name="kompis-listen", daemon=True).start()

    def shutdown(self) -> None:
        self._stop.set()
        timer_signal.unsubscribe(self.arm)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def _listen(self) -> None:
        """Re-arm when another process commits a new timer (PostgreSQL LISTEN/NOTIFY)."""
        import psycopg

        url = self.sessions.kw["bind"].url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {timer_signal.CHANNEL}")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self.arm(datetime.fromisoformat(note.payload))
            except Exception:  # noqa: BLE001 - the database went away; try again shortly
                log.warning("LISTEN connection lost; reconnecting")
                self._stop.wait(2.0)
