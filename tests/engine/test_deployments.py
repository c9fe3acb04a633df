"""The model registry: immutable versions, latest for new cases, running cases keep theirs."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import engine
from engine.deployments import deploy, deploy_builtin_processes, list_versions
from engine.errors import InvalidModel
from engine.models import Case, Deployment, Event, OpenTask
from tests.bpmn_text import script_process
from tests.conftest import FIXTURES


def deploy_text(sessions, clock, text, note=""):
    with sessions.begin() as session:
        deployment, created = deploy(session, {"s.bpmn": text}, "s.bpmn", user="olle", clock=clock, note=note)
        return deployment.version, created


def test_versions_are_numbered_and_identical_content_is_not_redeployed(sessions, clock):
    assert deploy_text(sessions, clock, script_process("x = 1"), "första") == (1, True)
    assert deploy_text(sessions, clock, script_process("x = 1")) == (1, False)
    assert deploy_text(sessions, clock, script_process("x = 2"), "ändrad") == (2, True)
    with sessions() as session:
        rows = session.scalars(select(Deployment).order_by(Deployment.version)).all()
        assert [(r.version, r.deployed_by, r.note) for r in rows] == [(1, "olle", "första"), (2, "olle", "ändrad")]
        assert all(len(r.sha256) == 64 and "x = " in r.bpmn_xml for r in rows)
        assert len(session.scalars(select(Event).where(Event.kind == "model_deployed")).all()) == 2


def test_new_cases_use_the_latest_version_and_running_cases_keep_theirs(sessions, clock):
    deploy_text(sessions, clock, script_process("generation = 1"))
    with sessions.begin() as session:
        old = engine.start_case(session, "scripted", {}, user="anna", clock=clock).id
    deploy_text(sessions, clock, script_process("generation = 2").replace('name="Kontrollera"',
                                                                           'name="Kontrollera igen"'))
    with sessions.begin() as session:
        new = engine.start_case(session, "scripted", {}, user="anna", clock=clock).id
    with sessions() as session:
        assert session.get(Case, old).version == 1 and session.get(Case, new).version == 2
        titles = dict(session.execute(select(OpenTask.case_id, OpenTask.title)).all())
        assert titles == {old: "Kontrollera", new: "Kontrollera igen"}
        assert [(d.version, n) for d, n in list_versions(session, "scripted")] == [(1, 1), (2, 1)]
    with sessions.begin() as session:  # the old case still completes on its own version
        task_id = session.scalars(select(OpenTask.id).where(OpenTask.case_id == old)).one()
        assert engine.complete_task(session, task_id, {}, user="anna", clock=clock).status == "completed"


def test_a_broken_model_leaves_the_running_version_untouched(sessions, clock):
    deploy_text(sessions, clock, script_process("x = 1"))
    with pytest.raises(InvalidModel):
        deploy_text(sessions, clock, script_process("import os"))
    with sessions() as session:
        assert session.scalars(select(Deployment.version)).all() == [1]


def test_builtin_processes_are_deployed_once(sessions, clock, tmp_path, forms):
    (tmp_path / "s.bpmn").write_text(script_process("x = 1"))
    with sessions.begin() as session:
        assert [d.process_key for d in deploy_builtin_processes(session, clock=clock, directory=tmp_path)] == \
            ["scripted"]
    with sessions.begin() as session:
        assert deploy_builtin_processes(session, clock=clock, directory=tmp_path) == []


def test_repository_processes_validate_and_deploy(sessions, clock, forms):
    from engine.deployments import REPO_PROCESSES

    with sessions.begin() as session:
        created = deploy_builtin_processes(session, clock=clock, directory=REPO_PROCESSES, forms=forms)
    assert len(created) == len(list(REPO_PROCESSES.glob("*.bpmn")))


def test_bundle_collects_decision_tables_and_called_processes():
    from engine.deployments import collect_bundle

    assert sorted(collect_bundle(FIXTURES / "bpmn" / "parent.bpmn")) == \
        ["child_steps.bpmn", "compensation.dmn", "parent.bpmn"]
    assert sorted(collect_bundle(FIXTURES / "bpmn" / "approval.bpmn")) == ["approval.bpmn"]


def test_a_form_deployed_with_a_version_is_used_by_that_versions_cases_only(sessions, clock, forms):
    from engine.errors import InvalidData

    with sessions.begin() as session:
        deploy(session, {"s.bpmn": script_process("x = 1")}, "s.bpmn", user="petra", clock=clock, forms=forms)
        old_case = engine.start_case(session, "scripted", {}, user="anna", clock=clock).id
    stricter = ('{"type": "object", "title": "Anteckning v2", "properties": {"note": {"type": "string"},'
                ' "signed": {"type": "boolean"}}, "required": ["signed"], "additionalProperties": false}')
    with sessions.begin() as session:
        deploy(session, {"s.bpmn": script_process("x = 1"), "forms/note.json": stricter}, "s.bpmn",
               user="petra", clock=clock, forms=forms)
        new_case = engine.start_case(session, "scripted", {}, user="anna", clock=clock).id

    def task_of(case_id):
        with sessions() as session:
            return session.scalars(select(OpenTask.id).where(OpenTask.case_id == case_id)).one()

    with sessions.begin() as session, pytest.raises(InvalidData) as caught:
        engine.complete_task(session, task_of(new_case), {"note": "klart"}, user="anna", clock=clock)
    assert caught.value.errors == {"signed": ["Fältet måste fyllas i."]}
    with sessions.begin() as session:  # the running case keeps the form it started with
        engine.complete_task(session, task_of(old_case), {"note": "klart"}, user="anna", clock=clock)
    with sessions.begin() as session:
        engine.complete_task(session, task_of(new_case), {"signed": True}, user="anna", clock=clock)
        assert session.get(Case, new_case).status == "completed"


@pytest.mark.parametrize("name, key", [("camunda_modeler", "supervision_request"), ("bpmn_io", "Process_1")])
def test_diagrams_from_camunda_modeler_and_bpmn_io_deploy_and_run(sessions, clock, forms, name, key):
    path = FIXTURES / "bpmn" / "foreign" / f"{name}.bpmn"
    with sessions.begin() as session:
        deployment, _ = deploy(session, {path.name: path.read_text()}, path.name, user="petra", clock=clock,
                               forms=forms, known_groups={"handlaggare"})
        case = engine.start_case(session, deployment.process_key, {}, user="anna", clock=clock)
        assert deployment.process_key == key
        if name == "bpmn_io":
            assert case.status == "completed"
        else:
            [task] = session.scalars(select(OpenTask).where(OpenTask.case_id == case.id)).all()
            assert (task.title, task.group, task.priority, task.form_key) == ("Boka handledning", "handlaggare", 60,
                                                                             "note")
