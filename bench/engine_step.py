"""One user-task completion: raw SpiffWorkflow (deserialize -> run -> serialize) against Kompis'
`complete_task` in a committed transaction (load, lock, validate, run, save, derived rows, event).

    python -m bench.engine_step [--n 300] [--database sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

import engine
from bench.common import bench_url, fresh_database, percentile
from engine.deployments import deploy
from engine.forms import FormStore
from engine.models import OpenTask
from engine.runtime import set_default_forms

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DIAGRAM = ROOT / "tests" / "fixtures" / "bpmn" / "approval.bpmn"
DATA = {"approved": False, "points": 3}


def raw_spiff(n: int) -> list[float]:
    parser = CamundaParser()
    parser.add_bpmn_files([str(DIAGRAM)])
    spec = parser.get_spec("approval")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    # The raw baseline keeps SpiffWorkflow's default (unsandboxed) engine, with the one helper it needs.
    script_engine = PythonScriptEngine(environment=TaskDataEnvironment({"today": lambda: "2026-01-05"}))
    workflow = BpmnWorkflow(spec, script_engine=script_engine)
    workflow.task_tree.data["applicant_id"] = "A1"
    workflow.do_engine_steps()
    stored = serializer.serialize_json(workflow)
    timings = []
    for _ in range(n):
        began = time.perf_counter()
        restored = serializer.deserialize_json(stored)
        restored.script_engine = script_engine
        task = restored.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(**DATA)
        task.run()
        restored.do_engine_steps()
        serializer.serialize_json(restored)
        timings.append(time.perf_counter() - began)
    return timings


def kompis(n: int, url: str) -> list[float]:
    db, sessions = fresh_database(url)
    set_default_forms(FormStore([ROOT / "tests" / "fixtures" / "forms"]))
    clock = engine.SimulatedClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    with sessions.begin() as session:
        deploy(session, {"approval.bpmn": DIAGRAM.read_text()}, "approval.bpmn", user="bench", clock=clock)
        for _ in range(n):
            engine.start_case(session, "approval", {"applicant_id": "A1"}, user="bench", clock=clock)
    with sessions() as session:
        task_ids = session.scalars(select(OpenTask.id)).all()
    timings = []
    for task_id in task_ids:
        began = time.perf_counter()
        with sessions.begin() as session:
            engine.complete_task(session, task_id, DATA, user="bench", clock=clock)
        timings.append(time.perf_counter() - began)
    db.dispose()
    return timings


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    if args.database == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    else:
        url = bench_url("postgresql")
    raw = raw_spiff(args.n)
    ours = kompis(args.n, url)
    rows = [("raw SpiffWorkflow step (deserialize, run, serialize)", raw),
            (f"Kompis complete_task, committed ({args.database})", ours)]
    print(f"{'measure':58} {'p50 ms':>8} {'p95 ms':>8} {'ratio p50':>10}")
    base = statistics.median(raw)
    results = {}
    for name, values in rows:
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"{name:58} {p50 * 1000:8.2f} {p95 * 1000:8.2f} {p50 / base:10.2f}")
        results[name] = {"p50_ms": p50 * 1000, "p95_ms": p95 * 1000, "n": len(values)}
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"engine_step_{args.database}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
