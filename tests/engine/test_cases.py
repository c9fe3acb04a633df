"""The engine commands, driven as the web app and the API drive them: one transaction each."""
from __future__ import annotations

from datetime import timedelta
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

import engine
from engine.errors import (
    CaseNotRunning,
    Conflict,
    InvalidData,
    NoWaitingCase,
    PermissionDenied,
    TaskNotOpen,
    UnknownProcess,
    UnknownTask,
)
from engine.models import Case, Event, Notification, OpenTask, WaitingMessage, WaitingTimer
from engine.models.cases import CANCELLED, COMPLETED, ERROR, RUNNING


def open_tasks(sessions, case_id=None):
    with sessions() as session:
        query = select(OpenTask)
        if case_id is not None:
            query = query.where(OpenTask.case_id == case_id)
        return session.scalars(query).all()


def start(sessions, clock, key="approval", data=None, **kw):
    with sessions.begin() as session:
        case = engine.start_case(session, key, data if data is not None else {"applicant_id": "A1"},
                                 user="anna", clock=clock, **kw)
        return case.id


def complete(sessions, clock, task_id, data, user="anna"):
    with sessions.begin() as session:
        return engine.complete_task(session, task_id, data, user=user, clock=clock).status


def test_start_unknown_process_is_refused_and_stores_nothing(sessions, clock):
    with pytest.raises(UnknownProcess, match="nosuch"):
        with sessions.begin() as session:
            engine.start_case(session, "nosuch", {}, user="anna", clock=clock)
    with sessions() as session:
        assert session.scalars(select(Case)).all() == []


def test_started_case_shows_its_first_task_in_the_inbox_table(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    case_id = start(sessions, clock)
    [task] = open_tasks(sessions, case_id)
    assert task.title == "Granska ansökan"
    assert task.group == "handlaggare"  # from the lane
    assert task.form_key == "review"
    assert task.priority == 70
    assert task.documentation == "Läs ansökan och bedöm den."
    # P14D from 2026-01-05 09:00 Stockholm: end of 19 January, Stockholm time (UTC+1).
    assert task.due_at.isoformat() == "2026-01-19T22:59:59+00:00"
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.status == RUNNING and case.version == 1
        assert '"spec"' not in case.state  # the spec lives once per deployment
        kinds = [e.kind for e in session.scalars(select(Event).where(Event.case_id == case_id))]
        assert kinds == ["case_started"]


def test_invalid_form_data_reports_each_field_and_changes_nothing(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    case_id = start(sessions, clock)
    [task] = open_tasks(sessions, case_id)
    with sessions() as session:
        version_before = session.get(Case, case_id).lock_version
    with pytest.raises(InvalidData) as caught:
        with sessions.begin() as session:
            engine.complete_task(session, task.id, {"points": 99, "hacked": 1}, user="anna", clock=clock)
    assert caught.value.errors == {
        "approved": ["Fältet måste fyllas i."],
        "points": ["Värdet får vara högst 10."],
        "hacked": ["Fältet finns inte i formuläret."],
    }
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.lock_version == version_before
        assert session.get(OpenTask, task.id) is not None


def test_completing_runs_script_gateway_and_waits_for_the_message(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    case_id = start(sessions, clock)
    [task] = open_tasks(sessions, case_id)
    assert complete(sessions, clock, task.id, {"approved": True, "points": 7}) == RUNNING
    assert open_tasks(sessions, case_id) == []
    with sessions() as session:
        [wait] = session.scalars(select(WaitingMessage)).all()
        assert (wait.name, wait.correlation_key, wait.element_id) == ("register_answer", "A1", "Catch_answer")
        event = session.scalars(select(Event).where(Event.kind == "task_completed")).one()
        assert (event.actor, event.data) == ("anna", {"approved": True, "points": 7})


def test_rejected_application_takes_the_default_flow_and_completes(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    case_id = start(sessions, clock)
    [task] = open_tasks(sessions, case_id)
    assert complete(sessions, clock, task.id, {"approved": False, "points": 9}) == COMPLETED
    with sessions() as session:
        assert session.get(Case, case_id).ended_at == clock.now()


def test_completing_a_finished_task_says_who_finished_it(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    start(sessions, clock)
    [task] = open_tasks(sessions)
    complete(sessions, clock, task.id, {"approved": False, "points": 1})
    with pytest.raises(TaskNotOpen, match="redan slutförd \\(av anna"):
        complete(sessions, clock, task.id, {"approved": False, "points": 1}, user="bertil")


def test_unknown_task_is_not_found(sessions, clock):
    with pytest.raises(UnknownTask):
        complete(sessions, clock, "00000000-0000-0000-0000-000000000000", {})


def test_claim_unclaim_and_assign(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    start(sessions, clock)
    [task] = open_tasks(sessions)
    with sessions.begin() as session:
        assert engine.claim_task(session, task.id, user="anna", clock=clock).assignee == "anna"
    with pytest.raises(Conflict, match="redan tagen av anna"):
        with sessions.begin() as session:
            engine.claim_task(session, task.id, user="bertil", clock=clock)
    with pytest.raises(PermissionDenied):
        complete(sessions, clock, task.id, {"approved": False, "points": 1}, user="bertil")
    with pytest.raises(PermissionDenied):
        with sessions.begin() as session:
            engine.unclaim_task(session, task.id, user="bertil", clock=clock)
    with sessions.begin() as session:
        engine.unclaim_task(session, task.id, user="anna", clock=clock)
        engine.assign_task(session, task.id, "bertil", user="chef", clock=clock)
    assert complete(sessions, clock, task.id, {"approved": False, "points": 1}, user="bertil") == COMPLETED
    with sessions() as session:
        kinds = [e.kind for e in session.scalars(select(Event).order_by(Event.id))]
    assert kinds[-4:] == ["task_claimed", "task_unclaimed", "task_assigned", "task_completed"]


def test_message_goes_to_the_case_with_the_matching_key_only(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    first = start(sessions, clock, data={"applicant_id": "A1"})
    second = start(sessions, clock, data={"applicant_id": "A2"})
    for task in open_tasks(sessions):
        complete(sessions, clock, task.id, {"approved": True, "points": 8})
    with pytest.raises(NoWaitingCase):
        with sessions.begin() as session:
            engine.correlate_message(session, "register_answer", "A3", {}, user="api", clock=clock)
    with sessions.begin() as session:
        [case] = engine.correlate_message(session, "register_answer", "A2", {"clear": True}, user="api",
                                          clock=clock)
        assert case.id == second
    with sessions() as session:
        waiting = session.scalars(select(WaitingMessage.case_id)).all()
        assert waiting == [first]
        timer = session.scalars(select(WaitingTimer)).one()
        assert timer.case_id == second and timer.due_at == clock.now() + timedelta(days=7, microseconds=1)


def test_message_payload_must_be_json(sessions, clock):
    with pytest.raises(InvalidData):
        with sessions.begin() as session:
            engine.correlate_message(session, "x", "k", {"when": clock.now()}, user="api", clock=clock)


def test_message_start_event_starts_a_case_with_the_payload(sessions, clock, deploy_fixture):
    deploy_fixture("reminder")
    with sessions.begin() as session:
        [case] = engine.correlate_message(session, "application_received", "web-17",
                                          {"email": "sara@example.se"}, user="e-tjanst", clock=clock)
        assert (case.process_key, case.business_key) == ("reminder", "web-17")
    [task] = open_tasks(sessions)
    assert task.title == "Registrera samtycke"


def test_boundary_timer_withdraws_task_sends_reminder_and_opens_follow_up(sessions, clock, deploy_fixture):
    deploy_fixture("reminder")
    with sessions.begin() as session:
        engine.correlate_message(session, "application_received", "web-18", {"email": "sara@example.se"},
                                 user="e-tjanst", clock=clock)
    [consent] = open_tasks(sessions)
    clock.advance(timedelta(days=13))
    assert engine.fire_due_timers(sessions, clock=clock).fired == 0
    clock.advance(timedelta(days=2))
    assert engine.fire_due_timers(sessions, clock=clock).fired == 1
    [follow_up] = open_tasks(sessions)
    assert follow_up.title == "Ring den sökande"
    assert follow_up.due_at.isoformat() == "2026-01-22T22:59:59+00:00"  # today + 2 days, end of day
    with sessions() as session:
        note = session.scalars(select(Notification)).one()
        assert (note.recipient, note.subject, note.status) == ("sara@example.se", "Påminnelse", "pending")
        withdrawn = session.scalars(select(Event).where(Event.kind == "task_withdrawn")).one()
        assert withdrawn.task_id == consent.id
    with pytest.raises(TaskNotOpen, match="gått vidare"):
        complete(sessions, clock, consent.id, {})


def test_cancel_case_clears_its_tasks_and_cannot_be_repeated(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    case_id = start(sessions, clock)
    with sessions.begin() as session:
        assert engine.cancel_case(session, case_id, user="chef", clock=clock, reason="Dubblett").status == CANCELLED
    assert open_tasks(sessions) == []
    with pytest.raises(CaseNotRunning):
        with sessions.begin() as session:
            engine.cancel_case(session, case_id, user="chef", clock=clock)


def test_failed_script_parks_the_case_and_retry_with_corrected_data_resumes(sessions, clock, deploy_fixture):
    from tests.bpmn_text import script_process
    from engine.deployments import deploy

    with sessions.begin() as session:
        deploy(session, {"div.bpmn": script_process("result = 10 / divisor")}, "div.bpmn", user="owner",
               clock=clock)
    case_id = start(sessions, clock, key="scripted", data={"divisor": 0})
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.status == ERROR
        assert case.failure["element_id"] == "Script"
        assert case.failure["message"] == "Division med noll i en beräkning."
    assert open_tasks(sessions) == []
    with sessions.begin() as session:
        case = engine.retry_case(session, case_id, {"divisor": 4}, user="admin", clock=clock)
        assert case.status == RUNNING and case.failure is None
    [task] = open_tasks(sessions)
    assert task.title == "Kontrollera"


def test_missing_variable_names_the_variable(sessions, clock):
    from tests.bpmn_text import condition_process
    from engine.deployments import deploy

    with sessions.begin() as session:
        deploy(session, {"g.bpmn": condition_process("age >= 18")}, "g.bpmn", user="owner", clock=clock)
    case_id = start(sessions, clock, key="gated", data={})
    with sessions() as session:
        failure = session.get(Case, case_id).failure
    assert failure["element_id"] == "Gate"
    assert "'age' saknas" in failure["message"]


def test_gateway_without_a_true_branch_parks_the_case(sessions, clock):
    from tests.bpmn_text import condition_process
    from engine.deployments import deploy

    with sessions.begin() as session:
        deploy(session, {"g.bpmn": condition_process("x > 1", default=False)}, "g.bpmn", user="owner",
               clock=clock)
    case_id = start(sessions, clock, key="gated", data={"x": 0})
    with sessions() as session:
        case = session.get(Case, case_id)
    assert case.status == ERROR and case.failure["element_id"] == "Gate"


def test_script_producing_non_json_data_fails_clearly(sessions, clock):
    from tests.bpmn_text import script_process
    from engine.deployments import deploy

    with sessions.begin() as session:
        deploy(session, {"s.bpmn": script_process("tags = set([1, 2])")}, "s.bpmn", user="owner", clock=clock)
    case_id = start(sessions, clock, key="scripted", data={})
    with sessions() as session:
        case = session.get(Case, case_id)
    assert case.status == ERROR
    assert "Variabeln 'tags' har typen set" in case.failure["message"]


def test_start_data_must_be_json(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    with pytest.raises(InvalidData):
        with sessions.begin() as session:
            engine.start_case(session, "approval", {"when": clock.now()}, user="anna", clock=clock)


def test_call_activity_and_decision_table_run_inside_one_case(sessions, clock, deploy_fixture):
    deployment = deploy_fixture("parent")
    assert sorted(deployment.files) == ["child_steps.bpmn", "compensation.dmn", "parent.bpmn"]
    case_id = start(sessions, clock, key="parent", data={"meetings_per_week": 2})
    [task] = open_tasks(sessions, case_id)
    assert task.title == "Stödsamtal"
    assert complete(sessions, clock, task.id, {"note": "Bra"}) == COMPLETED
    with sessions() as session:
        assert '"fee_percent":35' in session.get(Case, case_id).state


def test_case_subject_is_kept_for_the_inbox_from_data_then_registry(sessions, clock):
    from tests.bpmn_text import script_process
    from engine.deployments import deploy
    from engine.registry import Registry

    with sessions.begin() as session:
        deploy(session, {"s.bpmn": script_process("x = 1")}, "s.bpmn", user="owner", clock=clock)
        volunteer = Registry(session, clock, "anna").register_volunteer(
            {"first_name": "Sara", "last_name": "Lind", "personnummer": "198112189876"})
    first = start(sessions, clock, key="scripted",
                  data={"first_name": "Ali", "last_name": "Nur", "personnummer": "19900101-0017"})
    second = start(sessions, clock, key="scripted", data={"volunteer_id": volunteer})
    with sessions() as session:
        one, two = session.get(Case, first), session.get(Case, second)
    assert (one.subject_name, one.subject_pnr) == ("Ali Nur", "19900101-0017")
    assert "199001010017" in one.search_text and "ali nur" in one.search_text
    assert (two.volunteer_id, two.subject_name, two.subject_pnr) == (volunteer, "Sara Lind", "19811218-9876")


def _rename_on_completion_process() -> str:
    """start -> 'Kontrollera' -> script: a note "byt namn" renames the volunteer -> 'Igen' -> end."""
    from tests.bpmn_text import HEAD

    script = 'if note == "byt namn":\n    register_volunteer({"volunteer_id": volunteer_id, "first_name": "Sarah"})'
    return HEAD + f"""  <bpmn:process id="renaming" isExecutable="true">
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Check"/>
    <bpmn:userTask id="Check" name="Kontrollera" camunda:formKey="note" camunda:candidateGroups="handlaggare">
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Check" targetRef="Rename"/>
    <bpmn:scriptTask id="Rename" name="Byt namn"><bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="F3" sourceRef="Rename" targetRef="Again"/>
    <bpmn:userTask id="Again" name="Igen" camunda:formKey="note" camunda:candidateGroups="handlaggare">
      <bpmn:incoming>F3</bpmn:incoming><bpmn:outgoing>F4</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="F4" sourceRef="Again" targetRef="EndEvent"/>
    <bpmn:endEvent id="EndEvent"><bpmn:incoming>F4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize("note, shown", [("inget", "Sara Lind"), ("byt namn", "Sarah Lind")])
def test_a_completion_shows_who_the_case_is_about_as_the_registry_has_them_after_it(sessions, clock, note, shown):
    """The people are read with the case's rows under its lock, and read again when the step itself
    changed the registry."""
    from sqlalchemy import event

    from engine.deployments import deploy
    from engine.registry import Registry

    with sessions.begin() as session:
        deploy(session, {"r.bpmn": _rename_on_completion_process()}, "r.bpmn", user="owner", clock=clock)
        volunteer = Registry(session, clock, "anna").register_volunteer(
            {"first_name": "Sara", "last_name": "Lind", "personnummer": "198112189876"})
    case_id = start(sessions, clock, key="renaming", data={"volunteer_id": volunteer})
    [task] = open_tasks(sessions, case_id)
    people_reads = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT 1 AS rank"):
            people_reads.append(statement)

    bind = sessions.kw["bind"]
    event.listen(bind, "before_cursor_execute", count)
    try:
        complete(sessions, clock, task.id, {"note": note})
    finally:
        event.remove(bind, "before_cursor_execute", count)
    with sessions() as session:
        case = session.get(Case, case_id)
    assert (case.subject_name, case.subject_pnr) == (shown, "19811218-9876")
    assert shown.lower() in case.search_text
    assert len(people_reads) == (1 if note == "byt namn" else 0)


@pytest.mark.parametrize("action", ["claim", "unclaim", "assign"])
def test_a_task_completed_after_it_was_read_is_reported_as_completed(sessions, clock, deploy_fixture, action):
    """Two caseworkers: one reads the task (the list, the task page), the other completes it and
    commits, then the first claims, gives back or reassigns it: a clear 'already completed', never
    an internal error."""
    deploy_fixture("approval")
    start(sessions, clock)
    [task] = open_tasks(sessions)
    if action == "unclaim":
        with sessions.begin() as session:
            engine.claim_task(session, task.id, user="anna", clock=clock)
    with sessions() as first:
        seen = engine.get_open_task(first, task.id)  # read, and kept by the first session
        first.commit()
        complete(sessions, clock, task.id, {"approved": False, "points": 1}, user="anna")
        with pytest.raises(TaskNotOpen, match="redan slutförd \\(av anna"):
            if action == "claim":
                engine.claim_task(first, seen.id, user="bertil", clock=clock)
            elif action == "unclaim":
                engine.unclaim_task(first, seen.id, user="anna", clock=clock)
            else:
                engine.assign_task(first, seen.id, "bertil", user="chef", clock=clock)
