"""Ending an assignment: whoever asks, the follow-up stops, the last month is settled, the volunteer's
future is decided and the records are kept for as long as they must be."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.clock import STOCKHOLM
from engine.models import Event, WaitingMessage
from tests.scenarios.lifecycle import (
    active_assignment,
    assignment,
    at,
    case_data,
    cases_of,
    live_a_year,
    live_until,
    notifications,
    payment_bases,
    period_case,
    report_day,
    send_report,
    task_data,
    timers_of,
    titles,
    volunteer,
    year_periods,
)

CATEGORY = {"client": "client_request", "contact_person": "volunteer_request", "caseworker": "not_working"}


@pytest.fixture
def running(sessions, clock, anna, erik) -> dict:
    """An active assignment from 16 February 2026 whose February report came in on 3 March."""
    made = active_assignment(anna, erik, clock, start="2026-02-16", meetings_per_month=4)
    clock.set(report_day("2026-02"))
    send_report(anna, made["assignment_id"], "2026-02")
    return made


def register_end(anna, made: dict, initiated_by: str, end_date: str = "2026-03-31") -> int:
    """A caseworker starts the termination from scratch and fills in the form."""
    case_id = anna.start("termination", {})
    anna.complete("Registrera avslut", {
        "assignment_id": made["assignment_id"], "volunteer_id": made["volunteer_id"], "client_id": made["client_id"],
        "volunteer_name": "Sara Lind", "volunteer_email": made["email"], "client_name": "Olle Berg",
        "initiated_by": initiated_by, "end_reason_category": CATEGORY[initiated_by],
        "end_reason": "Kontakten har inte fungerat.", "end_date": end_date, "meetings_per_month": 4})
    return case_id


def waiting_names(sessions, case_id: int) -> list[str]:
    with sessions() as session:
        return sorted(session.scalars(select(WaitingMessage.name).where(WaitingMessage.case_id == case_id)))


def assert_months_stopped(anna, sessions, aid: int, year: int, finished: list[str], on: str) -> None:
    """Every period case of the year has ended: the `finished` months normally (paid, nothing open),
    every other month at once, by the message that the assignment ended."""
    for period in year_periods(anna, year):
        case = period_case(sessions, aid, period)
        assert case.status == "completed", period
        assert timers_of(sessions, case.id) == [] and waiting_names(sessions, case.id) == [], period
        outcome = case_data(anna, case.id)
        if period in finished:
            assert outcome["period_outcome"] == "paid", period
        else:
            assert (outcome["period_outcome"], outcome["period_closed"]) == ("ended_by_termination", on), period


@pytest.mark.parametrize("initiated_by", ["client", "contact_person", "caseworker"])
def test_termination_asked_for_by_anyone_stops_the_year_and_settles_the_assignment(sessions, clock, anna, running,
                                                                                   initiated_by):
    aid, year = running["assignment_id"], running["follow_up_case"]
    clock.set(at("2026-03-20"))
    case_id = register_end(anna, running, initiated_by)

    # The follow-up year stops at once, listeners and timers included.
    stopped = anna.case(year)
    assert stopped.status == "completed"
    assert case_data(anna, year)["follow_up_outcome"] == "ended_by_termination"
    assert case_data(anna, year)["follow_up_closed"] == "2026-03-20"
    assert timers_of(sessions, year) == [] and waiting_names(sessions, year) == []
    assert_months_stopped(anna, sessions, aid, year, finished=["2026-02"], on="2026-03-20")
    assert assignment(sessions, aid).status == "active"  # until the last payment basis is settled
    assert titles(anna) == ["Håll avslutningssamtal"]

    anna.complete("Håll avslutningssamtal", {"closing_date": "2026-03-24", "closing_participants": "Olle, Sara",
                                             "client_feedback": "Bra", "volunteer_feedback": "Lärorikt"})
    assert "Slutrapport för ditt uppdrag" in [n.subject for n in notifications(sessions, recipient=running["email"])]
    assert waiting_names(sessions, case_id) == ["final_report"]
    assert anna.message("final_report", str(aid), {"meetings_held": 3, "hours": 9, "summary": "Fiske."}) == [case_id]

    settle = task_data(anna, "Fastställ sista betalningsunderlag")
    assert (settle["final_period"], settle["final_fee_suggested"], settle["final_expenses_suggested"]) == (
        "2026-03", 987, 493)
    assert settle["final_report_status"] == "received" and settle["final_report"]["hours"] == 9
    anna.complete("Fastställ sista betalningsunderlag", {"final_fee": 987, "final_expenses": 400,
                                                         "final_payment_comment": "Resor enligt kvitton"})
    assert [(b.month, b.fee, b.expenses, b.report_status) for b in payment_bases(sessions, aid)] == [
        ("2026-02", 987, 493, "received"), ("2026-03", 987, 400, "final")]
    ended = assignment(sessions, aid)
    assert ended.status == "ended" and ended.ended_on == date(2026, 3, 20)

    anna.complete("Besluta om kontaktpersonens fortsättning", {"volunteer_next": "pool", "client_needs_new": True,
                                                                "future_comment": "Vill ha ett nytt uppdrag"})
    back = volunteer(sessions, running["volunteer_id"])
    assert back.status == "approved_waiting" and back.waiting_since == date(2026, 3, 20)
    [matching] = cases_of(sessions, "matching", status="running")
    assert matching.client_id == running["client_id"]
    assert task_data(anna, "Registrera beslut om kontaktperson")["meetings_per_month"] == 4
    assert notifications(sessions, recipient=running["email"])[-1].subject == "Ditt uppdrag har avslutats"

    # Records are weeded after two years (reports) and seven years (payment basis).
    assert anna.case(case_id).status == "running"
    assert {t.element_id: t.due_at for t in timers_of(sessions, case_id)} == {
        "Timer_retention_2y": datetime(2028, 3, 31, 23, 59, 59, tzinfo=STOCKHOLM),
        "Timer_retention_7y": datetime(2033, 3, 31, 23, 59, 59, tzinfo=STOCKHOLM)}


def test_established_final_payment_basis_is_paid(sessions, clock, anna, running):
    """ENGINE BUG (registry): termination records the last month with report status "final", as
    docs/processes.md specifies, but Registry.record_payment_basis pays only "approved", "received" and
    "manual", so the month the caseworker just settled is held back and the payroll file says "nej"."""
    aid = running["assignment_id"]
    clock.set(at("2026-03-20"))
    register_end(anna, running, "client")
    anna.complete("Håll avslutningssamtal", {"closing_date": "2026-03-24"})
    anna.message("final_report", str(aid), {"meetings_held": 3, "hours": 9, "summary": "Fiske."})
    anna.complete("Fastställ sista betalningsunderlag", {"final_fee": 987, "final_expenses": 493})

    final = payment_bases(sessions, aid)[-1]
    assert (final.month, final.report_status) == ("2026-03", "final")
    assert final.held_back is False


def test_retention_tasks_come_to_the_unit_manager_after_two_and_seven_years(sessions, clock, anna, erik, running):
    aid = running["assignment_id"]
    clock.set(at("2026-03-20"))
    case_id = register_end(anna, running, "caseworker")
    anna.complete("Håll avslutningssamtal", {"closing_date": "2026-03-24"})
    anna.message("final_report", str(aid), {"meetings_held": 3, "hours": 9, "summary": "Fiske."})
    anna.complete("Fastställ sista betalningsunderlag", {"final_fee": 987, "final_expenses": 493})
    anna.complete("Besluta om kontaktpersonens fortsättning", {"volunteer_next": "leave", "client_needs_new": False})
    assert volunteer(sessions, running["volunteer_id"]).status == "left"
    assert cases_of(sessions, "matching", status="running") == []

    live_until(anna, clock, at("2028-04-01", 0), step=timedelta(days=90))
    assert titles(erik) == ["Gallra månadsrapporter och arbetsmaterial"]
    erik.complete("Gallra månadsrapporter och arbetsmaterial", {"retention_done": True,
                                                                "retention_date": "2028-04-03"})
    live_until(anna, clock, at("2033-04-01", 0), step=timedelta(days=180))
    assert titles(erik) == ["Gallra betalningsunderlag"]
    erik.complete("Gallra betalningsunderlag", {"retention_done": True, "retention_date": "2033-04-04"})
    assert anna.case(case_id).status == "completed"


def test_termination_withdraws_an_open_concern_but_incident_cases_go_on(sessions, clock, anna, erik, running):
    aid, year = running["assignment_id"], running["follow_up_case"]
    clock.set(report_day("2026-03"))
    send_report(anna, aid, "2026-03", concerns="Sara orkar inte längre.")
    anna.message("lex_sarah_report", str(aid), {"reported_by": "Sara", "description": "…", "occurred_on": "2026-04-02"})
    assert titles(anna) == ["Hantera det kontaktpersonen tar upp"]
    assert titles(erik) == ["Utred rapport om missförhållande"]

    register_end(anna, running, "contact_person", end_date="2026-04-30")
    assert anna.case(year).status == "completed"
    # March was paid when its report came; its case waited only for the concern and stops with the rest.
    assert_months_stopped(anna, sessions, aid, year, finished=["2026-02"], on="2026-04-03")
    assert [b.month for b in payment_bases(sessions, aid)] == ["2026-02", "2026-03"]
    assert titles(anna) == ["Håll avslutningssamtal"]  # the closing conversation takes the concern up
    [incident] = cases_of(sessions, "incident")
    assert incident.status == "running" and titles(erik) == ["Utred rapport om missförhållande"]


def test_termination_after_the_annual_review_with_a_missing_final_report(sessions, clock, anna, erik):
    made = active_assignment(anna, erik, clock, start="2026-02-16")
    aid = made["assignment_id"]
    live_a_year(anna, clock, aid, made["follow_up_case"], outcome="end", end_reason="Målen är nådda",
                end_date="2027-02-15")
    [case] = cases_of(sessions, "termination")
    anna.complete("Registrera avslut", {**{k: v for k, v in task_data(anna, "Registrera avslut").items() if k in (
        "assignment_id", "volunteer_id", "client_id", "volunteer_name", "volunteer_email", "client_name",
        "initiated_by", "end_reason", "end_date", "meetings_per_month")}, "end_reason_category": "needs_changed"})
    with sessions() as session:  # the year already ended: nobody is told to stop
        kinds = session.scalars(select(Event.kind).where(Event.case_id == case.id)).all()
    assert "message_undelivered" not in kinds

    anna.complete("Håll avslutningssamtal", {"closing_date": "2027-02-10"})
    asked = clock.now()
    live_until(anna, clock, asked + timedelta(days=14, seconds=1))
    assert titles(anna) == ["Följ upp utebliven slutrapport"]
    anna.complete("Följ upp utebliven slutrapport", {"missing_final_outcome": "reported_by_phone",
                                                     "final_meetings_held": 2, "final_hours": 5})
    settle = task_data(anna, "Fastställ sista betalningsunderlag")
    assert (settle["final_report_status"], settle["final_period"], settle["price_base_amount"],
            settle["pbb_confirmed"]) == ("manual", "2027-02", 59200, False)
