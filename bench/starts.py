"""Starting cases, sustained: one committed transaction per case, as the API's POST /cases does.

Measured in this process, and in two processes at once (as two web workers start cases in
production), beside the raw SpiffWorkflow start of the same diagram (new workflow -> run to its
first user task -> serialize) as the ceiling no engine on this machine can pass.
"""
from __future__ import annotations

import multiprocessing
import time

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select

import engine
from engine.bpmn.state import dump_state
from engine.clock import SystemClock
from engine.db import make_engine, make_session_factory
from engine.deployments import compiled_model
from engine.models import Deployment

PROCESS = "matching"  # started by hand by caseworkers; runs to its first user task


def _start(sessions, n: int) -> None:
    clock = SystemClock()
    for _ in range(n):
        with sessions.begin() as session:
            engine.start_case(session, PROCESS, {}, user="anna", clock=clock)


def start_cases(sessions, n: int = 1000) -> dict:
    began = time.perf_counter()
    _start(sessions, n)
    seconds = time.perf_counter() - began
    return {"started": n, "seconds": seconds, "per_second": n / seconds, "process": PROCESS}


def raw_start(sessions, n: int = 300) -> dict:
    """Starts per second of bare SpiffWorkflow on the same spec, nothing stored."""
    with sessions() as session:
        deployment = session.scalars(select(Deployment).where(Deployment.process_key == PROCESS)
                                     .order_by(Deployment.version.desc())).first()
        model = compiled_model(deployment)
    began = time.perf_counter()
    for _ in range(n):
        workflow = BpmnWorkflow(model.spec, model.subprocess_specs)
        workflow.do_engine_steps()
        dump_state(workflow)
    seconds = time.perf_counter() - began
    return {"started": n, "seconds": seconds, "per_second": n / seconds}


def _worker(url: str, n: int, ready, go, done) -> None:
    from engine.gc_tuning import tune_for_service

    db = make_engine(url)
    sessions = make_session_factory(db)
    _start(sessions, 1)  # connect and parse the spec before the clock runs
    tune_for_service()
    ready.wait()
    go.wait()
    _start(sessions, n)
    done.put(time.perf_counter())
    db.dispose()


def start_cases_in_parallel(url: str, n: int = 1000, processes: int = 2) -> dict:
    """`n` starts shared by `processes` worker processes; the rate over the wall time they take."""
    context = multiprocessing.get_context("spawn")
    ready, go, done = context.Barrier(processes + 1), context.Event(), context.Queue()
    each = n // processes
    workers = [context.Process(target=_worker, args=(url, each, ready, go, done)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    ready.wait()
    began = time.perf_counter()
    go.set()
    ended = max(done.get(timeout=600) for _ in workers)
    for worker in workers:
        worker.join()
    seconds = ended - began
    return {"started": each * processes, "seconds": seconds, "per_second": each * processes / seconds,
            "processes": processes, "process": PROCESS}
