"""Need-to-know, in one place for pages and API alike: who may see a case and its personal data."""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import PermissionDenied
from engine.events import record_event
from engine.inbox import MANAGER_ROLES
from engine.models import Event, OpenTask, User


def can_view_case(session: Session, user: User, case_id: int) -> bool:
    """Managers and admins see every case; others a case with an open task in their groups or
    assigned to them, or one they have worked on."""
    if user.role in MANAGER_ROLES:
        return True
    groups = user.groups or []
    has_task = session.scalar(select(exists().where(
        OpenTask.case_id == case_id, (OpenTask.group.in_(groups)) | (OpenTask.assignee == user.username))))
    if has_task:
        return True
    return bool(session.scalar(select(exists().where(Event.case_id == case_id, Event.actor == user.username,
                                                     Event.kind.in_(("task_completed", "task_claimed",
                                                                     "case_started"))))))


def open_case(session: Session, user: User, case_id: int, *, clock: Clock, what: str) -> None:
    """Check access and log the read of personal data. Raises PermissionDenied."""
    if not can_view_case(session, user, case_id):
        raise PermissionDenied("Du har inte behörighet till det här ärendet.")
    record_event(session, clock, actor=user.username, kind="case_viewed", case_id=case_id, data={"view": what})
