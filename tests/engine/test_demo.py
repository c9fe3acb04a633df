"""`kompis demo` runs the real processes and leaves every inbox tab and registry page with content."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from engine.demo.run import DemoRefused, run_demo
from engine.deployments import deploy_builtin_processes
from engine.models import Assignment, Case, Client, OpenTask, PaymentBasis, Volunteer
from engine.models.registry import VOLUNTEER_STATUSES


# The second end lies just after a month's reports fall due (the 3rd, 09:00 Stockholm): the demo once
# ran those reports and then the cases still under way past the end and refused to finish.
@pytest.mark.parametrize("end", [datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
                                 datetime(2026, 12, 3, 8, 30, tzinfo=UTC)], ids=["mid-month", "after-the-3rd"])
def test_demo_fills_every_status_and_refuses_a_second_run(sessions, clock, forms, end):
    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=clock, forms=forms)
    report, finished = run_demo(sessions, end=end)
    assert finished == end and set(report.passwords) == {"anna", "bertil", "erik", "petra", "admin"}
    with sessions() as session:
        statuses = dict(session.execute(select(Volunteer.status, func.count()).group_by(Volunteer.status)).all())
        assert set(statuses) == set(VOLUNTEER_STATUSES) and sum(statuses.values()) >= 40
        assert session.scalar(select(func.count()).select_from(Client)) >= 25
        assert session.scalar(select(func.count()).where(Assignment.status == "active")) >= 15
        assert session.scalar(select(func.count()).select_from(PaymentBasis)) > 15
        assert session.scalar(select(func.count()).where(Volunteer.is_demo.is_(False))) == 0
        assert session.scalar(select(func.count()).where(Case.status == "error")) == 0
        tasks = set(session.scalars(select(OpenTask.title)).all())
    assert {"Välj kontaktperson", "Granska intresseanmälan"} <= tasks
    with pytest.raises(DemoRefused):
        run_demo(sessions, end=end)
