"""The scheduler under faults: woken on time, killed mid-batch, doubled, and cut off from the database.
Each test is bounded in time."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

import engine
from engine.clock import SystemClock
from engine.deployments import deploy
from engine.models import Event, OpenTask, WaitingTimer
from engine.scheduler import TimerScheduler
from tests.bpmn_text import timer_process

KOMPIS = str(Path(sys.executable).parent / "kompis")
FIXTURE_FORMS = Path(__file__).resolve().parents[1] / "fixtures" / "forms"


def make_due_cases(sessions, count: int) -> None:
    clock = SystemClock()
    with sessions.begin() as session:
        deploy(session, {"t.bpmn": timer_process('"PT0.2S"')}, "t.bpmn", user="owner", clock=clock)
        for _ in range(count):
            engine.start_case(session, "timed", {}, user="anna", clock=clock)
    time.sleep(0.3)


def fired_counts(sessions) -> tuple[int, int]:
    """(timer_fired events, distinct cases they belong to)."""
    with sessions() as session:
        events = session.scalar(select(func.count()).where(Event.kind == "timer_fired"))
        cases = session.scalar(select(func.count(func.distinct(Event.case_id))).where(Event.kind == "timer_fired"))
    return events, cases


def scheduler_process(db_url: str, log_dir: Path) -> subprocess.Popen:
    """`kompis scheduler --until-idle`; its output goes to a file (a full pipe would block it)."""
    env = dict(os.environ, DATABASE_URL=db_url, KOMPIS_CLOCK="real", KOMPIS_FORMS_DIR=str(FIXTURE_FORMS))
    log = tempfile.NamedTemporaryFile("w+", dir=log_dir, suffix=".log", delete=False)
    process = subprocess.Popen([KOMPIS, "scheduler", "--until-idle"], env=env, stdout=log,
                               stderr=subprocess.STDOUT, text=True)
    process.log_path = Path(log.name)
    log.close()
    return process


def finish(process: subprocess.Popen, timeout: float = 300) -> str:
    process.wait(timeout=timeout)
    return process.log_path.read_text()


def test_scheduler_wakes_within_a_second_of_each_due_at(sessions, readers):
    """Three timers one after another: each new commit re-arms the wake-up (the poll is a minute away)."""
    scheduler = TimerScheduler(sessions, SystemClock(), poll_seconds=60)
    scheduler.start()
    clock = SystemClock()
    lateness = []
    try:
        time.sleep(0.2)  # let the first poll pass: only the wake-up can fire what comes next
        with sessions.begin() as session:
            deploy(session, {"t.bpmn": timer_process('"PT0.5S"')}, "t.bpmn", user="owner", clock=clock)
        for _ in range(3):
            with sessions.begin() as session:
                case_id = engine.start_case(session, "timed", {}, user="anna", clock=clock).id
            with readers() as session:
                due = session.scalar(select(WaitingTimer.due_at).where(WaitingTimer.case_id == case_id))
            fired_at, deadline = None, time.monotonic() + 5
            while fired_at is None and time.monotonic() < deadline:
                time.sleep(0.02)
                with readers() as session:
                    fired_at = session.scalar(select(Event.at).where(Event.kind == "timer_fired",
                                                                     Event.case_id == case_id))
            lateness.append(fired_at - due if fired_at else None)
    finally:
        scheduler.shutdown()
    assert None not in lateness, f"a timer never fired: {lateness}"
    assert all(timedelta(0) <= late < timedelta(seconds=1) for late in lateness), lateness


def test_killed_mid_batch_then_restarted_fires_every_timer_exactly_once(sessions, readers, db_url, tmp_path):
    make_due_cases(sessions, 2000)
    first = scheduler_process(db_url, tmp_path)
    deadline = time.monotonic() + 120
    while fired_counts(readers)[0] < 300 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    partial = fired_counts(readers)[0]
    assert 0 < partial < 2000, "the kill must land mid-batch"
    second = scheduler_process(db_url, tmp_path)
    output = finish(second)
    assert second.returncode == 0, output
    assert fired_counts(readers) == (2000, 2000)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OpenTask)) == 2000
        assert session.scalar(select(func.count()).select_from(WaitingTimer)) == 0


def test_two_schedulers_on_postgresql_fire_each_timer_once(sessions, readers, db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("several schedulers at once need PostgreSQL (SQLite has one writer)")
    make_due_cases(sessions, 2000)
    workers = [scheduler_process(db_url, tmp_path) for _ in range(2)]
    outputs = [finish(w) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    assert fired_counts(readers) == (2000, 2000)
    counts = [int(out.split("Utlöste ")[1].split()[0]) for out in outputs]
    assert sum(counts) == 2000 and min(counts) > 0, counts  # both did real work, none twice


def test_database_outage_is_logged_and_the_scheduler_carries_on(sessions, readers, db_url, caplog):
    if not db_url.startswith("postgresql"):
        pytest.skip("the outage is played with a TCP proxy in front of PostgreSQL")
    from sqlalchemy.engine import make_url

    from engine.db import make_engine, make_session_factory
    from tests.tcp_proxy import TcpProxy

    target = make_url(db_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.start()
    proxied = make_engine(target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
                          connect_args={"connect_timeout": 2})
    try:
        make_due_cases(sessions, 20)
        scheduler = TimerScheduler(make_session_factory(proxied), SystemClock(), poll_seconds=60)
        proxy.cut()
        assert scheduler.sweep().fired == 0  # no exception escapes
        assert "timer sweep" in caplog.text or "could not" in caplog.text
        time.sleep(1)
        proxy.start()
        assert scheduler.run_until_idle().fired == 20
        assert fired_counts(readers) == (20, 20)
    finally:
        proxy.cut()
        proxied.dispose()
