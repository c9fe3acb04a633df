"""The simulated clock's time, shared by every process that runs with KOMPIS_CLOCK=simulated."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class ClockState(Base):
    __tablename__ = "clock_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    simulated_now: Mapped[datetime] = mapped_column()
