"""The case: one process instance, its serialized engine state and what it is about."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base
from engine.models.deployments import Deployment

RUNNING = "running"
COMPLETED = "completed"
CANCELLED = "cancelled"
ERROR = "error"
STATUSES = (RUNNING, COMPLETED, CANCELLED, ERROR)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_process_status", "process_key", "status"),
        Index("ix_cases_business_key", "business_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    status: Mapped[str] = mapped_column(String(20), default=RUNNING)
    business_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300), default="")
    # Subject references into the registry (volunteers, clients, assignments).
    volunteer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    client_id: Mapped[int | None] = mapped_column(Integer, index=True)
    assignment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Denormalised for the inbox: shown (personnummer masked) and searched without loading the state.
    subject_name: Mapped[str | None] = mapped_column(String(300))
    subject_pnr: Mapped[str | None] = mapped_column(String(13))
    search_text: Mapped[str | None] = mapped_column(String(1000))
    # SpiffWorkflow state without the spec (the spec lives once per deployment).
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(50))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    # What the last failed step left: {"element_id", "element_name", "message", "task_id"}.
    failure: Mapped[dict | None] = mapped_column()
    started_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()

    deployment: Mapped[Deployment] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def version(self) -> int:
        return self.deployment.version
