"""Open human tasks: the inbox reads only this table, never the engine state."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from engine.db import Base

# Tasks without a due date sort after every dated one. A real value instead of NULL lets one index
# give the inbox its order on both databases (SQLite puts NULLs first, PostgreSQL last).
NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)


def _due_sort_default(context) -> datetime:
    return context.get_current_parameters().get("due_at") or NO_DUE_DATE


class OpenTask(Base):
    __tablename__ = "open_tasks"
    __table_args__ = (
        # The inbox's first page in due-date order is a range read of one of these, never a sort.
        Index("ix_open_tasks_group_due_sort", "group", "due_sort", "created_at", "id"),
        Index("ix_open_tasks_assignee_due_sort", "assignee", "due_sort", "created_at", "id"),
    )

    # The SpiffWorkflow task UUID: stable for the task's whole life, not guessable.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    process_key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))  # BPMN element id
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    group: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column()
    due_sort: Mapped[datetime] = mapped_column(default=_due_sort_default)  # due_at, or NO_DUE_DATE
    priority: Mapped[int] = mapped_column(Integer, default=50)
    form_key: Mapped[str | None] = mapped_column(String(200))
    draft: Mapped[dict | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    documentation: Mapped[str | None] = mapped_column(Text)

    @validates("due_at")
    def _keep_due_sort(self, _key, value):
        self.due_sort = value or NO_DUE_DATE
        return value
