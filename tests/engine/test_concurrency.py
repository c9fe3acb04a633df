"""Concurrent writers on one case: exactly one wins, everyone else gets a conflict, nothing is lost."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

import engine
from engine.errors import Conflict
from engine.models import Case, Event, OpenTask, WaitingMessage


@pytest.mark.parametrize("lock_ahead", [False, True], ids=["command alone", "task read with its case locked"])
def test_fifty_concurrent_completions_of_one_task_have_exactly_one_winner(sessions, clock, deploy_fixture,
                                                                         lock_ahead):
    """`lock_ahead`: as the web app does, the task is read with its case locked before the command."""
    deploy_fixture("approval")
    with sessions.begin() as session:
        case_id = engine.start_case(session, "approval", {"applicant_id": "A1"}, user="anna", clock=clock).id
    with sessions() as session:
        task_id = session.scalars(select(OpenTask.id)).one()

    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        barrier.wait()
        try:
            with sessions.begin() as session:
                if lock_ahead:
                    engine.get_open_task(session, task_id, lock_case=True)
                engine.complete_task(session, task_id, {"approved": True, "points": 9}, user=f"user{n}",
                                     clock=clock)
            result = f"won:user{n}"
        except Conflict as exc:
            result = type(exc).__name__
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 50
    winners = [o for o in outcomes if o.startswith("won:")]
    assert len(winners) == 1
    assert set(outcomes) - set(winners) <= {"TaskNotOpen", "StaleCase"}
    with sessions() as session:
        completions = session.scalars(select(Event).where(Event.kind == "task_completed")).all()
        assert len(completions) == 1
        assert completions[0].actor == winners[0].removeprefix("won:")
        assert session.get(Case, case_id).status == "running"
        assert len(session.scalars(select(WaitingMessage)).all()) == 1  # one path taken, once


def test_a_stale_case_row_is_never_written_over(sessions, clock, deploy_fixture):
    """A case read earlier and written later, after someone else moved it on, is refused, not merged."""
    import pytest
    from sqlalchemy.orm.exc import StaleDataError

    deploy_fixture("approval")
    with sessions.begin() as session:
        case_id = engine.start_case(session, "approval", {"applicant_id": "A1"}, user="anna", clock=clock).id
    with sessions() as session:
        stale = session.get(Case, case_id)
    with sessions.begin() as session:
        task_id = session.scalars(select(OpenTask.id)).one()
        engine.complete_task(session, task_id, {"approved": False, "points": 1}, user="anna", clock=clock)
    with pytest.raises(StaleDataError):
        with sessions.begin() as session:
            session.add(stale)
            stale.title = "överskriven"
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.status == "completed" and case.title != "överskriven"
