"""Firing due timers: on time, in due order, once, and a failing case does not stop the others."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

import engine
from engine import timer_signal
from engine.db import database_url
from engine.deployments import deploy
from engine.models import Case, Event, OpenTask, WaitingTimer
from tests.bpmn_text import HEAD, timer_process


def failing_after_timer() -> str:
    text = timer_process('"P1D"', key="fragile")
    return text.replace(
        '<bpmn:userTask id="After" name="Efter timern" camunda:formKey="note"><bpmn:incoming>F2</bpmn:incoming>\n'
        '      <bpmn:outgoing>F3</bpmn:outgoing></bpmn:userTask>',
        '<bpmn:scriptTask id="After" name="Räkna"><bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing>'
        '<bpmn:script>x = 1 / 0</bpmn:script></bpmn:scriptTask>')


def setup_processes(sessions, clock):
    with sessions.begin() as session:
        deploy(session, {"t.bpmn": timer_process('"P1D"')}, "t.bpmn", user="owner", clock=clock)
        deploy(session, {"f.bpmn": failing_after_timer()}, "f.bpmn", user="owner", clock=clock)


def start(sessions, clock, key):
    with sessions.begin() as session:
        return engine.start_case(session, key, {}, user="anna", clock=clock).id


def test_timer_does_not_fire_before_it_is_due_and_fires_once_after(sessions, clock):
    setup_processes(sessions, clock)
    case_id = start(sessions, clock, "timed")
    with sessions() as session:
        due = session.scalars(select(WaitingTimer.due_at)).one()
        assert engine.next_due_at(session) == due
    clock.set(due - timedelta(seconds=1))
    assert engine.fire_due_timers(sessions, clock=clock).fired == 0
    clock.set(due)
    assert engine.fire_due_timers(sessions, clock=clock).fired == 1
    assert engine.fire_due_timers(sessions, clock=clock).fired == 0
    with sessions() as session:
        assert session.scalars(select(OpenTask.case_id)).all() == [case_id]
        assert session.scalars(select(WaitingTimer)).all() == []


def test_after_downtime_overdue_timers_fire_in_due_order(sessions, clock):
    setup_processes(sessions, clock)
    ids = []
    for _ in range(5):
        ids.append(start(sessions, clock, "timed"))
        clock.advance(timedelta(hours=3))
    clock.advance(timedelta(days=30))  # the scheduler was down for a month
    report = engine.fire_due_timers(sessions, clock=clock)
    assert (report.fired, report.failed) == (5, 0)
    with sessions() as session:
        fired = session.scalars(select(Event.case_id).where(Event.kind == "timer_fired").order_by(Event.id)).all()
    assert fired == ids


def test_a_failing_case_is_parked_and_the_others_still_fire(sessions, clock):
    setup_processes(sessions, clock)
    good_before = start(sessions, clock, "timed")
    bad = start(sessions, clock, "fragile")
    good_after = start(sessions, clock, "timed")
    clock.advance(timedelta(days=2))
    report = engine.fire_due_timers(sessions, clock=clock)
    assert (report.fired, report.failed) == (2, 1)
    assert "Division med noll" in report.errors[0]
    with sessions() as session:
        assert session.get(Case, bad).status == "error"
        assert session.get(Case, bad).failure["element_id"] == "After"
        assert sorted(session.scalars(select(OpenTask.case_id)).all()) == sorted([good_before, good_after])
    assert engine.fire_due_timers(sessions, clock=clock).failed == 0  # the parked case is not retried


def test_limit_bounds_one_sweep(sessions, clock):
    setup_processes(sessions, clock)
    for _ in range(3):
        start(sessions, clock, "timed")
    clock.advance(timedelta(days=2))
    assert engine.fire_due_timers(sessions, clock=clock, limit=2).fired == 2
    assert engine.fire_due_timers(sessions, clock=clock).fired == 1


def test_a_case_whose_state_cannot_be_read_is_parked_and_its_batch_fires_once(sessions, clock):
    """A crash outside the diagram (here a damaged state) rolls the batch back; it runs again case by
    case: the damaged case is parked, every other timer fires exactly once."""
    setup_processes(sessions, clock)
    ids = [start(sessions, clock, "timed") for _ in range(5)]
    with sessions.begin() as session:
        session.execute(update(Case).where(Case.id == ids[2]).values(state="{not json"))
    clock.advance(timedelta(days=2))
    report = engine.fire_due_timers(sessions, clock=clock)
    assert (report.fired, report.failed) == (4, 1)
    with sessions() as session:
        fired = session.scalars(select(Event.case_id).where(Event.kind == "timer_fired")).all()
        assert sorted(fired) == sorted(ids[:2] + ids[3:])
        assert session.get(Case, ids[2]).status == "error"
        assert sorted(session.scalars(select(OpenTask.case_id)).all()) == sorted(ids[:2] + ids[3:])
    assert engine.fire_due_timers(sessions, clock=clock).fired == 0


def _messaging_processes() -> tuple[str, str]:
    """'sender': a timer, then a script telling case B1 "ping". 'listener': waits for its own timer
    and for "ping" at once, a user task after each."""
    sender = HEAD + """  <bpmn:process id="sender" isExecutable="true">
    <bpmn:startEvent id="S0"><bpmn:outgoing>S1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="S1" sourceRef="S0" targetRef="SWait"/>
    <bpmn:intermediateCatchEvent id="SWait"><bpmn:incoming>S1</bpmn:incoming><bpmn:outgoing>S2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="S2" sourceRef="SWait" targetRef="Tell"/>
    <bpmn:scriptTask id="Tell"><bpmn:incoming>S2</bpmn:incoming><bpmn:outgoing>S3</bpmn:outgoing>
      <bpmn:script>send_message("ping", "B1", {"from": "sender"})</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="S3" sourceRef="Tell" targetRef="SEnd"/>
    <bpmn:endEvent id="SEnd"><bpmn:incoming>S3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    listener = HEAD + """  <bpmn:message id="Ping" name="ping"/>
  <bpmn:process id="listener" isExecutable="true">
    <bpmn:startEvent id="L0"><bpmn:outgoing>L1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="L1" sourceRef="L0" targetRef="Split"/>
    <bpmn:parallelGateway id="Split"><bpmn:incoming>L1</bpmn:incoming>
      <bpmn:outgoing>LT</bpmn:outgoing><bpmn:outgoing>LM</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="LT" sourceRef="Split" targetRef="LWait"/>
    <bpmn:intermediateCatchEvent id="LWait"><bpmn:incoming>LT</bpmn:incoming><bpmn:outgoing>LT2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="LT2" sourceRef="LWait" targetRef="AfterTimer"/>
    <bpmn:userTask id="AfterTimer" name="Efter timern" camunda:formKey="note"><bpmn:incoming>LT2</bpmn:incoming>
      <bpmn:outgoing>LT3</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="LT3" sourceRef="AfterTimer" targetRef="EndT"/>
    <bpmn:endEvent id="EndT"><bpmn:incoming>LT3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="LM" sourceRef="Split" targetRef="LPing"/>
    <bpmn:intermediateCatchEvent id="LPing"><bpmn:incoming>LM</bpmn:incoming><bpmn:outgoing>LM2</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="Ping"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="LM2" sourceRef="LPing" targetRef="AfterPing"/>
    <bpmn:userTask id="AfterPing" name="Efter ping" camunda:formKey="note"><bpmn:incoming>LM2</bpmn:incoming>
      <bpmn:outgoing>LM3</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="LM3" sourceRef="AfterPing" targetRef="EndM"/>
    <bpmn:endEvent id="EndM"><bpmn:incoming>LM3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    return sender, listener


def test_a_case_woken_by_another_case_of_its_batch_fires_from_its_current_rows(sessions, clock, caplog):
    """The batch reads its cases' query rows once. Here the first timer's case sends a message to the
    second before the second's timer fires in the same transaction: the second must see its rows as the
    message left them (its ping task), not as the batch read them."""
    sender, listener = _messaging_processes()
    with sessions.begin() as session:
        deploy(session, {"s.bpmn": sender}, "s.bpmn", user="owner", clock=clock)
        deploy(session, {"l.bpmn": listener}, "l.bpmn", user="owner", clock=clock)
        listening = engine.start_case(session, "listener", {}, user="anna", clock=clock, business_key="B1").id
        engine.start_case(session, "sender", {}, user="anna", clock=clock)
    clock.advance(timedelta(hours=3))
    report = engine.fire_due_timers(sessions, clock=clock)
    assert (report.fired, report.failed) == (2, 0)
    assert "case by case" not in caplog.text  # the fast path held: nothing was rolled back
    with sessions() as session:
        tasks = session.scalars(select(OpenTask.title).where(OpenTask.case_id == listening)).all()
        assert sorted(tasks) == ["Efter ping", "Efter timern"]
        assert session.scalars(select(WaitingTimer)).all() == []


def test_schedulers_hear_of_a_new_timer_once_at_commit_and_never_of_a_rolled_back_one(sessions, clock, db_url):
    """What re-arms the schedulers: in this process a listener called after commit, in every other
    `kompis scheduler` a NOTIFY (PostgreSQL). Both once per transaction, with its earliest new due
    time, and only if the transaction commits."""
    setup_processes(sessions, clock)
    with sessions.begin() as session:
        deploy(session, {"s.bpmn": timer_process('"PT1H"', key="soon")}, "s.bpmn", user="owner", clock=clock)
    in_process = []
    listener = _notify_listener(db_url)
    timer_signal.subscribe(in_process.append)
    try:
        with pytest.raises(RuntimeError), sessions.begin() as session:
            engine.start_case(session, "timed", {}, user="anna", clock=clock)
            raise RuntimeError("rolled back")
        with sessions.begin() as session:
            engine.start_case(session, "timed", {}, user="anna", clock=clock)  # in a day
            engine.start_case(session, "soon", {}, user="anna", clock=clock)  # in an hour: the earliest
            assert in_process == []  # not before the commit
        other_processes = [datetime.fromisoformat(n.payload) for n in listener.notifies(timeout=2, stop_after=2)] \
            if listener is not None else None
    finally:
        timer_signal.unsubscribe(in_process.append)
        if listener is not None:
            listener.close()
    with sessions() as session:
        due = sorted(session.scalars(select(WaitingTimer.due_at)).all())
    assert len(due) == 2 and in_process == [due[0]]
    if db_url.startswith("postgresql"):
        assert other_processes == [due[0]]


def _notify_listener(db_url: str):
    """A connection LISTENing on the schedulers' channel (PostgreSQL), else None."""
    if not db_url.startswith("postgresql"):
        return None
    import psycopg

    listener = psycopg.connect(database_url(db_url).replace("postgresql+psycopg://", "postgresql://"),
                               autocommit=True)
    listener.execute(f"LISTEN {timer_signal.CHANNEL}")
    return listener



def test_the_claim_takes_the_earliest_timers_from_the_index_without_sorting(db_engine, clock):
    # A month's report deadlines fall due at the same moment: a claim that sorted by (due_at, id)
    # after reading the index on due_at sorted every one of them again for each batch of 25.
    from engine.timers import _DUE, _DUE_LOCKED

    postgresql = db_engine.dialect.name == "postgresql"
    compiled = (_DUE_LOCKED if postgresql else _DUE).compile(db_engine)
    with db_engine.connect() as connection:
        if postgresql:
            # Sorting forbidden: the plan shows whether the order can come from an index at all,
            # whatever the (here tiny) table's statistics would make the planner prefer.
            connection.exec_driver_sql("SET LOCAL enable_sort = off")
            connection.exec_driver_sql("SET LOCAL enable_incremental_sort = off")
            rows = connection.exec_driver_sql(
                "EXPLAIN " + str(compiled), compiled.construct_params({"now": clock.now(), "limit": 25}))
            plan = " | ".join(row[0] for row in rows)
        else:
            rows = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled), tuple(None for _ in compiled.positiontup))
            plan = " | ".join(row[-1] for row in rows)
    assert "ix_waiting_timers_due_at_id" in plan and "Sort" not in plan and "TEMP B-TREE" not in plan, plan
