"""The append-only event log: who did what, when, with what data. Also reads of personal data."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_case_at", "case_id", "at"), Index("ix_events_task_id", "task_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # No cascade: the log outlives what it describes; deleting a case is refused while events exist.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    element_id: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict | None] = mapped_column()
