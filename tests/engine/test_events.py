"""The event log: collected events are written together, in the order they happened, and none is
lost when the block fails."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from engine.events import collected_events, record_event
from engine.models import Event


def _kinds(sessions) -> list[str]:
    with sessions() as session:
        return session.scalars(select(Event.kind).order_by(Event.id)).all()


def test_events_of_a_block_are_written_at_its_end_in_order_with_one_statement(sessions, clock):
    inserts = []

    def count(conn, cursor, statement, *rest):
        if statement.startswith("INSERT INTO events"):
            inserts.append(statement)

    with sessions.begin() as session:
        bind = session.get_bind()
        event.listen(bind, "before_cursor_execute", count)
        try:
            with collected_events(session):
                record_event(session, clock, actor="anna", kind="first", case_id=None)
                with collected_events(session):  # a command inside a command joins it
                    record_event(session, clock, actor="anna", kind="second", case_id=None)
                record_event(session, clock, actor="anna", kind="third", case_id=None)
                assert inserts == []
            assert len(inserts) == 1
        finally:
            event.remove(bind, "before_cursor_execute", count)
        record_event(session, clock, actor="anna", kind="after", case_id=None)
    assert _kinds(sessions) == ["first", "second", "third", "after"]


def test_events_recorded_before_a_failure_are_kept_as_without_collecting(sessions, clock):
    with sessions.begin() as session:
        with pytest.raises(ValueError, match="boom"), collected_events(session):
            record_event(session, clock, actor="anna", kind="before_failure", case_id=None)
            raise ValueError("boom")
        record_event(session, clock, actor="anna", kind="handled", case_id=None)
    assert _kinds(sessions) == ["before_failure", "handled"]
