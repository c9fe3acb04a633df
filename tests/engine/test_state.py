"""Stored case state: spec kept once per version, round trip exact, old shapes refused clearly."""
from __future__ import annotations

import json

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

import engine
from engine.bpmn.state import STATE_VERSION, UnsupportedStateVersion, dump_state, load_state
from engine.deployments import compiled_model
from engine.models import Case, OpenTask
from tests.conftest import FIXTURES

FROZEN = FIXTURES / "state" / "approval-waiting-v1.json"


def test_state_round_trip_is_exact_between_steps(sessions, clock, deploy_fixture):
    deployment = deploy_fixture("approval")
    with sessions.begin() as session:
        case = engine.start_case(session, "approval", {"applicant_id": "A1"}, user="anna", clock=clock)
        state = case.state
    model = compiled_model(deployment)
    workflow = load_state(state, STATE_VERSION, model.spec, model.subprocess_specs)
    assert dump_state(workflow) == state
    assert "spec" not in json.loads(state) and "subprocess_specs" not in json.loads(state)


def test_a_frozen_case_from_an_earlier_release_still_loads_and_runs(sessions, clock, deploy_fixture):
    """The fixture was written by Kompis with state version spiff-1.5/kompis-1; it must keep working."""
    deployment = deploy_fixture("approval")
    frozen = json.loads(FROZEN.read_text())
    model = compiled_model(deployment)
    workflow = load_state(json.dumps(frozen["state"]), frozen["serializer_version"], model.spec,
                          model.subprocess_specs)
    waiting = [t.task_spec.name for t in workflow.get_tasks(state=TaskState.WAITING)]
    assert "Catch_answer" in waiting


def test_an_unknown_state_version_is_refused_with_a_message(deploy_fixture):
    deployment = deploy_fixture("approval")
    model = compiled_model(deployment)
    with pytest.raises(UnsupportedStateVersion, match="spiff-0.1"):
        load_state("{}", "spiff-0.1/kompis-0", model.spec, model.subprocess_specs)


def test_case_state_stays_small(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    with sessions.begin() as session:
        engine.start_case(session, "approval", {"applicant_id": "A1"}, user="anna", clock=clock)
        task_id = session.scalars(select(OpenTask.id)).one()
    with sessions.begin() as session:
        engine.complete_task(session, task_id, {"approved": True, "points": 9}, user="anna", clock=clock)
    with sessions() as session:
        assert len(session.scalars(select(Case.state)).one()) < 8_000
