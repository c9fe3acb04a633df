"""Whole paths through the engine's fixture processes, as a caseworker and the outside world drive them."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.models import Event
from tests.scenarios.caseworker import Caseworker


def test_approved_application_waits_for_the_register_then_a_week_and_closes(sessions, clock, deploy_fixture):
    deploy_fixture("approval")
    anna = Caseworker(sessions, clock)
    case_id = anna.start("approval", {"applicant_id": "A7"})
    anna.complete("Granska ansökan", {"approved": True, "points": 5, "comment": "Bra intervju"})
    assert anna.inbox() == []
    anna.message("register_answer", "A7", {"remarks": False})
    clock.advance(timedelta(days=6))
    assert anna.fire_timers().fired == 0
    clock.advance(timedelta(days=1, seconds=1))
    assert anna.fire_timers().fired == 1
    case = anna.case(case_id)
    assert case.status == "completed"
    with sessions() as session:
        kinds = session.scalars(select(Event.kind).where(Event.case_id == case_id).order_by(Event.id)).all()
    assert kinds == ["case_started", "task_claimed", "task_completed", "message_received", "timer_fired"]


def test_silent_applicant_gets_a_reminder_and_a_call_task(sessions, clock, deploy_fixture):
    deploy_fixture("reminder")
    anna = Caseworker(sessions, clock)
    [case_id] = anna.message("application_received", "web-1", {"email": "ali@example.se"})
    assert [t.title for t in anna.inbox()] == ["Registrera samtycke"]
    clock.advance(timedelta(days=15))
    assert anna.fire_timers().fired == 1
    anna.check_round_trip(case_id)
    anna.complete("Ring den sökande", {"note": "Samtycke kommer per post"})
    assert anna.case(case_id).status == "completed"
