"""A database of many realistic cases, built fast.

Running the engine for 100,000 cases would take longer than the whole benchmark may. Instead the real
processes run once for a few hundred representative cases (`kompis demo`: fourteen months of
recruitment, matching, agreements, monthly reports, missing reports, on a simulated clock), and their
rows (cases, open_tasks, waiting_timers, waiting_messages, events) are cloned with new ids by bulk
insert. Every SpiffWorkflow task id in a clone's state is replaced by a fresh one, consistently in its
rows, so a cloned task can be opened and completed like any other. Clones share the seeds' registry
people (volunteers, clients, assignments): the benchmarks measure the case tables, not the registry.

The mix: clones of task-bearing seeds until the inbox holds `scale` open tasks, plus `scale // 4`
clones of the other seeds (cases waiting for a timer or a message, completed, cancelled).
"""
from __future__ import annotations

import random
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

import engine
from engine.bpmn.state import load_state
from engine.clock import SimulatedClock, SystemClock
from engine.db import make_session_factory
from engine.demo.run import run_demo
from engine.deployments import compiled_model, deploy_builtin_processes
from engine.models import Case, Event, OpenTask, WaitingMessage, WaitingTimer
from engine.models.tasks import NO_DUE_DATE
from engine.runtime import default_forms

UUID_TEXT = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
CHUNK = 2000  # cases per bulk transaction


@dataclass
class Seed:
    """One demo case and its rows, with its state split at every task id (for fast re-joining)."""
    case: dict
    tasks: list[dict]
    timers: list[dict]
    messages: list[dict]
    events: list[dict]
    state_parts: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def __post_init__(self):
        pieces = UUID_TEXT.split(self.case["state"])
        self.state_parts = pieces
        seen = dict.fromkeys(pieces[1::2])
        for row in self.tasks + self.timers + self.messages + self.events:
            for key in ("id", "task_id"):
                value = row.get(key)
                if isinstance(value, str) and UUID_TEXT.fullmatch(value):
                    seen.setdefault(value)
        self.ids = list(seen)


@dataclass
class Population:
    cases: int
    open_tasks: int
    seconds: float
    seed_cases: int
    seed_seconds: float
    passwords: dict[str, str]
    by_process: dict[str, int]


def seed_with_demo(sessions) -> tuple[dict[str, str], float]:
    """Deploy the built-in processes and run the demo (the representative cases); its passwords."""
    began = time.perf_counter()
    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=SystemClock(), forms=default_forms())
    report, end = run_demo(sessions)
    _more_kinds(sessions, SimulatedClock(end))
    return report.passwords, time.perf_counter() - began


def _more_kinds(sessions, clock) -> None:
    """What the demo does not reach: incidents of each kind, terminations started by hand, and cases
    cancelled midway, so every process and end state is in the mix."""
    with sessions() as session:
        follow_ups = session.scalars(select(Case).where(Case.process_key == "follow_up", Case.status == "running")
                                     .order_by(Case.id).limit(3)).all()
        about = []
        for case in follow_ups:
            model = compiled_model(case.deployment)
            data = load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs).last_task.data
            about.append({k: data.get(k) for k in ("assignment_id", "volunteer_id", "volunteer_name",
                                                   "volunteer_email", "client_id", "client_name")})
    for n, subject in enumerate(about):
        for kind in ("lex_sarah", "child_concern", "supervision"):
            with sessions.begin() as session:
                engine.start_case(session, "incident", {"incident_type": kind, "report": "Rapport nr " + str(n),
                                                        **subject, "reported_at": clock.now().isoformat()},
                                  user="anna", clock=clock)
        with sessions.begin() as session:
            engine.start_case(session, "termination", {}, user="anna", clock=clock)
    with sessions.begin() as session:
        for case_id in session.scalars(select(Case.id).where(Case.process_key == "matching", Case.status == "running")
                                       .order_by(Case.id.desc()).limit(2)).all():
            engine.cancel_case(session, case_id, user="anna", clock=clock, reason="Den enskilde flyttade")


def load_seeds(db) -> list[Seed]:
    with db.connect() as conn:
        def rows(table, case_id):
            return [dict(r._mapping) for r in conn.execute(select(table).where(table.c.case_id == case_id))]
        seeds = []
        for case in conn.execute(select(Case.__table__).order_by(Case.id)):
            case = dict(case._mapping)
            seeds.append(Seed(case=case, tasks=rows(OpenTask.__table__, case["id"]),
                              timers=rows(WaitingTimer.__table__, case["id"]),
                              messages=rows(WaitingMessage.__table__, case["id"]),
                              events=rows(Event.__table__, case["id"])))
    return seeds


def _plan(seeds: list[Seed], scale: int) -> list[Seed]:
    """Which seed each clone copies: task-bearing ones until `scale` open tasks, then the rest."""
    with_tasks = [s for s in seeds if s.tasks]
    others = [s for s in seeds if not s.tasks]
    plan, tasks = [], sum(len(s.tasks) for s in seeds)
    i = 0
    while tasks < scale and with_tasks:
        seed = with_tasks[i % len(with_tasks)]
        plan.append(seed)
        tasks += len(seed.tasks)
        i += 1
    plan += [others[j % len(others)] for j in range(scale // 4)] if others else []
    return plan


def _clone(seed: Seed, case_id: int, n: int, rng: random.Random) -> tuple[dict, list, list, list, list]:
    fresh = {old: str(uuid.UUID(int=rng.getrandbits(128), version=4)) for old in seed.ids}
    parts = seed.state_parts
    state = "".join(fresh[p] if i % 2 else p for i, p in enumerate(parts))
    suffix = f"~{n}"  # keeps correlation keys of clones apart from their seed's
    case = {**seed.case, "id": case_id, "state": state,
            "business_key": seed.case["business_key"] + suffix if seed.case["business_key"] else None}
    shift = timedelta(hours=rng.randint(-24 * 30, 24 * 30))  # spread due dates over two months
    tasks = []
    for t in seed.tasks:
        due = t["due_at"] + shift if t["due_at"] else None
        tasks.append({**t, "id": fresh[t["id"]], "case_id": case_id, "due_at": due, "due_sort": due or NO_DUE_DATE})
    timers = [{k: v for k, v in t.items() if k != "id"} | {"case_id": case_id, "task_id": fresh[t["task_id"]]}
              for t in seed.timers]
    messages = [{k: v for k, v in m.items() if k != "id"} |
                {"case_id": case_id, "task_id": fresh[m["task_id"]],
                 "correlation_key": (m["correlation_key"] + suffix) if m["correlation_key"] else None}
                for m in seed.messages]
    events = [{k: v for k, v in e.items() if k != "id"} |
              {"case_id": case_id, "task_id": fresh.get(e["task_id"], e["task_id"])} for e in seed.events]
    return case, tasks, timers, messages, events


def clone_cases(db, seeds: list[Seed], scale: int, *, rng_seed: int = 8) -> int:
    """Bulk-insert clones of `seeds` (see the module docstring); returns how many."""
    plan = _plan(seeds, scale)
    rng = random.Random(rng_seed)
    with db.connect() as conn:
        next_id = (conn.scalar(select(func.max(Case.id))) or 0) + 1
    for start in range(0, len(plan), CHUNK):
        batch = {"cases": [], "tasks": [], "timers": [], "messages": [], "events": []}
        for offset, seed in enumerate(plan[start:start + CHUNK]):
            n = start + offset
            case, tasks, timers, messages, events = _clone(seed, next_id + n, n, rng)
            batch["cases"].append(case)
            batch["tasks"] += tasks
            batch["timers"] += timers
            batch["messages"] += messages
            batch["events"] += events
        with db.begin() as conn:
            for table, rows in ((Case.__table__, batch["cases"]), (OpenTask.__table__, batch["tasks"]),
                                (WaitingTimer.__table__, batch["timers"]),
                                (WaitingMessage.__table__, batch["messages"]), (Event.__table__, batch["events"])):
                if rows:
                    conn.execute(table.insert(), rows)
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
    return len(plan)


def analyze(db) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or a routine ANALYZE (SQLite) would keep them."""
    if db.dialect.name == "postgresql":
        with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            # The bulk load leaves hundreds of MB of dirty pages; flush them now rather than in the
            # middle of the measurements (needs superuser or pg_checkpoint; skipped otherwise).
            try:
                conn.execute(text("CHECKPOINT"))
            except DBAPIError:
                pass
    else:
        with db.begin() as conn:
            conn.execute(text("ANALYZE"))


def build(db, scale: int, progress=print) -> Population:
    """Seed with the demo, clone up to `scale` open tasks (plus waiting and finished cases), analyze."""
    sessions = make_session_factory(db)
    progress("  seeding: the demo runs the real processes (about half a minute)")
    passwords, seed_seconds = seed_with_demo(sessions)
    began = time.perf_counter()
    seeds = load_seeds(db)
    progress(f"  cloning {len(seeds)} seed cases up to {scale:,} open tasks")
    clone_cases(db, seeds, scale)
    analyze(db)
    seconds = time.perf_counter() - began
    with sessions() as session:
        cases = session.scalar(select(func.count()).select_from(Case))
        open_tasks = session.scalar(select(func.count()).select_from(OpenTask))
        by_process = dict(session.execute(select(Case.process_key, func.count()).group_by(Case.process_key)).all())
    return Population(cases=cases, open_tasks=open_tasks, seconds=seconds, seed_cases=len(seeds),
                      seed_seconds=seed_seconds, passwords=passwords, by_process=by_process)
