"""The domain registry: volunteers (contact persons), clients and assignments, and each month's
payment basis. Rows change only through process steps (engine/registry.py), each change logged."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base

VOLUNTEER_STATUSES = ("applicant", "approved_waiting", "assigned", "paused", "left", "rejected")
ASSIGNMENT_STATUSES = ("planned", "active", "ended")


class _Person:
    """Columns every registered person has."""

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    personnummer: Mapped[str | None] = mapped_column(String(13), unique=True)
    details: Mapped[dict] = mapped_column(default=dict)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Volunteer(_Person, Base):
    __tablename__ = "volunteers"
    __table_args__ = (Index("ix_volunteers_status_waiting", "status", "waiting_since"),)

    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    area: Mapped[str | None] = mapped_column(String(100))
    workplace: Mapped[str | None] = mapped_column(String(200))
    interests: Mapped[list] = mapped_column(default=list)
    languages: Mapped[list] = mapped_column(default=list)
    gender: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="applicant")
    waiting_since: Mapped[date | None] = mapped_column(Date)
    status_changed_at: Mapped[datetime] = mapped_column()


class Client(_Person, Base):
    __tablename__ = "clients"

    area: Mapped[str | None] = mapped_column(String(100))
    daily_activity_place: Mapped[str | None] = mapped_column(String(200))
    guardian_name: Mapped[str | None] = mapped_column(String(200))
    guardian_phone: Mapped[str | None] = mapped_column(String(40))
    # {"interests": [...], "age": "20-40", "gender": "any|woman|man", "language": "..."}
    wishes: Mapped[dict] = mapped_column(default=dict)
    # {"legal_basis": "LSS|SoL", "decision_date", "meetings_per_month", "goals"}
    decision: Mapped[dict] = mapped_column(default=dict)
    # Free text naming the client's god man, förvaltare and staff: matched against volunteers.
    representatives: Mapped[str] = mapped_column(String(2000), default="")


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    terms: Mapped[dict] = mapped_column(default=dict)
    fee_per_month: Mapped[int | None] = mapped_column(Integer)
    expenses_per_month: Mapped[int | None] = mapped_column(Integer)
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    next_report_due: Mapped[datetime | None] = mapped_column()
    next_review_on: Mapped[date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column()


class PaymentBasis(Base):
    """What payroll pays for one assignment-month; held back until the month's report is approved."""

    __tablename__ = "payment_basis"
    __table_args__ = (UniqueConstraint("assignment_id", "month", name="uq_payment_basis_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    fee: Mapped[int] = mapped_column(Integer)
    expenses: Mapped[int] = mapped_column(Integer)
    report_status: Mapped[str] = mapped_column(String(30))
    held_back: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column()
