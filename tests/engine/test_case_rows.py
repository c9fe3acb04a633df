"""The case row on the command path: written once per command, guarded by lock_version, and still an
ordinary ORM object afterwards."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

import engine
from engine.case_rows import load_case, write_case
from engine.errors import StaleCase, TaskNotOpen, UnknownTask
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


@pytest.fixture
def case_reads(sessions):
    """The statements that read a case row, all its columns: (locked, joined with its task)."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT") and "cases.lock_version" in statement:
            seen.append(("FOR UPDATE" in statement, "JOIN cases" in statement))

    bind = sessions.kw["bind"]
    event.listen(bind, "before_cursor_execute", record)
    yield seen
    event.remove(bind, "before_cursor_execute", record)


def test_a_task_read_with_its_case_locked_spares_the_command_its_own_read(sessions, clock, deploy_fixture,
                                                                         case_reads):
    case_id = start_approval(sessions, clock, deploy_fixture)
    locks = sessions.kw["bind"].dialect.name == "postgresql"
    with sessions() as session:
        task_id = session.scalars(select(OpenTask.id)).one()
    case_reads.clear()
    with sessions.begin() as session:
        task = engine.get_open_task(session, task_id, lock_case=True)
        assert task.case_id == case_id
        case = engine.complete_task(session, task_id, {"approved": False, "points": 1}, user="anna", clock=clock)
        assert case.status == "completed"
    assert case_reads == [(locks, True)]  # the command itself read no case row
    with sessions() as session:
        assert session.get(Case, case_id).status == "completed"


def test_the_case_read_with_its_task_stays_locked_until_the_command_ends(sessions, clock, deploy_fixture):
    case_id = start_approval(sessions, clock, deploy_fixture)
    bind = sessions.kw["bind"]
    with sessions() as session:
        task_id = session.scalars(select(OpenTask.id)).one()
        engine.get_open_task(session, task_id, lock_case=True)
        other = bind.raw_connection()
        try:
            cursor = other.cursor()
            with pytest.raises(bind.dialect.loaded_dbapi.OperationalError):
                if bind.dialect.name == "postgresql":
                    cursor.execute("SET lock_timeout = '100ms'")
                    cursor.execute("SELECT id FROM cases WHERE id = %s FOR UPDATE", (case_id,))
                else:  # SQLite: the command's BEGIN IMMEDIATE holds the whole database
                    cursor.execute("PRAGMA busy_timeout = 100")
                    cursor.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
        session.rollback()


def test_a_case_locked_ahead_serves_one_command_in_its_own_transaction_only(sessions, clock, deploy_fixture,
                                                                           case_reads):
    case_id = start_approval(sessions, clock, deploy_fixture)
    with sessions() as session:
        task_id = session.scalars(select(OpenTask.id)).one()
        engine.get_open_task(session, task_id, lock_case=True)
        session.commit()  # the lock ends with the transaction: the next command reads (and locks) again
        case_reads.clear()
        assert load_case(session, case_id, lock=True).id == case_id
        assert len(case_reads) == 1
        session.rollback()

        with session.begin_nested() as savepoint:
            engine.get_open_task(session, task_id, lock_case=True)
            savepoint.rollback()  # releases the row lock taken inside it
        case_reads.clear()
        assert load_case(session, case_id, lock=True).id == case_id
        assert len(case_reads) == 1

        engine.get_open_task(session, task_id, lock_case=True)
        case_reads.clear()
        load_case(session, case_id, lock=True)
        load_case(session, case_id, lock=True)
        assert len(case_reads) == 1  # served once; a second locking read is a read again
        session.rollback()


def test_an_unknown_or_finished_task_locks_nothing_and_says_why(sessions, clock, deploy_fixture):
    start_approval(sessions, clock, deploy_fixture)
    with sessions.begin() as session:
        task_id = session.scalars(select(OpenTask.id)).one()
        engine.complete_task(session, task_id, {"approved": False, "points": 1}, user="anna", clock=clock)
    with sessions() as session:
        with pytest.raises(TaskNotOpen, match="redan slutförd"):
            engine.get_open_task(session, task_id, lock_case=True)
        with pytest.raises(UnknownTask):
            engine.get_open_task(session, "00000000-0000-0000-0000-000000000000", lock_case=True)
