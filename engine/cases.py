"""The engine commands. Each runs inside the caller's transaction and only flushes.

    load the case row (locked) -> restore the workflow against its version's spec -> run steps
    -> serialize -> rewrite the derived rows -> append events -> deferred follow-up work
"""
from __future__ import annotations

import functools
from uuid import UUID

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from engine.bpmn.sandbox import is_json_native
from engine.bpmn.scripting import make_script_engine
from engine.bpmn.state import STATE_VERSION, dump_state, load_state
from engine.bpmn.timer_clock import using_clock
from engine.case_rows import NEW_CASE_ID, insert_case, load_case, task_with_locked_case, write_case
from engine.clock import Clock
from engine.db import is_postgresql
from engine.deployments import compiled_model, forms_for, latest_deployment
from engine.derived import DerivedChanges, StoredRows, read_case_rows, sync_derived_rows
from engine.errors import (
    CaseNotRunning,
    Conflict,
    InvalidData,
    KompisError,
    PermissionDenied,
    TaskNotOpen,
    UnknownCase,
    UnknownTask,
)
from engine.events import collected_events, record_event
from engine.failures import describe
from engine.held_writes import held_writes
from engine.models import Case, Deployment, Event, OpenTask
from engine.models.cases import CANCELLED, COMPLETED, ERROR, RUNNING
from engine.runtime import Runtime
from engine.script_helpers import build_helpers
from engine.subjects import refresh_subject

MAX_CHAINED_STARTS = 20


def _writes_held(command):
    """Run the command with its row writes held and sent together at its end (engine.held_writes:
    on PostgreSQL one round trip for all of them). Every caller rolls back a command that raises."""
    @functools.wraps(command)
    def run(session: Session, *args, **kwargs):
        with held_writes(session):
            return command(session, *args, **kwargs)
    return run


def _make_runtime(session, clock, user, given: Runtime | None) -> Runtime:
    return given if given is not None else Runtime(session=session, clock=clock, actor=user)


def _require_json_object(data, what: str) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidData(f"{what} måste vara ett JSON-objekt.", {"data": ["Måste vara ett objekt."]})
    bad = [k for k, v in data.items() if not is_json_native(v)]
    if bad:
        raise InvalidData(f"{what} får bara innehålla JSON-värden.", {k: ["Inte ett JSON-värde."] for k in bad})
    return data


def _attach(workflow: BpmnWorkflow, runtime: Runtime, case: Case) -> BpmnWorkflow:
    # Deserialization restores SpiffWorkflow's unrestricted default: always put the sandbox back.
    workflow.script_engine = make_script_engine(build_helpers(runtime, case))
    return workflow


def _load(case: Case, runtime: Runtime) -> BpmnWorkflow:
    model = compiled_model(case.deployment)
    workflow = load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs)
    return _attach(workflow, runtime, case)


def _lock_case(session: Session, case_id: int) -> Case:
    case = load_case(session, case_id, lock=True)
    if case is None:
        raise UnknownCase(f"Ärende {case_id} finns inte.")
    return case


def _steps(workflow: BpmnWorkflow, case: Case, runtime: Runtime, first=None) -> None:
    """Run `first` (e.g. a task's own run) and then every engine step; a failure parks the case."""
    with using_clock(runtime.clock):
        try:
            if first is not None:
                first()
            workflow.do_engine_steps()
        except Exception as exc:  # noqa: BLE001 - any failure in diagram code parks the case
            _park(case, exc, runtime)
    if case.status == RUNNING and workflow.is_completed():
        case.status = COMPLETED
        case.ended_at = runtime.clock.now()


def _park(case: Case, exc: BaseException, runtime: Runtime) -> None:
    case.status = ERROR
    case.failure = describe(exc)
    record_event(runtime.session, runtime.clock, actor="system", kind="case_failed", case_id=case.id,
                 element_id=case.failure["element_id"], data={"message": case.failure["message"]})


def _save(case: Case, workflow: BpmnWorkflow, runtime: Runtime, *, completed_task_id: str | None = None,
          new_case: bool = False, stored: StoredRows | None = None) -> DerivedChanges:
    try:
        case.state = dump_state(workflow)
    except TypeError as exc:
        raise InvalidData(f"Ärendets data kan inte sparas som JSON: {exc}") from None
    case.serializer_version = STATE_VERSION
    case.updated_at = runtime.clock.now()
    session = runtime.session
    refresh_subject(session, case, workflow.last_task.data if workflow.last_task is not None else {}, stored)
    write_case(session, case)  # the case row first: a stale lock_version stops us before anything else
    changes = sync_derived_rows(session, case, workflow, runtime.clock.now(), new_case=new_case, stored=stored)
    for task_id, element_id in changes.withdrawn:
        if task_id != completed_task_id:
            record_event(session, runtime.clock, actor="system", kind="task_withdrawn", case_id=case.id,
                         element_id=element_id, task_id=task_id)
    session.flush()
    runtime.run_deferred()
    return changes


@_writes_held
def start_case(session: Session, process_key: str, data: dict | None = None, *, user: str, clock: Clock,
               business_key: str | None = None, title: str = "", parent_case_id: int | None = None,
               _runtime: Runtime | None = None) -> Case:
    """Start the latest version of a process with `data`. Raises UnknownProcess, InvalidData."""
    data = dict(_require_json_object(data, "Startdata"))
    runtime = _runtime_for_start(session, clock, user, _runtime)
    deployment, case_id = _latest_version(session, process_key)
    model = compiled_model(deployment)
    now = clock.now()
    case = insert_case(session, deployment, case_id=case_id, process_key=process_key, status=RUNNING,
                       business_key=business_key, title=title or str(data.get("title", ""))[:300], state="{}",
                       serializer_version=STATE_VERSION, started_by=user, created_at=now, updated_at=now)
    workflow = _attach(BpmnWorkflow(model.spec, model.subprocess_specs), runtime, case)
    workflow.task_tree.data.update(data)
    for task in workflow.task_tree.children:
        task.data.update(data)
    with collected_events(session):  # the start's events in one statement, after its rows
        record_event(session, clock, actor=user, kind="case_started", case_id=case.id,
                     data={"process_key": process_key, "version": deployment.version, "data": data,
                           "parent_case_id": parent_case_id})
        _steps(workflow, case, runtime)
        _save(case, workflow, runtime, new_case=True)
    return case


_LATEST_WITHOUT_FILES = (select(Deployment).options(defer(Deployment.files))
                         .where(Deployment.process_key == bindparam("process_key"))
                         .order_by(Deployment.version.desc()).limit(1))
_LATEST_AND_NEW_CASE_ID = _LATEST_WITHOUT_FILES.add_columns(NEW_CASE_ID)


def _latest_version(session: Session, process_key: str) -> tuple[Deployment, int | None]:
    """The newest version without its files (see case_rows.WITHOUT_MODEL_FILES) and, on PostgreSQL,
    the new case's id drawn in the same statement (case_rows.NEW_CASE_ID). Raises UnknownProcess."""
    if is_postgresql(session):
        found = session.execute(_LATEST_AND_NEW_CASE_ID, {"process_key": process_key}).first()
        if found is not None:
            return found[0], found[1]
    else:
        found = session.scalars(_LATEST_WITHOUT_FILES, {"process_key": process_key}).first()
        if found is not None:
            return found, None
    return latest_deployment(session, process_key), None


def _runtime_for_start(session, clock, user, given: Runtime | None) -> Runtime:
    runtime = _make_runtime(session, clock, user, given)
    runtime.depth += 1
    if runtime.depth > MAX_CHAINED_STARTS:
        raise Conflict("För många ärenden startades i en kedja (över 20); kontrollera processernas start_case.")
    return runtime


def _missing_task(session: Session, task_id: str) -> KompisError:
    done = session.scalars(select(Event).where(Event.task_id == task_id)
                           .where(Event.kind.in_(("task_completed", "task_withdrawn")))
                           .order_by(Event.at.desc()).limit(1)).first()
    if done is None:
        return UnknownTask(f"Uppgiften {task_id} finns inte.")
    if done.kind == "task_completed":
        when = done.at.strftime("%Y-%m-%d %H:%M")
        return TaskNotOpen(f"Uppgiften är redan slutförd (av {done.actor}, {when} UTC).")
    return TaskNotOpen("Uppgiften är inte längre öppen: ärendet har gått vidare.")


def get_open_task(session: Session, task_id: str, *, lock_case: bool = False) -> OpenTask:
    """The open task, or UnknownTask / TaskNotOpen saying why not. `lock_case`: read as stored now,
    with its case locked for the command that follows (complete_task), in the same statement."""
    row = task_with_locked_case(session, str(task_id)) if lock_case else session.get(OpenTask, str(task_id))
    if row is None:
        raise _missing_task(session, str(task_id))
    return row


@_writes_held
def complete_task(session: Session, task_id: str, data: dict | None, *, user: str, clock: Clock,
                  claim: bool = False, _runtime: Runtime | None = None) -> Case:
    """Complete a user task with form data; `claim`: take it first if nobody holds it (the history
    shows who took it). Raises InvalidData (per field), TaskNotOpen, StaleCase, PermissionDenied
    (claimed by someone else), UnknownTask."""
    runtime = _make_runtime(session, clock, user, _runtime)
    task_id = str(task_id)
    case = _lock_case(session, get_open_task(session, task_id).case_id)
    # Under the lock: the task as it is now, with the case's other query rows the save diffs against.
    stored = read_case_rows(session, case.id)
    row = stored["task"].get(task_id)
    if row is None:
        raise _missing_task(session, task_id)
    # The form of the case's own version: an edited form deployed later does not change running cases.
    cleaned = forms_for(case.deployment, runtime.forms).get(row.form_key).validate(data or {}) if row.form_key \
        else dict(_require_json_object(data, "Uppgiftsdata"))
    if row.assignee and row.assignee != user:
        raise PermissionDenied(f"Uppgiften är tilldelad {row.assignee}.")
    if case.status != RUNNING:
        raise CaseNotRunning(f"Ärendet är inte aktivt (status: {case.status}).")
    workflow = _load(case, runtime)
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.READY:
        raise TaskNotOpen("Uppgiften är inte längre öppen: ärendet har gått vidare.")
    task.set_data(**cleaned)
    with collected_events(session):
        if claim and row.assignee is None:
            # Only the event: the task row goes with the completion, an UPDATE of it would be undone.
            record_event(session, clock, actor=user, kind="task_claimed", case_id=case.id, element_id=row.name,
                         task_id=task_id)
        record_event(session, clock, actor=user, kind="task_completed", case_id=case.id,
                     element_id=task.task_spec.name, task_id=task_id, data=cleaned)
        _steps(workflow, case, runtime, first=task.run)
        _save(case, workflow, runtime, completed_task_id=task_id, stored=stored)
    return case


def save_draft(session: Session, task_id: str, data: dict, *, user: str, clock: Clock) -> OpenTask:
    """Keep unfinished form input on the open task (not validated, not in the case data)."""
    row = get_open_task(session, task_id)
    row.draft = dict(_require_json_object(data, "Utkastet"))
    record_event(session, clock, actor=user, kind="draft_saved", case_id=row.case_id,
                 element_id=row.name, task_id=row.id)
    session.flush()
    return row


_TASKS = OpenTask.__table__
_CLAIM = update(_TASKS).where(_TASKS.c.id == bindparam("task_id"), _TASKS.c.assignee.is_(None)).values(
    assignee=bindparam("user"))
_SET_ASSIGNEE = update(_TASKS).where(_TASKS.c.id == bindparam("task_id")).values(assignee=bindparam("user"))


def _write_assignee(session: Session, row: OpenTask, statement, assignee: str | None) -> bool:
    """Set the task's assignee with a plain UPDATE; False when the statement matched no row (the task
    was completed, or claimed, after `row` was read: another request's commit in between)."""
    if session.connection().execute(statement, {"task_id": row.id, "user": assignee}).rowcount != 1:
        return False
    set_committed_value(row, "assignee", assignee)
    return True


def _task_now(session: Session, task_id: str) -> OpenTask:
    """The task as stored now, or TaskNotOpen / UnknownTask saying why it is gone."""
    row = session.get(OpenTask, task_id, populate_existing=True)
    if row is None:
        raise _missing_task(session, task_id)
    return row


def claim_task(session: Session, task_id: str, *, user: str, clock: Clock) -> OpenTask:
    """Take an unassigned task. Raises Conflict when someone else holds it, TaskNotOpen when it was
    completed meanwhile."""
    row = get_open_task(session, task_id)
    if not _write_assignee(session, row, _CLAIM, user):
        row = _task_now(session, row.id)
        if row.assignee != user:
            raise Conflict(f"Uppgiften är redan tagen av {row.assignee}.")
    record_event(session, clock, actor=user, kind="task_claimed", case_id=row.case_id,
                 element_id=row.name, task_id=row.id)
    session.flush()
    return row


def unclaim_task(session: Session, task_id: str, *, user: str, clock: Clock, force: bool = False) -> OpenTask:
    """Give a task back to the group. Only its holder may, unless `force` (a manager)."""
    row = get_open_task(session, task_id)
    if row.assignee is None:
        return row
    if row.assignee != user and not force:
        raise PermissionDenied(f"Uppgiften är tilldelad {row.assignee}; bara hen eller en chef kan lämna tillbaka den.")
    previous = row.assignee
    if not _write_assignee(session, row, _SET_ASSIGNEE, None):
        raise _missing_task(session, row.id)
    record_event(session, clock, actor=user, kind="task_unclaimed", case_id=row.case_id,
                 element_id=row.name, task_id=row.id, data={"previous": previous})
    session.flush()
    return row


def assign_task(session: Session, task_id: str, assignee: str | None, *, user: str, clock: Clock) -> OpenTask:
    """Give a task to a named user (or nobody)."""
    row = get_open_task(session, task_id)
    previous = row.assignee
    if not _write_assignee(session, row, _SET_ASSIGNEE, assignee or None):
        raise _missing_task(session, row.id)
    record_event(session, clock, actor=user, kind="task_assigned", case_id=row.case_id, element_id=row.name,
                 task_id=row.id, data={"assignee": row.assignee, "previous": previous})
    session.flush()
    return row


@_writes_held
def cancel_case(session: Session, case_id: int, *, user: str, clock: Clock, reason: str = "") -> Case:
    """Stop a running (or failed) case for good. Raises UnknownCase, CaseNotRunning."""
    runtime = _make_runtime(session, clock, user, None)
    case = _lock_case(session, case_id)
    if case.status not in (RUNNING, ERROR):
        raise CaseNotRunning(f"Ärendet är redan avslutat (status: {case.status}).")
    workflow = _load(case, runtime)
    workflow.cancel()
    case.status, case.ended_at = CANCELLED, clock.now()
    record_event(session, clock, actor=user, kind="case_cancelled", case_id=case.id, data={"reason": reason})
    _save(case, workflow, runtime)
    return case


@_writes_held
def retry_case(session: Session, case_id: int, data: dict | None = None, *, user: str, clock: Clock) -> Case:
    """Run a failed case's failed step again, after merging corrected `data` into that step."""
    runtime = _make_runtime(session, clock, user, None)
    data = dict(_require_json_object(data, "Rättade data"))
    case = _lock_case(session, case_id)
    if case.status != ERROR:
        raise CaseNotRunning("Ärendet har inget fel att rätta.")
    workflow = _load(case, runtime)
    failed = workflow.get_tasks(state=TaskState.ERROR)
    previous = case.failure
    case.status, case.failure = RUNNING, None
    record_event(session, clock, actor=user, kind="case_retried", case_id=case.id,
                 element_id=(previous or {}).get("element_id"), data={"data": data})

    def rerun():
        for task in failed:
            task.set_data(**data)
            task.run()

    _steps(workflow, case, runtime, first=rerun)
    _save(case, workflow, runtime)
    return case


@_writes_held
def deliver_message(session: Session, case_id: int, name: str, payload: dict, *, user: str, clock: Clock,
                    _runtime: Runtime | None = None) -> Case:
    """Give one case the message it waits for; the payload lands in its data."""
    runtime = _make_runtime(session, clock, user, _runtime)
    case = _lock_case(session, case_id)
    if case.status != RUNNING:
        raise CaseNotRunning(f"Ärendet är inte aktivt (status: {case.status}).")
    workflow = _load(case, runtime)
    waiting = [t for t in workflow.get_tasks(state=TaskState.WAITING)
               if getattr(getattr(t.task_spec, "event_definition", None), "name", None) == name]
    if not waiting:
        raise Conflict(f"Ärendet väntar inte längre på meddelandet '{name}'.")
    definition = waiting[0].task_spec.event_definition
    result_var = getattr(definition, "result_var", None) or name
    event = BpmnEvent(type(definition)(name), payload={"payload": payload, "result_var": result_var})
    record_event(session, clock, actor=user, kind="message_received", case_id=case.id,
                 element_id=waiting[0].task_spec.name, data={"name": name, "payload": payload})
    _steps(workflow, case, runtime, first=lambda: workflow.send_event(event))
    _save(case, workflow, runtime)
    return case


def correlate_message(session: Session, name: str, correlation_key: str | None, payload: dict | None = None, *,
                      user: str, clock: Clock, _runtime: Runtime | None = None) -> list[Case]:
    """Deliver a message to every case waiting for (name, key), or start the process it starts.
    Raises NoWaitingCase when nothing waits and no process starts with it; InvalidData for bad payload."""
    from engine.messages import cases_waiting_for, process_started_by

    payload = dict(_require_json_object(payload, "Meddelandets innehåll"))
    runtime = _make_runtime(session, clock, user, _runtime)
    case_ids = cases_waiting_for(session, name, correlation_key)
    if case_ids:
        return [deliver_message(session, case_id, name, payload, user=user, clock=clock, _runtime=runtime)
                for case_id in case_ids]
    process_key = process_started_by(session, name)
    # A message that starts a case also gives it its start data.
    case = start_case(session, process_key, payload, user=user, clock=clock, business_key=correlation_key,
                      _runtime=runtime)
    if case.status != RUNNING:
        return [case]
    return [deliver_message(session, case.id, name, payload, user=user, clock=clock, _runtime=runtime)]
