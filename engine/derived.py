"""Rewrite a case's query rows (open tasks, waiting timers, waiting messages) from its workflow.

Runs on every save, in the same transaction as the state, so the inbox and the scheduler never need
to deserialize a case to know what it waits for.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import calendar, timer_signal
from engine.clock import STOCKHOLM
from engine.models import Case, OpenTask, WaitingMessage, WaitingTimer

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


def sync_derived_rows(session: Session, case: Case, workflow, now: datetime, *,
                      new_case: bool = False) -> list[tuple[str, str]]:
    """Make the case's query rows match the workflow: insert new, delete gone, keep claims.
    Returns the (task id, element id) of every open task that went away. A `new_case` has no rows yet:
    nothing is read or deleted (three statements fewer per start)."""
    running = case.status == "running"
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)} if running else {}
    waiting = workflow.get_tasks(state=TaskState.WAITING) if running else []

    existing = {} if new_case else \
        {row.id: row for row in session.scalars(select(OpenTask).where(OpenTask.case_id == case.id))}
    withdrawn = []
    for task_id, row in existing.items():
        if task_id not in ready:
            withdrawn.append((task_id, row.name))
            session.delete(row)
    for task_id, task in ready.items():
        if task_id in existing:
            continue
        spec = task.task_spec
        extensions = spec.extensions or {}
        priority = extensions.get("priority")
        session.add(OpenTask(
            id=task_id, case_id=case.id, process_key=case.process_key, name=spec.name,
            title=spec.bpmn_name or spec.name, lane=spec.lane, group=_group_of(task),
            assignee=_evaluate_optional(task, workflow, extensions.get("assignee")),
            due_at=_due_date(task, workflow, now),
            priority=int(priority) if priority and str(priority).isdigit() else 50,
            form_key=extensions.get("formKey") or getattr(getattr(spec, "form", None), "key", None),
            created_at=now, documentation=spec.documentation))

    timers, messages = {}, {}
    for task in waiting:
        definition = _event_definition(task)
        if isinstance(definition, TimerEventDefinition):
            due = _as_datetime(task.internal_data.get("event_value"))
            if due is None:
                log.warning("case %s: timer %s has no due time yet", case.id, task.task_spec.name)
                continue
            timers[str(task.id)] = (task, due)
        elif isinstance(definition, MessageEventDefinition):
            key_expression = (task.task_spec.extensions or {}).get("correlationKey")
            key = _evaluate_optional(task, workflow, key_expression) if key_expression else case.business_key
            messages[str(task.id)] = (task, definition.name, key)

    existing_timers = {} if new_case else {row.task_id: row for row in session.scalars(
        select(WaitingTimer).where(WaitingTimer.case_id == case.id))}
    for task_id, row in existing_timers.items():
        if task_id not in timers:
            session.delete(row)
    for task_id, (task, due) in timers.items():
        row = existing_timers.get(task_id)
        if row is None:
            session.add(WaitingTimer(case_id=case.id, task_id=task_id, element_id=task.task_spec.name,
                                     due_at=due, attempts=0))
            timer_signal.scheduled(session, due)
        elif row.due_at != due:
            row.due_at, row.attempts = due, 0  # a cycle timer moved on to its next fire
            timer_signal.scheduled(session, due)

    if not new_case:
        session.execute(delete(WaitingMessage).where(WaitingMessage.case_id == case.id))
    for task_id, (task, name, key) in messages.items():
        session.add(WaitingMessage(case_id=case.id, task_id=task_id, element_id=task.task_spec.name,
                                   name=name, correlation_key=key))
    return withdrawn
