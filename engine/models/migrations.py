"""Moving running cases from one deployed version to another: a run, and one item per case.

An item keeps the case's state from before the move, so a run can be rolled back for every case that
has not changed since.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base

# Run statuses
PENDING = "pending"
RUNNING = "running"
FINISHED = "finished"
ROLLED_BACK = "rolled_back"
# Item statuses
ITEM_PENDING = "pending"
ITEM_MIGRATED = "migrated"
ITEM_FAILED = "failed"
ITEM_ROLLED_BACK = "rolled_back"
ITEM_KEPT = "kept"  # could not be rolled back: the case changed after the move


class MigrationRun(Base):
    __tablename__ = "migration_runs"
    __table_args__ = (Index("ix_migration_runs_key", "process_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    from_deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    to_deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    started_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    rolled_back_at: Mapped[datetime | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list[MigrationItem]] = relationship(back_populates="run", order_by="MigrationItem.case_id",
                                                      cascade="all, delete-orphan")


class MigrationItem(Base):
    __tablename__ = "migration_items"
    __table_args__ = (Index("ix_migration_items_run_status", "run_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("migration_runs.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ITEM_PENDING)
    message: Mapped[str] = mapped_column(Text, default="")
    # The case as it was before the move, for rollback.
    previous_state: Mapped[str | None] = mapped_column(Text)
    previous_serializer_version: Mapped[str | None] = mapped_column(String(50))
    # The case's lock_version right after the move: a rollback only restores a case still at it.
    lock_version_after: Mapped[int | None] = mapped_column(Integer)
    migrated_at: Mapped[datetime | None] = mapped_column()

    run: Mapped[MigrationRun] = relationship(back_populates="items")
