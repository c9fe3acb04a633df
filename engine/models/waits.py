"""What cases wait for: timers (by due time) and messages (by name and correlation key)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class WaitingTimer(Base):
    __tablename__ = "waiting_timers"
    # The scheduler claims the earliest due timers `ORDER BY due_at, id LIMIT 25`: with `id` in the
    # index it reads those 25 entries; on `due_at` alone the database sorted every timer of a due
    # time again at each claim (thousands when a month's report deadlines fall due at once).
    __table_args__ = (Index("ix_waiting_timers_due_at_id", "due_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class WaitingMessage(Base):
    __tablename__ = "waiting_messages"
    __table_args__ = (Index("ix_waiting_messages_name_key", "name", "correlation_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    correlation_key: Mapped[str | None] = mapped_column(String(300))
