"""Completing a user task: raw SpiffWorkflow against the web app, for the same diagram and state.

The task is recruitment's "Boka intervju" (the largest diagram, 68 KB): completing it runs a script
(the interview invitation) and stops at the next user task ("Håll intervju", due date from an
expression). The raw baseline is SpiffWorkflow alone on this machine: the same case as SpiffWorkflow
stores it (full JSON, spec included) -> deserialize -> complete the task -> engine steps -> serialize.
Kompis is `POST /api/v1/tasks/<id>/complete` through the WSGI app in-process (in a new process, as
a web worker is): token check, form validation, row lock, restore, run, save, derived rows, event,
commit.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from sqlalchemy import select

from bench.common import timing
from engine.bpmn.state import load_state
from engine.deployments import compiled_model
from engine.gc_tuning import tune_for_service
from engine.models import Case, OpenTask
from engine.script_helpers import build_helpers

ROOT = Path(__file__).resolve().parents[1]
TASK = "User_book_interview"
DATA = {"interview_at": "2027-01-14T10:00", "interview_place": "Stadshuset, rum 3"}


def open_task_ids(sessions, name: str = TASK, limit: int = 300) -> list[str]:
    with sessions() as session:
        return session.scalars(select(OpenTask.id).where(OpenTask.name == name, OpenTask.assignee.is_(None))
                               .order_by(OpenTask.id).limit(limit)).all()


class RawStep:
    """SpiffWorkflow alone: deserialize the case's full JSON, complete the task, serialize."""

    def __init__(self, sessions, task_id: str):
        with sessions() as session:
            case = session.get(Case, session.get(OpenTask, task_id).case_id)
            model = compiled_model(case.deployment)
            workflow = load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs)
        self.task_id = UUID(task_id)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
        self.stored = self.serializer.serialize_json(workflow)
        # SpiffWorkflow's default (unsandboxed) script engine, with do-nothing stand-ins for Kompis' helpers.
        self.script_engine = PythonScriptEngine(environment=TaskDataEnvironment(_stand_ins()))

    def once(self) -> float:
        began = time.perf_counter()
        restored = self.serializer.deserialize_json(self.stored)
        restored.script_engine = self.script_engine
        task = restored.get_task_from_id(self.task_id)
        task.set_data(**DATA)
        task.run()
        restored.do_engine_steps()
        self.serializer.serialize_json(restored)
        return time.perf_counter() - began


def _stand_ins() -> dict:
    """Every helper name diagram code may call, doing nothing (the raw engine has no registry)."""
    class Nothing:
        clock = None
        session = None
        actor = "bench"

        def defer(self, work):
            pass
    helpers = build_helpers(Nothing(), None)
    return {name: (lambda *args, **kwargs: None) for name in helpers}


def _complete(client, token: str, task_id: str, n: int) -> tuple[float, int]:
    """POST …/complete through the WSGI app: (seconds, status)."""
    began = time.perf_counter()
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": DATA},
                           headers={"Authorization": f"Bearer {token}"},
                           environ_overrides={"REMOTE_ADDR": f"127.2.{n // 250}.{n % 250 + 1}"})
    return time.perf_counter() - began, response.status_code


def raw_and_web_in_turns(sessions, client, token: str, task_ids: list[str], warm_up: int,
                         burst: int = 25) -> tuple[dict, dict]:
    """The raw step and completions through the web app, in alternating bursts of `burst`, so that
    whatever else the machine runs meanwhile weighs on both alike (on a shared virtual machine the
    raw step alone has moved by half between two runs of the bench). Each raw burst starts with one
    untimed step, so the raw step is timed with warm caches, as back to back. The first `warm_up`
    completions are left out of the figures (a new worker prepares statements and fills caches
    once) and reported apart."""
    raw = RawStep(sessions, task_ids[0])
    statuses = {}

    def complete(n: int, task_id: str) -> float:
        seconds, status = _complete(client, token, task_id, n)
        statuses[status] = statuses.get(status, 0) + 1
        return seconds

    first = [complete(n, task_id) for n, task_id in enumerate(task_ids[:warm_up])]
    raw_times, web_times = [], []
    measured = task_ids[warm_up:]
    for start in range(0, len(measured), burst):
        tasks = measured[start:start + burst]
        raw.once()  # fills the caches the web app's burst emptied
        raw_times += [raw.once() for _ in tasks]
        web_times += [complete(warm_up + start + k, task_id) for k, task_id in enumerate(tasks)]
    web = {**timing(web_times), "statuses": statuses, "warm_up": timing(first) if first else None}
    return {**timing(raw_times), "json_bytes": len(raw.stored.encode())}, web


def in_a_new_worker(url: str, token: str, task_ids: list[str], warm_up: int) -> tuple[dict, dict]:
    """raw_and_web_in_turns in a new process, as a web worker is one. The bench's own process holds
    what the bulk load left on its heap, which slowed every completion there by a fifth or more
    (100k on PostgreSQL: p50 7.7 ms in the bench's process, 5.3-6.3 ms in a new one)."""
    job = json.dumps({"url": url, "token": token, "task_ids": task_ids, "warm_up": warm_up})
    out = subprocess.run([sys.executable, "-m", "bench.web_step"], input=job, capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    raw, web = json.loads(out.stdout.strip().splitlines()[-1])
    return raw, web


def main() -> None:
    """The worker side of in_a_new_worker: the job as JSON on stdin, [raw, web] as JSON on stdout."""
    from web import create_app

    job = json.loads(sys.stdin.read())
    app = create_app({"DATABASE_URL": job["url"], "SECRET_KEY": "bench"})
    tune_for_service()  # as web.wsgi does in every production worker
    raw, web = raw_and_web_in_turns(app.extensions["kompis"]["sessions"], app.test_client(), job["token"],
                                    job["task_ids"], job["warm_up"])
    print(json.dumps([raw, web]))


if __name__ == "__main__":
    main()
