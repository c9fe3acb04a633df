"""Moving running cases between versions: the dry run says who can move and why not, the run moves
each case all-or-nothing, and a rollback puts back every case that has not changed since."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import engine
from engine import model_migration
from engine.deployments import deploy, element_counts
from engine.errors import Conflict, InvalidData, NotFound
from engine.models import Case, Event, OpenTask, WaitingTimer
from tests.bpmn_text import HEAD

STEP_NAMES = {"A": "Steg A", "New": "Nytt steg", "B": "Steg B"}


def chain(*steps: str, timer_before: str | None = None, boundary_on: str | None = None) -> str:
    """start -> [timer] -> user tasks in order -> end, one lane-less candidate group."""
    nodes, flows = [], []
    previous = "StartEvent"
    ids = ([timer_before] if timer_before else []) + list(steps)
    for index, element in enumerate(ids):
        flows.append(f'<bpmn:sequenceFlow id="F{index}" sourceRef="{previous}" targetRef="{element}"/>')
        if element == timer_before:
            nodes.append(f'<bpmn:intermediateCatchEvent id="{element}" name="Vänta"><bpmn:timerEventDefinition>'
                         '<bpmn:timeDuration>"P7D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
                         '</bpmn:intermediateCatchEvent>')
        else:
            nodes.append(f'<bpmn:userTask id="{element}" name="{STEP_NAMES.get(element, element)}" '
                         'camunda:formKey="note" camunda:candidateGroups="handlaggare"/>')
        previous = element
    flows.append(f'<bpmn:sequenceFlow id="FEnd" sourceRef="{previous}" targetRef="EndEvent"/>')
    if boundary_on:
        nodes.append(f'<bpmn:boundaryEvent id="Remind" attachedToRef="{boundary_on}" cancelActivity="false">'
                     '<bpmn:timerEventDefinition><bpmn:timeDuration>"P3D"</bpmn:timeDuration>'
                     '</bpmn:timerEventDefinition></bpmn:boundaryEvent>'
                     '<bpmn:endEvent id="RemindEnd"/><bpmn:sequenceFlow id="FR" sourceRef="Remind" targetRef="RemindEnd"/>')
    return HEAD + ('<bpmn:process id="steps" isExecutable="true"><bpmn:startEvent id="StartEvent"/>'
                   + "".join(nodes + flows) + '<bpmn:endEvent id="EndEvent"/></bpmn:process></bpmn:definitions>')


@pytest.fixture
def versions(sessions, clock):
    def _deploy(text: str) -> int:
        with sessions.begin() as session:
            return deploy(session, {"steps.bpmn": text}, "steps.bpmn", user="petra", clock=clock)[0].version
    return _deploy


def start(sessions, clock, title: str) -> int:
    with sessions.begin() as session:
        return engine.start_case(session, "steps", {}, user="anna", clock=clock, title=title).id


def complete(sessions, clock, case_id: int) -> None:
    with sessions.begin() as session:
        task_id = session.scalars(select(OpenTask.id).where(OpenTask.case_id == case_id)).one()
        engine.complete_task(session, task_id, {}, user="anna", clock=clock)


def open_steps(sessions, case_id: int) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(r.name, r.title) for r in session.scalars(select(OpenTask).where(OpenTask.case_id == case_id))]


def version_of(sessions, case_id: int) -> int:
    with sessions() as session:
        return session.get(Case, case_id).version


def run_all(sessions, clock, from_version: int, to_version: int, limit: int = 25):
    with sessions.begin() as session:
        run_id = model_migration.start_migration(session, "steps", from_version, to_version, user="petra",
                                                 clock=clock).id
    while True:
        with sessions.begin() as session:
            run = model_migration.migrate_next(session, run_id, user="petra", clock=clock, limit=limit)
            state = model_migration.progress(run)
        if state["status"] != "running":
            return run_id, state


def test_dry_run_lists_who_can_move_and_why_the_others_cannot(sessions, clock, versions):
    versions(chain("A", "B"))
    at_a = start(sessions, clock, "Vid A")
    at_b = start(sessions, clock, "Vid B")
    complete(sessions, clock, at_b)
    versions(chain("A"))  # version 2 lacks B
    with sessions() as session:
        checks = {c.case_id: c for c in model_migration.plan_migration(session, "steps", 1, 2, clock=clock)}
    assert checks[at_a].movable and checks[at_a].reasons == [] and checks[at_a].waiting_at == ["A"]
    assert not checks[at_b].movable
    assert checks[at_b].reasons == ["Väntar i 'Steg B' (B), som inte finns i version 2."]
    # The dry run wrote nothing.
    assert version_of(sessions, at_a) == 1 and version_of(sessions, at_b) == 1


def test_moved_case_follows_the_new_diagram_and_keeps_its_task(sessions, clock, versions):
    versions(chain("A", "B"))
    case_id = start(sessions, clock, "Flyttas")
    with sessions.begin() as session:
        task_id = session.scalars(select(OpenTask.id).where(OpenTask.case_id == case_id)).one()
        engine.claim_task(session, task_id, user="anna", clock=clock)
    versions(chain("A", "New", "B").replace('name="Steg A"', 'name="Steg A (ny text)"'))
    _, state = run_all(sessions, clock, 1, 2)
    assert state == {"status": "finished", "total": 1, "done": 1, "migrated": 1, "failed": 0,
                     "rolled_back": 0, "kept": 0}
    assert version_of(sessions, case_id) == 2
    with sessions() as session:
        [row] = session.scalars(select(OpenTask).where(OpenTask.case_id == case_id))
        # Same task, same claim; the title comes from the new version.
        assert (row.id, row.assignee, row.title) == (task_id, "anna", "Steg A (ny text)")
        kinds = session.scalars(select(Event.kind).where(Event.kind.like("%migrat%"))).all()
        assert kinds.count("case_migrated") == 1 and "migration_started" in kinds and "migration_finished" in kinds
    complete(sessions, clock, case_id)
    assert open_steps(sessions, case_id) == [("New", "Nytt steg")]  # the step only version 2 has
    complete(sessions, clock, case_id)
    assert open_steps(sessions, case_id) == [("B", "Steg B")]


def test_a_case_whose_history_the_new_version_lacks_stays(sessions, clock, versions):
    versions(chain("A", "B"))
    case_id = start(sessions, clock, "Har passerat A")
    complete(sessions, clock, case_id)
    versions(chain("B"))
    with sessions() as session:
        [check] = model_migration.plan_migration(session, "steps", 1, 2, clock=clock)
    assert not check.movable and check.reasons == [
        "Har passerat 'Steg A' (A), som inte finns i version 2 (ärendets historik skulle inte gå att läsa)."]


def test_a_new_boundary_event_on_the_waiting_task_is_refused(sessions, clock, versions):
    versions(chain("A", "B"))
    case_id = start(sessions, clock, "Vid A")
    versions(chain("A", "B", boundary_on="A"))
    with sessions() as session:
        [check] = model_migration.plan_migration(session, "steps", 1, 2, clock=clock)
    assert check.case_id == case_id and not check.movable
    assert "Vägen in till 'Steg A' (A) är ändrad" in check.reasons[0]


def test_a_waiting_timer_keeps_its_due_time(sessions, clock, versions):
    versions(chain("A", timer_before="Wait"))
    case_id = start(sessions, clock, "Väntar")
    with sessions() as session:
        due = session.scalars(select(WaitingTimer.due_at).where(WaitingTimer.case_id == case_id)).one()
    versions(chain("A", "B", timer_before="Wait"))
    run_all(sessions, clock, 1, 2)
    with sessions() as session:
        assert session.scalars(select(WaitingTimer.due_at).where(WaitingTimer.case_id == case_id)).one() == due
    clock.advance(timedelta(days=8))
    engine.fire_due_timers(sessions, clock=clock)
    assert open_steps(sessions, case_id) == [("A", "Steg A")]
    complete(sessions, clock, case_id)
    assert open_steps(sessions, case_id) == [("B", "Steg B")]


def test_only_movable_cases_are_moved_and_each_is_all_or_nothing(sessions, clock, versions, monkeypatch):
    versions(chain("A", "B"))
    cases = [start(sessions, clock, f"Ärende {n}") for n in range(5)]
    complete(sessions, clock, cases[4])  # at B, which version 2 lacks
    versions(chain("A"))
    original_sync = model_migration.sync_derived_rows

    def failing_for_the_third(session, case, workflow, now):
        if case.id == cases[2]:
            raise RuntimeError("databasen svarade inte")
        return original_sync(session, case, workflow, now)

    monkeypatch.setattr(model_migration, "sync_derived_rows", failing_for_the_third)
    with sessions() as session:
        before = session.get(Case, cases[2]).state
    run_id, state = run_all(sessions, clock, 1, 2, limit=2)
    assert (state["total"], state["migrated"], state["failed"]) == (4, 3, 1)
    assert [version_of(sessions, c) for c in cases] == [2, 2, 1, 2, 1]
    with sessions() as session:
        failed = session.get(Case, cases[2])
        assert failed.state == before and failed.deployment.version == 1
        item = next(i for i in model_migration.get_migration(session, run_id).items if i.case_id == cases[2])
        assert item.status == "failed" and "databasen svarade inte" in item.message


def test_rollback_restores_unchanged_cases_and_keeps_changed_ones(sessions, clock, versions):
    versions(chain("A", "B"))
    untouched, worked_on = start(sessions, clock, "Orörd"), start(sessions, clock, "Arbetad")
    with sessions() as session:
        state_before = session.get(Case, untouched).state
    versions(chain("A", "New", "B"))
    run_id, _ = run_all(sessions, clock, 1, 2)
    complete(sessions, clock, worked_on)  # now at New, which only version 2 has
    with sessions.begin() as session:
        run = model_migration.rollback_migration(session, run_id, user="petra", clock=clock)
        state = model_migration.progress(run)
    assert (state["status"], state["rolled_back"], state["kept"]) == ("rolled_back", 1, 1)
    assert version_of(sessions, untouched) == 1 and version_of(sessions, worked_on) == 2
    with sessions() as session:
        assert session.get(Case, untouched).state == state_before
        kept = next(i for i in model_migration.get_migration(session, run_id).items if i.case_id == worked_on)
        assert kept.status == "kept" and "ändrats efter flytten" in kept.message
        assert session.scalars(select(Event.kind).where(Event.kind == "migration_rolled_back")).one()
    complete(sessions, clock, untouched)
    assert open_steps(sessions, untouched) == [("B", "Steg B")]  # version 1's path again
    with sessions.begin() as session, pytest.raises(Conflict):
        model_migration.rollback_migration(session, run_id, user="petra", clock=clock)


def test_bad_requests_are_refused(sessions, clock, versions):
    versions(chain("A"))
    start(sessions, clock, "Ärende")
    versions(chain("A", "B"))
    with sessions() as session:
        with pytest.raises(InvalidData):
            model_migration.plan_migration(session, "steps", 2, 1, clock=clock)
        with pytest.raises(NotFound):
            model_migration.plan_migration(session, "steps", 1, 9, clock=clock)
    versions(chain("B"))
    with sessions.begin() as session:
        engine.start_case(session, "steps", {}, user="anna", clock=clock)
    with sessions.begin() as session, pytest.raises(Conflict, match="Inget ärende"):
        model_migration.start_migration(session, "steps", 2, 3, user="petra", clock=clock)


def test_element_counts_show_where_cases_wait(sessions, clock, versions):
    versions(chain("A", "B", timer_before="Wait"))
    for _ in range(3):
        start(sessions, clock, "Väntar")
    clock.advance(timedelta(days=8))
    engine.fire_due_timers(sessions, clock=clock)
    start(sessions, clock, "Ny")
    with sessions() as session:
        deployment_id = session.scalars(select(Case.deployment_id)).first()
        assert element_counts(session, deployment_id) == {"A": 3, "Wait": 1}


def test_a_task_replaced_by_another_in_its_place_is_not_taken_for_it(sessions, clock, versions):
    versions(chain("A", "B"))
    case_id = start(sessions, clock, "Vid A")
    versions(chain("New", "B"))  # A deleted, a new task drawn where it stood
    with sessions() as session:
        [check] = model_migration.plan_migration(session, "steps", 1, 2, clock=clock)
    assert check.case_id == case_id and check.reasons == [
        "Väntar i 'Steg A' (A), som inte finns i version 2 (på samma plats står nu 'Nytt steg' (New))."]
