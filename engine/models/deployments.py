"""Deployed model versions: immutable once written."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class Deployment(Base):
    """One deployed version of a process: its main BPMN file plus the DMN and called-process files."""

    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("process_key", "version", name="uq_deployments_key_version"),
        Index("ix_deployments_key_version", "process_key", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    main_file: Mapped[str] = mapped_column(String(300))
    # {file name: XML text}: the main file and every DMN / called-process file it needs.
    files: Mapped[dict] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(200))
    deployed_at: Mapped[datetime] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")

    @property
    def bpmn_xml(self) -> str:
        return self.files[self.main_file]
