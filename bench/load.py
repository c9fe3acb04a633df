"""The production shape under load: gunicorn (2 workers) and 2 `kompis scheduler` processes on one
PostgreSQL, driven over loopback by 50 simulated caseworkers who list, claim and complete tasks while
timers fall due.

    python -m bench load [--scale 10k] [--users 50] [--seconds 60] [--timers 2000]

Each caseworker is a thread with its own loopback address (127.0.x.y, as separate machines would
be: the API's rate limit is per address) and its own API token. A caseworker lists a page of the
group's "Boka intervju" or "Håll intervju" tasks, claims one and completes it, then thinks for
0.2-1.0 s. Two caseworkers picking the same task is normal: the loser gets 409, which is counted as a
conflict, not an error. Errors are 5xx answers, other 4xx answers and broken connections.

Afterwards the database is checked: every completion answered 200 has exactly one task_completed
event and its task is no longer open (none lost); every timer fired exactly once (no duplicates) and
none that fell due a second or more before the schedulers were stopped is still waiting (none missed).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

import engine
from bench import population
from bench.common import bench_url, empty_schema, machine, timing, write_result
from engine.clock import SystemClock
from engine.db import make_session_factory
from engine.deployments import deploy
from engine.migrate import upgrade
from engine.models import Event, OpenTask, WaitingTimer
from engine.users import create_token, create_user
from tests.bpmn_text import timer_process

BIN = Path(sys.executable).parent
WORK = {
    "User_book_interview": {"interview_at": "2027-01-14T10:00", "interview_place": "Stadshuset, rum 3"},
    "User_interview": {
        "background": "Har arbetat inom vården.", "about_person": "Lugn och lyhörd.", "interests": "fiske",
        "motivation": "Vill göra skillnad.", "view_on_disabilities": "Alla har rätt till en meningsfull fritid.",
        "can_commit_one_year": True, "availability": "weekly", "meetings_per_month_possible": 4,
        "preferred_activities": "Promenader", "languages": "svenska", "has_driving_license": True,
        "interview_notes": "", "interview_decision": "continue"},
}


class Caseworker(threading.Thread):
    def __init__(self, number: int, port: int, token: str, until: float, log: Log):
        super().__init__(daemon=True)
        self.number, self.port, self.token, self.until, self.log = number, port, token, until, log
        self.address = f"127.0.{1 + number // 250}.{1 + number % 250}"
        self.random = random.Random(number)

    def request(self, kind: str, method: str, path: str, body: dict | None = None):
        began = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                              source_address=(self.address, 0))
            headers = {"Authorization": f"Bearer {self.token}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            self.log.record(kind, time.perf_counter() - began, None, error=repr(exc))
            return None, None
        self.log.record(kind, time.perf_counter() - began, response.status)
        return response.status, (json.loads(payload) if payload else None)

    def run(self):
        while time.monotonic() < self.until:
            name = self.random.choice(list(WORK))
            status, page = self.request("list", "GET", f"/api/v1/tasks?scope=group&name={name}&per_page=50"
                                                       f"&page={self.random.randint(1, 3)}")
            items = [t for t in (page or {}).get("items", []) if t.get("assignee") is None] if status == 200 else []
            if items:
                task = self.random.choice(items)
                status, _ = self.request("claim", "POST", f"/api/v1/tasks/{task['id']}/claim")
                if status == 200:
                    status, _ = self.request("complete", "POST", f"/api/v1/tasks/{task['id']}/complete",
                                             {"data": WORK[name]})
                    if status == 200:
                        self.log.completed(task["id"])
            time.sleep(self.random.uniform(0.2, 1.0))


class Log:
    def __init__(self):
        self.lock = threading.Lock()
        self.timings: dict[str, list[float]] = {}
        self.statuses: Counter = Counter()
        self.errors: list[str] = []
        self.completions: list[str] = []

    def record(self, kind, seconds, status, error=None):
        with self.lock:
            self.timings.setdefault(kind, []).append(seconds)
            self.statuses[f"{kind} {status}"] += 1
            if error or status is None or status >= 500 or (400 <= status < 500 and status != 409):
                self.errors.append(f"{kind}: {status} {error or ''}".strip())

    def completed(self, task_id):
        with self.lock:
            self.completions.append(task_id)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def prepare(db, url: str, scale: int, users: int, timers: int, seconds: float) -> list[str]:
    """The cases, the caseworkers (one token each) and timers that fall due during the run."""
    upgrade(url)
    population.build(db, scale)
    sessions = make_session_factory(db)
    clock = SystemClock()
    tokens = []
    with sessions.begin() as session:
        for n in range(users):
            create_user(session, f"cw{n:02d}", role="caseworker", groups=["handlaggare"], clock=clock,
                        password=f"lasttest-{n:02d}-lösenord")
            tokens.append(create_token(session, f"cw{n:02d}", clock=clock))
        deploy(session, {"t.bpmn": timer_process("delay", key="load_timer")}, "t.bpmn", user="bench", clock=clock)
    rng = random.Random(3)
    with sessions.begin() as session:
        for _ in range(timers):
            # Falling due over the run (not before the load starts, a little before it ends).
            delay = rng.uniform(15, 15 + seconds * 0.9)
            engine.start_case(session, "load_timer", {"delay": f"PT{int(delay)}S"}, user="bench", clock=clock)
    return tokens


def check(sessions, log: Log, stopped_at) -> dict:
    """Lost completions, timers fired (and twice), and timers missed: due a second or more before the
    schedulers were stopped and still waiting (one due in the last moment is in flight, not missed)."""
    with sessions() as session:
        completed = Counter(session.scalars(select(Event.task_id).where(Event.kind == "task_completed",
                                                                         Event.actor.like("cw%"))).all())
        still_open = set(session.scalars(select(OpenTask.id).where(OpenTask.id.in_(log.completions))).all()) \
            if log.completions else set()
        fired = session.execute(select(Event.case_id, Event.task_id, func.count())
                                .join(engine.models.Case, engine.models.Case.id == Event.case_id)
                                .where(Event.kind == "timer_fired", engine.models.Case.process_key == "load_timer")
                                .group_by(Event.case_id, Event.task_id)).all()
        missed = session.scalar(select(func.count()).select_from(WaitingTimer)
                                .where(WaitingTimer.due_at <= stopped_at - timedelta(seconds=1)))
    lost = [t for t in log.completions if completed.get(t) != 1 or t in still_open]
    return {"answered_200": len(log.completions), "lost_completions": len(lost),
            "timers_fired": len(fired), "duplicate_firings": sum(n - 1 for *_, n in fired if n > 1),
            "missed_timers": missed}


def run(scale: int, users: int, seconds: float, timers: int) -> dict:
    url = bench_url("postgresql")
    db = empty_schema(url)
    print(f"[load] building {scale:,} cases, {users} caseworkers, {timers} timers", flush=True)
    tokens = prepare(db, url, scale, users, timers, seconds)
    sessions = make_session_factory(db)
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-load", KOMPIS_CLOCK="real", KOMPIS_ENV="production")
    web = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                            "web.wsgi:app"], env=env, cwd=Path(__file__).resolve().parent.parent)
    schedulers = [subprocess.Popen([str(BIN / "kompis"), "scheduler", "--poll", "1"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        _wait_for(port)
        print(f"[load] {users} caseworkers for {seconds:.0f} s", flush=True)
        log = Log()
        until = time.monotonic() + seconds
        began = time.perf_counter()
        workers = [Caseworker(n, port, tokens[n], until, log) for n in range(users)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - began
        rss = {pid: _rss_mb(pid) for pid in _children(web.pid)}
        time.sleep(3)  # the last timers fall due just before the end; let the schedulers finish them
    finally:
        stopped_at = SystemClock().now()
        for process in [web, *schedulers]:
            process.send_signal(signal.SIGTERM)
        for process in [web, *schedulers]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    results = {"machine": machine(), "scale": scale, "users": users, "seconds": elapsed,
               "requests": sum(len(v) for v in log.timings.values()),
               "requests_per_second": sum(len(v) for v in log.timings.values()) / elapsed,
               "completions_per_second": len(log.completions) / elapsed,
               "timings": {k: timing(v) for k, v in log.timings.items()},
               "statuses": dict(log.statuses), "errors": len(log.errors), "error_samples": log.errors[:10],
               "worker_rss_mb": list(rss.values()), **check(sessions, log, stopped_at)}
    db.dispose()
    return results


def print_result(r: dict) -> None:
    print(f"\nProduction shape: gunicorn -w 2 + 2 schedulers on PostgreSQL, {r['users']} caseworkers, "
          f"{r['seconds']:.0f} s, {r['scale']:,} open tasks stored")
    print(f"  requests/s {r['requests_per_second']:.1f}   completions/s {r['completions_per_second']:.1f}")
    for kind, t in r["timings"].items():
        print(f"  {kind:9} n={t['n']:5d}  p50 {t['p50_ms']:7.1f} ms  p95 {t['p95_ms']:7.1f} ms")
    print(f"  errors {r['errors']} (goal 0)   lost completions {r['lost_completions']} of {r['answered_200']} (goal 0)")
    print(f"  timers fired {r['timers_fired']}, duplicates {r['duplicate_firings']} (goal 0), "
          f"missed {r['missed_timers']} (goal 0)")
    print(f"  web worker RSS MB: {', '.join(f'{m:.0f}' for m in r['worker_rss_mb'])}")


def main(argv=None) -> dict:
    from bench.run import parse_scale

    parser = argparse.ArgumentParser(prog="kompis bench load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="10k")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--timers", type=int, default=2000)
    args = parser.parse_args(argv)
    results = run(parse_scale(args.scale), args.users, args.seconds, args.timers)
    path = write_result(f"load_postgresql_{parse_scale(args.scale)}", results)
    print_result(results)
    print(f"\nJSON: {path}")
    return results
