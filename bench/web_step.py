"""Completing a user task: raw SpiffWorkflow against the web app, for the same diagram and state.

The task is recruitment's "Boka intervju" (the largest diagram, 68 KB): completing it runs a script
(the interview invitation) and stops at the next user task ("Håll intervju", due date from an
expression). The raw baseline is SpiffWorkflow alone on this machine: the same case as SpiffWorkflow
stores it (full JSON, spec included) -> deserialize -> complete the task -> engine steps -> serialize.
Kompis is `POST /api/v1/tasks/<id>/complete` through the WSGI app in-process: token check, form
validation, row lock, restore, run, save, derived rows, event, commit.
"""
from __future__ import annotations

import time
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from sqlalchemy import select

from bench.common import timing
from engine.bpmn.state import load_state
from engine.deployments import compiled_model
from engine.models import Case, OpenTask
from engine.script_helpers import build_helpers

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


def raw_and_web_in_turns(sessions, client, token: str, task_ids: list[str], warm_up: int) -> tuple[dict, dict]:
    """The raw step and a completion through the web app taken in turns, so that whatever else the
    machine runs meanwhile weighs on both alike (on a shared virtual machine the raw step alone has
    moved by half between two runs). The first `warm_up` of each are left out of the figures: a new
    worker's first requests prepare statements and fill caches once."""
    raw = RawStep(sessions, task_ids[0])
    raw_times, web_times, first, statuses = [], [], [], {}
    for n, task_id in enumerate(task_ids):
        raw_seconds = raw.once()
        seconds, status = _complete(client, token, task_id, n)
        statuses[status] = statuses.get(status, 0) + 1
        if n < warm_up:
            first.append(seconds)
        else:
            raw_times.append(raw_seconds)
            web_times.append(seconds)
    web = {**timing(web_times), "statuses": statuses, "warm_up": timing(first) if first else None}
    return {**timing(raw_times), "json_bytes": len(raw.stored.encode())}, web
