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


def raw_spiff(sessions, task_id: str, n: int) -> dict:
    """SpiffWorkflow alone: deserialize the case's full JSON, complete the task, serialize."""
    with sessions() as session:
        case = session.get(Case, session.get(OpenTask, task_id).case_id)
        model = compiled_model(case.deployment)
        workflow = load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    stored = serializer.serialize_json(workflow)
    # SpiffWorkflow's default (unsandboxed) script engine, with do-nothing stand-ins for Kompis' helpers.
    script_engine = PythonScriptEngine(environment=TaskDataEnvironment(_stand_ins()))
    timings = []
    for _ in range(n):
        began = time.perf_counter()
        restored = serializer.deserialize_json(stored)
        restored.script_engine = script_engine
        task = restored.get_task_from_id(UUID(task_id))
        task.set_data(**DATA)
        task.run()
        restored.do_engine_steps()
        serializer.serialize_json(restored)
        timings.append(time.perf_counter() - began)
    return {**timing(timings), "json_bytes": len(stored.encode())}


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


def through_web(client, token: str, task_ids: list[str]) -> dict:
    """POST …/complete for each task through the WSGI app; every answer must be 200."""
    timings, statuses = [], {}
    headers = {"Authorization": f"Bearer {token}"}
    for n, task_id in enumerate(task_ids):
        began = time.perf_counter()
        response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": DATA}, headers=headers,
                               environ_overrides={"REMOTE_ADDR": f"127.2.{n // 250}.{n % 250 + 1}"})
        timings.append(time.perf_counter() - began)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    return {**timing(timings), "statuses": statuses}
