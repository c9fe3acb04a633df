"""The case row on the command path: written once per command, guarded by lock_version, and still an
ordinary ORM object afterwards."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import engine
from engine.case_rows import load_case, write_case
from engine.errors import StaleCase
from engine.models import Case, Event, OpenTask


def start_approval(sessions, clock, deploy_fixture) -> int:
    deploy_fixture("approval")
    with sessions.begin() as session:
        return engine.start_case(session, "approval", {"applicant_id": "A1"}, user="anna", clock=clock).id


def test_a_change_after_a_command_in_the_same_transaction_is_stored_once(sessions, clock, deploy_fixture):
    case_id = start_approval(sessions, clock, deploy_fixture)
    with sessions.begin() as session:
        task_id = session.scalars(select(OpenTask.id)).one()
        case = engine.complete_task(session, task_id, {"approved": False, "points": 1}, user="anna", clock=clock)
        assert case not in session.dirty  # the command wrote it; nothing left for the flush
        case.title = "Ansökan från A1"
    with sessions() as session:
        stored = session.get(Case, case_id)
        assert (stored.title, stored.status) == ("Ansökan från A1", "completed")
        assert stored.lock_version == 4  # started (1), ran to its task (2), completed (3), renamed (4)


def test_a_case_read_before_someone_else_moved_it_is_not_written(sessions, clock, deploy_fixture):
    case_id = start_approval(sessions, clock, deploy_fixture)
    early = sessions()
    stale = load_case(early, case_id)
    early.commit()
    with sessions.begin() as session:
        task_id = session.scalars(select(OpenTask.id)).one()
        engine.complete_task(session, task_id, {"approved": False, "points": 1}, user="anna", clock=clock)
    with pytest.raises(StaleCase, match="ändrades av någon annan"), early.begin():
        stale.title = "överskriven"
        write_case(early, stale)
    early.close()
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.status == "completed" and case.title != "överskriven"
        kinds = session.scalars(select(Event.kind).where(Event.case_id == case_id).order_by(Event.id)).all()
        assert kinds == ["case_started", "task_completed"]
