"""Held writes: a batch's row writes go out together, yet every read sees them, a stale case fails
the batch as a whole, and nothing held survives a failure."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

import engine
import engine.held_writes as held_writes_module
from engine.case_rows import load_case, write_case
from engine.deployments import deploy
from engine.errors import StaleCase
from engine.held_writes import INSERT, held_writes, write
from engine.models import Case, Document, Event, Notification, OpenTask, WaitingTimer
from tests.bpmn_text import script_process, timer_process
from tests.engine.test_documents import TERMS


@pytest.fixture
def statements(sessions):
    """Every statement the database receives: (first words, executemany)."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((" ".join(statement.split()[:3]), executemany))

    bind = sessions.kw["bind"]
    event.listen(bind, "before_cursor_execute", record)
    yield seen
    event.remove(bind, "before_cursor_execute", record)


def start_timed(sessions, clock, n: int) -> list[int]:
    with sessions.begin() as session:
        deploy(session, {"t.bpmn": timer_process('"P1D"')}, "t.bpmn", user="owner", clock=clock)
        return [engine.start_case(session, "timed", {}, user="anna", clock=clock).id for _ in range(n)]


def test_a_batch_of_timers_writes_its_case_rows_with_one_statement(sessions, clock, statements):
    ids = start_timed(sessions, clock, 10)
    clock.advance(timedelta(days=2))
    statements.clear()
    report = engine.fire_due_timers(sessions, clock=clock)
    assert (report.fired, report.failed) == (10, 0)
    assert [s for s in statements if s[0] == "UPDATE cases SET"] == [("UPDATE cases SET", True)]
    assert [s for s in statements if s[0] == "INSERT INTO open_tasks"] == [("INSERT INTO open_tasks", True)]
    with sessions() as session:
        assert sorted(session.scalars(select(OpenTask.case_id)).all()) == ids
        assert session.scalars(select(WaitingTimer)).all() == []
        assert {c.lock_version for c in session.scalars(select(Case))} == {3}  # started, waited, fired
        assert len(session.scalars(select(Event).where(Event.kind == "timer_fired")).all()) == 10


def _writes(statements) -> list[str]:
    return [s[0] for s in statements if s[0].split()[0] in ("UPDATE", "DELETE", "INSERT")]


def test_a_new_case_is_written_once_with_its_state_after_its_first_steps(sessions, clock, statements,
                                                                         monkeypatch):
    with sessions.begin() as session:
        deploy(session, {"s.bpmn": script_process("points = 3")}, "s.bpmn", user="owner", clock=clock)
    real_pipeline, pipelines = held_writes_module._run_pipelined, []
    monkeypatch.setattr(held_writes_module, "_run_pipelined",
                        lambda connection, taken, prepared: (pipelines.append(len(taken)),
                                                             real_pipeline(connection, taken, prepared)))
    statements.clear()
    with sessions.begin() as session:
        case_id = engine.start_case(session, "scripted", {"title": "Ny"}, user="anna", clock=clock).id
    if sessions.kw["bind"].dialect.name == "postgresql":
        # the id came with the read of the latest version; the row goes out with the task and events
        assert _writes(statements) == ["INSERT INTO cases", "INSERT INTO open_tasks", "INSERT INTO events"]
        assert pipelines == [3]
    else:
        assert _writes(statements) == ["INSERT INTO cases", "UPDATE cases SET", "INSERT INTO open_tasks",
                                       "INSERT INTO events"]
    with sessions() as session:
        case = session.get(Case, case_id)
        assert (case.title, case.status, case.lock_version) == ("Ny", "running", 2)
        assert '"points":3' in case.state.replace(" ", "")
        waiting_at = session.scalars(select(OpenTask.name).where(OpenTask.case_id == case_id)).all()
        assert waiting_at == ["Check"]
    with sessions.begin() as session:  # and it is an ordinary case from here on
        task_id = session.scalars(select(OpenTask.id).where(OpenTask.case_id == case_id)).one()
        engine.complete_task(session, task_id, {}, user="anna", clock=clock)
    with sessions() as session:
        case = session.get(Case, case_id)
        assert (case.status, case.lock_version) == ("completed", 3)


def test_a_start_whose_first_steps_store_a_row_of_the_case_stores_the_case_before_it(sessions, clock):
    with sessions.begin() as session:
        deploy(session, {"s.bpmn": script_process('doc = create_agreement_pdf("7", terms)')}, "s.bpmn",
               user="owner", clock=clock)
    with sessions.begin() as session:
        case_id = engine.start_case(session, "scripted", {"terms": TERMS}, user="anna", clock=clock).id
    with sessions() as session:
        document = session.scalars(select(Document)).one()
        case = session.get(Case, case_id)
        assert document.case_id == case_id  # the document's reference to its case held
        assert (case.status, case.lock_version) == ("running", 2)
        assert f'"doc":{document.id}' in case.state.replace(" ", "")


def test_a_read_inside_the_block_sees_the_writes_held_before_it(sessions, clock, statements):
    case_id, = start_timed(sessions, clock, 1)
    with sessions.begin() as session, held_writes(session):
        case = load_case(session, case_id, lock=True)
        case.title = "Ny rubrik"
        statements.clear()
        write_case(session, case)
        assert statements == []  # held
        stored = session.connection().execute(select(Case.title).where(Case.id == case_id)).scalar_one()
        assert stored == "Ny rubrik"
        assert [s[0] for s in statements] == ["UPDATE cases SET", "SELECT cases.title FROM"]


def test_a_case_written_twice_in_one_block_keeps_the_last_write(sessions, clock):
    case_id, = start_timed(sessions, clock, 1)
    with sessions.begin() as session, held_writes(session):
        case = load_case(session, case_id, lock=True)
        for title in ("först", "sist"):
            case.title = title
            write_case(session, case)
    with sessions() as session:
        case = session.get(Case, case_id)
        assert (case.title, case.lock_version) == ("sist", 4)


def test_a_stale_case_fails_its_whole_batch_and_nothing_of_it_is_stored(sessions, clock):
    first, second = start_timed(sessions, clock, 2)
    with pytest.raises(StaleCase, match="ändrades av någon annan"), sessions.begin() as session, \
            held_writes(session):
        fresh, stale = load_case(session, first, lock=True), load_case(session, second, lock=True)
        fresh.title = stale.title = "ändrad"
        set_committed_value(stale, "lock_version", stale.lock_version - 1)  # read before someone else wrote
        write_case(session, fresh)
        write_case(session, stale)
    with sessions() as session:
        assert [c.title for c in session.scalars(select(Case).order_by(Case.id))] == ["", ""]


def test_writes_held_when_the_block_fails_are_never_sent(sessions, clock, statements):
    case_id, = start_timed(sessions, clock, 1)
    with pytest.raises(ValueError, match="boom"), sessions.begin() as session:
        case = load_case(session, case_id, lock=True)
        statements.clear()
        with held_writes(session):
            case.title = "aldrig"
            write_case(session, case)
            raise ValueError("boom")
    assert not [s for s in statements if s[0] == "UPDATE cases SET"]
    with sessions() as session:
        assert session.get(Case, case_id).title == ""


def test_a_batch_whose_writes_are_refused_fires_again_case_by_case_once_each(sessions, clock, monkeypatch, caplog):
    ids = start_timed(sessions, clock, 4)
    clock.advance(timedelta(days=2))
    real_send, refused = held_writes_module._send, []

    def refuse_the_first_batch(connection, held):
        several = [len(rows) for rows in held.groups.values() if len(rows) > 1]
        if several and not refused:  # only a held batch sends several rows of one statement
            refused.append(max(several))
            held.take()
            raise RuntimeError("the database refused the batch")
        real_send(connection, held)

    monkeypatch.setattr(held_writes_module, "_send", refuse_the_first_batch)
    report = engine.fire_due_timers(sessions, clock=clock)
    assert refused == [4]
    assert (report.fired, report.failed) == (4, 0)
    assert "writing the batch failed" in caplog.text
    with sessions() as session:
        fired = session.scalars(select(Event.case_id).where(Event.kind == "timer_fired")).all()
        assert sorted(fired) == ids
        assert sorted(session.scalars(select(OpenTask.case_id)).all()) == ids


def waiting_at_the_task(sessions, clock) -> tuple[int, str]:
    """A case whose timer has fired: it waits at its user task."""
    case_id, = start_timed(sessions, clock, 1)
    clock.advance(timedelta(days=2))
    engine.fire_due_timers(sessions, clock=clock)
    with sessions() as session:
        return case_id, session.scalars(select(OpenTask.id).where(OpenTask.case_id == case_id)).one()


def test_a_commands_writes_go_out_together_and_on_postgresql_in_one_pipeline(sessions, clock, statements,
                                                                             monkeypatch):
    case_id, task_id = waiting_at_the_task(sessions, clock)
    real_pipeline, pipelines = held_writes_module._run_pipelined, []

    def counted(connection, taken, prepared):
        pipelines.append([" ".join(str(statement).split()[:3]) for statement, _, _ in taken])
        real_pipeline(connection, taken, prepared)

    monkeypatch.setattr(held_writes_module, "_run_pipelined", counted)
    statements.clear()
    with sessions.begin() as session:
        engine.complete_task(session, task_id, {"note": "klart"}, user="anna", clock=clock)
    writes = [s[0] for s in statements if s[0].split()[0] in ("UPDATE", "DELETE", "INSERT")]
    assert writes == ["UPDATE cases SET", "DELETE FROM open_tasks", "INSERT INTO events"]  # case, task, events
    expected = [writes] if sessions.kw["bind"].dialect.name == "postgresql" else []
    assert pipelines == expected
    with sessions() as session:
        case = session.get(Case, case_id)
        assert (case.status, case.lock_version) == ("completed", 4)
        assert session.scalars(select(OpenTask).where(OpenTask.case_id == case_id)).all() == []
        completed = session.scalars(select(Event).where(Event.kind == "task_completed")).one()
        assert (completed.task_id, completed.data, completed.at) == (task_id, {"note": "klart"}, clock.now())


def test_a_write_the_database_refuses_raises_its_error_and_nothing_held_with_it_is_stored(sessions, clock):
    case_id, task_id = waiting_at_the_task(sessions, clock)
    with sessions() as session:
        row = {c.name: getattr(session.get(OpenTask, task_id), c.key) for c in OpenTask.__table__.columns}
    with pytest.raises(IntegrityError), sessions.begin() as session, held_writes(session):
        case = load_case(session, case_id, lock=True)
        case.title = "aldrig"
        write_case(session, case)
        write(session, INSERT, insert(OpenTask.__table__), [row])  # the same task id again
    with sessions() as session:
        assert session.get(Case, case_id).title == ""
        assert session.scalars(select(OpenTask.id)).all() == [task_id]


def test_a_held_write_that_needs_the_models_defaults_still_gets_them(sessions, clock):
    case_id, = start_timed(sessions, clock, 1)
    with sessions.begin() as session, held_writes(session):
        case = load_case(session, case_id, lock=True)
        case.title = "med påminnelse"
        write_case(session, case)
        # status and attempts left out: their defaults live on the model, not in the database
        write(session, INSERT, insert(Notification.__table__),
              [{"case_id": case_id, "recipient": "sara@example.se", "subject": "Påminnelse", "body": "Hej",
                "created_at": clock.now(), "next_attempt_at": clock.now()}])
    with sessions() as session:
        note = session.scalars(select(Notification)).one()
        assert (note.status, note.attempts, note.case_id) == ("pending", 0, case_id)
        assert session.get(Case, case_id).title == "med påminnelse"
