"""Rewrite a case's query rows (open tasks, waiting timers, waiting messages) from its workflow.

Runs on every save, in the same transaction as the state, so the inbox and the scheduler never need
to deserialize a case to know what it waits for.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import (
    Integer,
    String,
    bindparam,
    delete,
    insert,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from engine import calendar, timer_signal
from engine.clock import STOCKHOLM
from engine.db import UTCDateTime
from engine.held_writes import DELETE, INSERT, UPDATE, write
from engine.models import Case, Client, OpenTask, Volunteer, WaitingMessage, WaitingTimer
from engine.models.tasks import NO_DUE_DATE
from engine.subjects import READ_AT, registry_writes

log = logging.getLogger(__name__)
_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def _as_datetime(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, dict):  # a cycle timer: {"cycles", "next", "duration"}
        value = value.get("next")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=STOCKHOLM)


def _event_definition(task):
    return getattr(task.task_spec, "event_definition", None)


def _due_date(task, workflow, now: datetime) -> datetime | None:
    """A user task's due date from camunda:dueDate: a duration from now, or an expression."""
    expression = (task.task_spec.extensions or {}).get("dueDate")
    if not expression:
        return None
    expression = expression.strip()
    match = _DURATION.match(expression)
    if match and any(match.groups()):
        weeks, days, hours, minutes = (int(g or 0) for g in match.groups())
        local = now.astimezone(STOCKHOLM)
        if hours or minutes:
            return now + timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
        # Whole days mean "by the end of that day", whatever DST does in between.
        return datetime.fromisoformat(calendar.end_of_day(local.date() + timedelta(weeks=weeks, days=days)))
    value = workflow.script_engine.evaluate(task, expression)
    if isinstance(value, str) and len(value) == 10:
        return datetime.fromisoformat(calendar.end_of_day(value))
    return _as_datetime(value)


def _evaluate_optional(task, workflow, expression: str | None):
    if not expression:
        return None
    value = workflow.script_engine.evaluate(task, expression)
    return None if value is None else str(value)


def _group_of(task) -> str | None:
    groups = (task.task_spec.extensions or {}).get("candidateGroups")
    if groups:
        return groups.split(",")[0].strip()
    return task.task_spec.lane


@dataclass
class DerivedChanges:
    """What a save changed in the query rows."""
    withdrawn: list[tuple[str, str]] = field(default_factory=list)  # (task id, element id) of gone open tasks
    timers: dict[str, datetime] = field(default_factory=dict)  # task id -> due time of every waiting timer


_TASKS, _TIMERS, _MESSAGES = OpenTask.__table__, WaitingTimer.__table__, WaitingMessage.__table__
_CASES, _CLIENTS, _VOLUNTEERS = Case.__table__, Client.__table__, Volunteer.__table__
# Built once: making a statement costs more than running it on SQLite (about 0.15 ms against 0.04).
_CASE_ID = bindparam("case_id")


def _person_rows(kind: str, people, case_column, cases_where):
    """The person a case refers to, in the union's columns: row_id is their id, name and key their
    first and last name, form_key their personnummer (see engine.subjects, which shows them)."""
    return (select(literal_column(f"'{kind}'"), _CASES.c.id, null(), people.c.id, people.c.first_name,
                   people.c.last_name, null(), null(), people.c.personnummer)
            .select_from(_CASES.join(people, people.c.id == case_column)).where(cases_where))


def _rows_of(tasks_where, timers_where, messages_where, cases_where):
    """Cases' rows of all three tables in one round trip: (kind, case_id, task_id, row_id, name, key,
    due_at, assignee, form_key); the last two are an open task's (completing one checks them). With
    them, who each case is about (kinds "client" and "volunteer"): every save shows their names."""
    nothing = type_coerce(null(), String)
    return union_all(
        select(literal_column("'task'").label("kind"), _TASKS.c.case_id.label("case_id"),
               _TASKS.c.id.label("task_id"), type_coerce(null(), Integer).label("row_id"),
               _TASKS.c.name.label("name"), nothing.label("key"),
               type_coerce(null(), UTCDateTime()).label("due_at"), _TASKS.c.assignee.label("assignee"),
               _TASKS.c.form_key.label("form_key"))
        .where(tasks_where),
        select(literal_column("'timer'"), _TIMERS.c.case_id, _TIMERS.c.task_id, _TIMERS.c.id, _TIMERS.c.element_id,
               null(), _TIMERS.c.due_at, null(), null())
        .where(timers_where),
        select(literal_column("'message'"), _MESSAGES.c.case_id, _MESSAGES.c.task_id, _MESSAGES.c.id,
               _MESSAGES.c.name, _MESSAGES.c.correlation_key, null(), null(), null())
        .where(messages_where),
        _person_rows("client", _CLIENTS, _CASES.c.client_id, cases_where),
        _person_rows("volunteer", _VOLUNTEERS, _CASES.c.volunteer_id, cases_where))


_ROWS_OF = _rows_of(_TASKS.c.case_id == _CASE_ID, _TIMERS.c.case_id == _CASE_ID, _MESSAGES.c.case_id == _CASE_ID,
                    _CASES.c.id == _CASE_ID)
_CASE_IDS = bindparam("case_ids", expanding=True)
_ROWS_OF_MANY = _rows_of(_TASKS.c.case_id.in_(_CASE_IDS), _TIMERS.c.case_id.in_(_CASE_IDS),
                         _MESSAGES.c.case_id.in_(_CASE_IDS), _CASES.c.id.in_(_CASE_IDS))
# One row per statement, so that a batch's deletes go out as one executemany (engine.held_writes).
_ROW_ID = bindparam("row_id")
_DELETE_TASK = delete(_TASKS).where(_TASKS.c.id == _ROW_ID)
_DELETE_TIMER = delete(_TIMERS).where(_TIMERS.c.id == _ROW_ID)
_DELETE_MESSAGE = delete(_MESSAGES).where(_MESSAGES.c.id == _ROW_ID)
_MOVE_TIMER = update(_TIMERS).where(_TIMERS.c.id == bindparam("timer_id")).values(
    due_at=bindparam("due_at"), attempts=0)
_INSERT_TASKS, _INSERT_TIMERS, _INSERT_MESSAGES = insert(_TASKS), insert(_TIMERS), insert(_MESSAGES)


def _forget(session: Session, model, keys) -> None:
    """Drop ORM copies of rows deleted behind the ORM's back, so nothing flushes them again."""
    for key in keys:
        instance = session.identity_map.get(session.identity_key(model, key))
        if instance is not None:
            session.expunge(instance)


def _open_task_row(case: Case, task, workflow, now: datetime) -> dict:
    spec = task.task_spec
    extensions = spec.extensions or {}
    priority = extensions.get("priority")
    due_at = _due_date(task, workflow, now)
    return {"id": str(task.id), "case_id": case.id, "process_key": case.process_key, "name": spec.name,
            "title": spec.bpmn_name or spec.name, "lane": spec.lane, "group": _group_of(task),
            "assignee": _evaluate_optional(task, workflow, extensions.get("assignee")),
            "due_at": due_at, "due_sort": due_at or NO_DUE_DATE,
            "priority": int(priority) if priority and str(priority).isdigit() else 50,
            "form_key": extensions.get("formKey") or getattr(getattr(spec, "form", None), "key", None),
            "created_at": now, "documentation": spec.documentation}


def _waits(case: Case, workflow, waiting) -> tuple[dict, dict]:
    timers, messages = {}, {}
    for task in waiting:
        definition = _event_definition(task)
        if isinstance(definition, TimerEventDefinition):
            due = _as_datetime(task.internal_data.get("event_value"))
            if due is None:
                log.warning("case %s: timer %s has no due time yet", case.id, task.task_spec.name)
                continue
            timers[str(task.id)] = (task.task_spec.name, due)
        elif isinstance(definition, MessageEventDefinition):
            key_expression = (task.task_spec.extensions or {}).get("correlationKey")
            key = _evaluate_optional(task, workflow, key_expression) if key_expression else case.business_key
            messages[str(task.id)] = (task.task_spec.name, definition.name, key)
    return timers, messages


# kind ("task", "timer", "message") -> task id -> row, as _rows_of reads them; "client", "volunteer"
# -> None -> row; READ_AT -> engine.subjects.registry_writes when they were read.
StoredRows = dict


def _no_rows(session: Session) -> StoredRows:
    return {"task": {}, "timer": {}, "message": {}, "client": {}, "volunteer": {}, READ_AT: registry_writes(session)}


def read_case_rows(session: Session, case_id: int) -> StoredRows:
    """One case's query rows as stored now (current once the case row is locked)."""
    stored = _no_rows(session)
    for row in session.connection().execute(_ROWS_OF, {"case_id": case_id}):
        stored[row.kind][row.task_id] = row
    return stored


def read_stored_rows(session: Session, case_ids) -> dict[int, StoredRows]:
    """The query rows of several cases in one statement (the scheduler reads a batch's at once)."""
    found = {case_id: _no_rows(session) for case_id in case_ids}
    if found:
        for row in session.connection().execute(_ROWS_OF_MANY, {"case_ids": list(found)}):
            found[row.case_id][row.kind][row.task_id] = row
    return found


def sync_derived_rows(session: Session, case: Case, workflow, now: datetime, *,
                      new_case: bool = False, stored: StoredRows | None = None) -> DerivedChanges:
    """Make the case's query rows match the workflow: insert new, delete gone, keep claims and drafts.
    A `new_case` has no rows yet: nothing is read or deleted. `stored`: the rows as read earlier in
    this transaction (read_stored_rows), valid while no other command of the transaction touched the case.

    Plain SQL statements (through engine.held_writes), not ORM objects: this runs on every command,
    and the unit of work costs about a millisecond per table here. The caller has written the case."""
    running = case.status == "running"
    ready, waiting = {}, []
    # One walk of the task tree for both (each walk visits every task: a tenth of a millisecond here).
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING) if running else ():
        if task.state == TaskState.WAITING:
            waiting.append(task)
        elif task.task_spec.manual:
            ready[str(task.id)] = task
    timers, messages = _waits(case, workflow, waiting)
    changes = DerivedChanges(timers={task_id: due for task_id, (_, due) in timers.items()})

    if stored is None:
        stored = _no_rows(session) if new_case else read_case_rows(session, case.id)
    existing = {task_id: row.name for task_id, row in stored["task"].items()}
    changes.withdrawn = [(task_id, name) for task_id, name in existing.items() if task_id not in ready]
    if changes.withdrawn:
        gone = [task_id for task_id, _ in changes.withdrawn]
        write(session, DELETE, _DELETE_TASK, [{"row_id": task_id} for task_id in gone])
        _forget(session, OpenTask, gone)
    added = [_open_task_row(case, task, workflow, now) for task_id, task in ready.items() if task_id not in existing]
    if added:
        write(session, INSERT, _INSERT_TASKS, added)

    existing_timers = {task_id: (row.row_id, row.due_at) for task_id, row in stored["timer"].items()}
    gone = [row_id for task_id, (row_id, _) in existing_timers.items() if task_id not in timers]
    if gone:
        write(session, DELETE, _DELETE_TIMER, [{"row_id": row_id} for row_id in gone])
        _forget(session, WaitingTimer, gone)
    added = []
    for task_id, (element_id, due) in timers.items():
        if task_id not in existing_timers:
            added.append({"case_id": case.id, "task_id": task_id, "element_id": element_id, "due_at": due,
                          "attempts": 0})
            timer_signal.scheduled(session, due)
        elif existing_timers[task_id][1] != due:  # a cycle timer moved on to its next fire
            write(session, UPDATE, _MOVE_TIMER, [{"timer_id": existing_timers[task_id][0], "due_at": due}])
            timer_signal.scheduled(session, due)
    if added:
        write(session, INSERT, _INSERT_TIMERS, added)

    existing_messages = stored["message"]
    gone = [row.row_id for task_id, row in existing_messages.items()
            if task_id not in messages or (row.name, row.key) != messages[task_id][1:]]
    if gone:
        write(session, DELETE, _DELETE_MESSAGE, [{"row_id": row_id} for row_id in gone])
        _forget(session, WaitingMessage, gone)
    added = [{"case_id": case.id, "task_id": task_id, "element_id": element_id, "name": name, "correlation_key": key}
             for task_id, (element_id, name, key) in messages.items()
             if task_id not in existing_messages or existing_messages[task_id].row_id in gone]
    if added:
        write(session, INSERT, _INSERT_MESSAGES, added)
    return changes
