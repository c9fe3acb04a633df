"""Timer throughput and lateness.

    python -m bench.timers [--n 2000] [--database sqlite|postgresql]

Prints: timers fired per second by one `kompis scheduler` process, by two at once (PostgreSQL), and
how late a real-clock timer fires after its due_at with an idle in-process scheduler.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import func, select

import engine
from bench.common import bench_url, fresh_database
from engine.bpmn.state import STATE_VERSION, dump_state, load_state
from engine.bpmn.validation import compile_bundle
from engine.clock import SimulatedClock, SystemClock
from engine.deployments import deploy
from engine.models import Event, WaitingTimer
from engine.scheduler import TimerScheduler
from tests.bpmn_text import timer_process

HERE = Path(__file__).resolve().parent
KOMPIS = str(Path(sys.executable).parent / "kompis")


def due_cases(sessions, n: int, key: str = "timed", *, at_once: bool = False) -> None:
    """`n` cases whose timer falls due a moment after they start; `at_once`: all at the same instant
    (started on a clock held still), as a month's report deadlines fall due together."""
    clock = SimulatedClock(SystemClock().now()) if at_once else SystemClock()
    with sessions.begin() as session:
        deploy(session, {"t.bpmn": timer_process('"PT0.1S"', key=key)}, "t.bpmn", user="bench", clock=clock)
    for start in range(0, n, 500):
        with sessions.begin() as session:
            for _ in range(min(500, n - start)):
                engine.start_case(session, key, {}, user="bench", clock=clock)
    time.sleep(0.2)


def run_schedulers(url: str, count: int) -> float:
    env = dict(os.environ, DATABASE_URL=url, KOMPIS_CLOCK="real")
    began = time.perf_counter()
    workers = [subprocess.Popen([KOMPIS, "scheduler", "--until-idle"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for _ in range(count)]
    for worker in workers:
        worker.wait()
    return time.perf_counter() - began


def throughput_on(sessions, url: str, n: int, schedulers: int, *, at_once: bool = False) -> dict:
    """Fire `n` due timers with `schedulers` processes on a database that may hold anything else.
    The rate is taken over the firing itself (first to last timer_fired), not the processes' start-up."""
    with sessions() as session:
        before = session.scalar(select(func.max(Event.id))) or 0
    due_cases(sessions, n, at_once=at_once)
    seconds = run_schedulers(url, schedulers)
    mine = (Event.kind == "timer_fired", Event.id > before)
    with sessions() as session:
        fired = session.scalar(select(func.count()).where(*mine))
        distinct = session.scalar(select(func.count(func.distinct(Event.case_id))).where(*mine))
        first, last = session.execute(select(func.min(Event.at), func.max(Event.at)).where(*mine)).one()
        left = session.scalar(select(func.count()).select_from(WaitingTimer).where(WaitingTimer.due_at <= SystemClock().now()))
        instants = len({data["due_at"] for data in session.scalars(select(Event.data).where(*mine))})
    window = max((last - first).total_seconds(), 1e-6) if fired else seconds
    return {"fired": fired, "duplicates": fired - distinct, "missed": left, "seconds": seconds,
            "per_second": fired / window, "per_second_wall": fired / seconds, "schedulers": schedulers,
            "due_instants": instants}


def throughput(url: str, n: int, schedulers: int) -> dict:
    db, sessions = fresh_database(url)
    try:
        return throughput_on(sessions, url, n, schedulers)
    finally:
        db.dispose()


def raw_fire(n: int = 300) -> dict:
    """Timers per second of bare SpiffWorkflow on the same diagram (restore a case waiting at a due timer,
    fire it, run on to the user task, serialize), nothing read or stored: the ceiling for any scheduler."""
    model = compile_bundle({"t.bpmn": timer_process('"PT0.01S"', key="timed")}, "t.bpmn", forms=None)
    workflow = BpmnWorkflow(model.spec, model.subprocess_specs)
    workflow.do_engine_steps()
    waiting = dump_state(workflow)
    time.sleep(0.05)
    began = time.perf_counter()
    for _ in range(n):
        workflow = load_state(waiting, STATE_VERSION, model.spec, model.subprocess_specs)
        workflow.refresh_timers()
        workflow.do_engine_steps()
        dump_state(workflow)
    seconds = time.perf_counter() - began
    return {"fired": n, "seconds": seconds, "per_second": n / seconds}


def lateness(url: str, samples: int = 10) -> list[float]:
    db, sessions = fresh_database(url)
    clock = SystemClock()
    with sessions.begin() as session:
        deploy(session, {"t.bpmn": timer_process('"PT0.5S"')}, "t.bpmn", user="bench", clock=clock)
    scheduler = TimerScheduler(sessions, clock, poll_seconds=60)
    scheduler.start()
    late = []
    try:
        time.sleep(0.2)
        for _ in range(samples):
            with sessions.begin() as session:
                case_id = engine.start_case(session, "timed", {}, user="bench", clock=clock).id
            with sessions() as session:
                due = session.scalar(select(WaitingTimer.due_at).where(WaitingTimer.case_id == case_id))
            fired = None
            deadline = time.monotonic() + 10
            while fired is None and time.monotonic() < deadline:
                time.sleep(0.01)
                with sessions() as session:
                    fired = session.scalar(select(Event.at).where(Event.kind == "timer_fired",
                                                                  Event.case_id == case_id))
            late.append((fired - due).total_seconds() if fired else float("inf"))
    finally:
        scheduler.shutdown()
        db.dispose()
    return late


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    url = bench_url(args.database)
    results = {"one_scheduler": throughput(url, args.n, 1)}
    if args.database == "postgresql":
        results["two_schedulers"] = throughput(url, args.n, 2)
    late = lateness(url)
    results["lateness_s"] = {"p50": statistics.median(late), "max": max(late)}
    print(f"{'measure':44} {'value':>12} {'goal':>14}")
    one = results["one_scheduler"]
    print(f"{'timers/s, one scheduler (' + args.database + ')':44} {one['per_second']:12.0f} {'>= 1000':>14}")
    if "two_schedulers" in results:
        two = results["two_schedulers"]
        print(f"{'timers/s, two schedulers':44} {two['per_second']:12.0f} {'>= 1.6x one':>14}")
        print(f"{'duplicates (two schedulers)':44} {two['duplicates']:12d} {'0':>14}")
    print(f"{'lateness p50 / max, idle scheduler (s)':44} {results['lateness_s']['p50']:5.3f} / {results['lateness_s']['max']:4.3f} {'<= 1 s':>14}")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"timers_{args.database}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
