"""The inbox as query statements over open tasks and case subjects: never the engine state.

Tabs: `mine` (assigned to me), `group` (my groups, claimed or not), `all` (managers and admins).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Bundle

from engine.models import Case, OpenTask, User

MANAGER_ROLES = ("unit_manager", "admin")
SORTS = {
    "due": (OpenTask.due_sort, OpenTask.created_at),  # undated last; see ix_open_tasks_group_due_sort
    "created": (OpenTask.created_at.desc(),),
    "title": (OpenTask.title, OpenTask.created_at),
    "priority": (OpenTask.priority.desc(), OpenTask.due_at),
    "subject": (Case.subject_name, OpenTask.due_at),
}
DUE_SOON = timedelta(days=7)


@dataclass
class InboxFilter:
    scope: str = "group"
    process_key: str | None = None
    name: str | None = None
    assignee: str | None = None
    overdue: bool = False
    due_soon: bool = False
    due_before: datetime | None = None
    q: str | None = None
    sort: str = "due"


def scopes_for(user: User) -> tuple[str, ...]:
    return ("mine", "group", "all") if user.role in MANAGER_ROLES else ("mine", "group")


def visible_to(user: User):
    """The need-to-know rule for tasks: managers see all; others their groups and their own tasks."""
    if user.role in MANAGER_ROLES:
        return None
    return or_(OpenTask.group.in_(user.groups or []), OpenTask.assignee == user.username)


# What a list shows of a task's case: who it is about. Never the engine state (tens of KB a case) or
# the model's files.
CASE_SUMMARY = Bundle("case", Case.id, Case.process_key, Case.title, Case.status, Case.business_key,
                      Case.volunteer_id, Case.client_id, Case.assignment_id, Case.subject_name, Case.subject_pnr)


def _scope_conditions(user: User, scope: str) -> list:
    # "mine" and "group" are each inside the need-to-know rule already; repeating the rule would make
    # every count read the table rows instead of the (group | assignee, due_sort, …) index alone.
    if scope == "mine":
        return [OpenTask.assignee == user.username]
    if scope == "group":
        return [OpenTask.group.in_(user.groups or [])]
    rule = visible_to(user)
    return [] if rule is None else [rule]


def _conditions(user: User, flt: InboxFilter, now: datetime) -> list:
    """The WHERE of one tab with its filters (the search `q` needs the case table)."""
    scope = flt.scope if flt.scope in scopes_for(user) else "group"
    conditions = _scope_conditions(user, scope)
    if flt.process_key:
        conditions.append(OpenTask.process_key == flt.process_key)
    if flt.name:
        conditions.append(OpenTask.name == flt.name)
    if flt.assignee:
        conditions.append(OpenTask.assignee == flt.assignee)
    if flt.overdue:
        conditions.append(OpenTask.due_at < now)
    if flt.due_soon:
        conditions += [OpenTask.due_at >= now, OpenTask.due_at < now + DUE_SOON]
    if flt.due_before:
        conditions.append(OpenTask.due_at < flt.due_before)
    if flt.q:
        needle = flt.q.strip().lower().replace("-", "")
        conditions.append(or_(Case.search_text.contains(needle), func.lower(OpenTask.title).contains(needle)))
    return conditions


def inbox_query(user: User, flt: InboxFilter, now: datetime) -> Select:
    """Rows of (OpenTask, case summary) for one tab with filters and sort applied (no paging)."""
    return (select(OpenTask, CASE_SUMMARY).join(Case, Case.id == OpenTask.case_id)
            .where(*_conditions(user, flt, now)).order_by(*SORTS.get(flt.sort, SORTS["due"]), OpenTask.id))


def count_statement(user: User, flt: InboxFilter, now: datetime) -> Select:
    """How many rows `inbox_query` gives, counted from open_tasks and its indexes; the case table is
    joined only for a search. (A count wrapped around `inbox_query` reads every task's case row: 1.25 s
    at 92,000 tasks in one group on SQLite.)"""
    statement = select(func.count()).select_from(OpenTask)
    if flt.q:
        statement = statement.join(Case, Case.id == OpenTask.case_id)
    return statement.where(*_conditions(user, flt, now))


def tab_counts(session, user: User) -> dict[str, int]:
    """How many open tasks each tab holds (unfiltered)."""
    counts = {}
    for scope in scopes_for(user):
        counts[scope] = session.scalar(select(func.count()).select_from(OpenTask)
                                       .where(*_scope_conditions(user, scope)))
    return counts


def filter_choices(session, user: User) -> dict[str, list]:
    """Processes, task types and assignees that occur in what the user may see."""
    base = select(OpenTask)
    rule = visible_to(user)
    if rule is not None:
        base = base.where(rule)
    sub = base.subquery()
    processes = session.scalars(select(sub.c.process_key).distinct().order_by(sub.c.process_key)).all()
    names = session.execute(select(sub.c.name, sub.c.title).distinct().order_by(sub.c.title)).all()
    assignees = session.scalars(select(sub.c.assignee).where(sub.c.assignee.is_not(None)).distinct()
                                .order_by(sub.c.assignee)).all()
    return {"processes": processes, "names": names, "assignees": assignees}
