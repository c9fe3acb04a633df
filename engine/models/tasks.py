"""Open human tasks: the inbox reads only this table, never the engine state."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class OpenTask(Base):
    __tablename__ = "open_tasks"
    __table_args__ = (
        Index("ix_open_tasks_group_due", "group", "due_at"),
        Index("ix_open_tasks_assignee_due", "assignee", "due_at"),
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
    priority: Mapped[int] = mapped_column(Integer, default=50)
    form_key: Mapped[str | None] = mapped_column(String(200))
    draft: Mapped[dict | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    documentation: Mapped[str | None] = mapped_column(Text)
