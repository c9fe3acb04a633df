"""Following up an active assignment: monthly reports, reminders, concerns, incidents, annual review.

Each agreement year is a follow_up case (annual review, incident listeners, next year); it opens one
follow_up_period case per month (the report, its reminder and caseworker task, the payment basis)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.calendar import monthly_report_deadline
from engine.clock import STOCKHOLM
from engine.models import WaitingMessage
from tests.scenarios.lifecycle import (
    active_assignment,
    assignment,
    at,
    case_data,
    cases_of,
    data_at,
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
    year_periods,
)

FIRST_DEADLINE = datetime(2026, 3, 10, 23, 59, 59, tzinfo=STOCKHOLM)  # period 2026-02: Tuesday 10 March


@pytest.fixture
def running(sessions, clock, anna, erik) -> dict:
    """An active assignment starting 16 February 2026, level 1 (987 + 493 kr a month)."""
    return active_assignment(anna, erik, clock, start="2026-02-16", meetings_per_month=4)


def waiting_keys(sessions, case_id: int) -> dict[str, str]:
    with sessions() as session:
        rows = session.scalars(select(WaitingMessage).where(WaitingMessage.case_id == case_id)).all()
        return {row.name: row.correlation_key for row in rows}


def reminders(sessions, email: str) -> list[str]:
    return [n.subject for n in notifications(sessions, recipient=email) if n.subject.startswith("Påminnelse")]


# -- monthly reports ------------------------------------------------------------------------------

def test_agreement_year_opens_a_case_for_each_of_its_twelve_months(sessions, clock, anna, running):
    aid, year = running["assignment_id"], running["follow_up_case"]
    months = [f"2026-{m:02d}" for m in range(2, 13)] + ["2027-01"]
    assert year_periods(anna, year) == months
    cases = cases_of(sessions, "follow_up_period")
    assert [c.business_key for c in cases] == [f"{aid}:{m}" for m in months]
    for number, (month, case) in enumerate(zip(months, cases), 1):
        assert (case.status, case.assignment_id, case.volunteer_id) == ("running", aid, running["volunteer_id"])
        assert waiting_keys(sessions, case.id) == {"monthly_report": f"{aid}:{month}", "assignment_ended": str(aid)}
        deadline = datetime.fromisoformat(monthly_report_deadline(month))
        assert {t.element_id: t.due_at for t in timers_of(sessions, case.id)} == {
            "Boundary_deadline": deadline, "Boundary_grace": deadline + timedelta(days=7)}, month
        data = data_at(anna, case.id, "Catch_report")
        assert (data["period"], data["period_number"], data["year_number"], data["fee_percent"],
                data["expense_percent"]) == (month, number, 1, 20, 10)
    # The year case itself waits only for its review, the reports that start incidents and the end.
    assert {t.element_id for t in timers_of(sessions, year)} == {"Timer_review"}
    assert waiting_keys(sessions, year) == {name: str(aid) for name in (
        "lex_sarah_report", "child_concern_report", "supervision_request", "assignment_ended")}


def test_monthly_report_records_a_paid_payment_basis_and_the_next_period_waits(sessions, clock, anna, running):
    aid = running["assignment_id"]
    february = period_case(sessions, aid, "2026-02")
    clock.set(report_day("2026-02"))
    assert send_report(anna, aid, "2026-02") == [february.id]
    [basis] = payment_bases(sessions, aid)
    assert (basis.month, basis.fee, basis.expenses, basis.report_status, basis.held_back) == (
        "2026-02", 987, 493, "received", False)
    assert anna.case(february.id).status == "completed"
    assert case_data(anna, february.id)["period_outcome"] == "paid"
    assert timers_of(sessions, february.id) == [] and waiting_keys(sessions, february.id) == {}
    assert waiting_keys(sessions, period_case(sessions, aid, "2026-03").id)["monthly_report"] == f"{aid}:2026-03"
    assert titles(anna) == [] and reminders(sessions, running["email"]) == []
    assert anna.case(running["follow_up_case"]).status == "running"


def test_each_month_is_paid_with_the_price_base_amount_of_its_own_year(sessions, clock, anna, erik):
    made = active_assignment(anna, erik, clock, start="2025-12-01")  # signed late, on 5 January 2026
    aid = made["assignment_id"]
    assert (assignment(sessions, aid).fee_per_month, assignment(sessions, aid).expenses_per_month) == (980, 490)
    send_report(anna, aid, "2025-12")
    clock.set(report_day("2026-01"))
    send_report(anna, aid, "2026-01")
    assert [(b.month, b.fee, b.expenses) for b in payment_bases(sessions, aid)] == [
        ("2025-12", 980, 490),   # PBB 2025: 58 800 kr
        ("2026-01", 987, 493)]   # PBB 2026: 59 200 kr
    assert (assignment(sessions, aid).fee_per_month, assignment(sessions, aid).expenses_per_month) == (987, 493)


@pytest.mark.parametrize(("outcome", "status", "held_back"), [
    ("reported_by_phone", "manual", False),
    ("no_meetings", "no_meetings", True),
    ("not_reached", "missing", True),
])
def test_missing_monthly_report_gets_a_reminder_then_a_caseworker_task(sessions, clock, anna, running, outcome,
                                                                        status, held_back):
    aid, email = running["assignment_id"], running["email"]
    case_id = period_case(sessions, aid, "2026-02").id
    live_until(anna, clock, FIRST_DEADLINE - timedelta(seconds=1), step=timedelta(days=7))
    assert reminders(sessions, email) == []

    live_until(anna, clock, FIRST_DEADLINE + timedelta(seconds=1))
    assert reminders(sessions, email) == ["Påminnelse: månadsrapport 2026-02"]
    assert titles(anna) == []  # the reminder goes to the contact person only

    grace = datetime(2026, 3, 17, 23, 59, 59, tzinfo=STOCKHOLM)  # a week after the deadline
    live_until(anna, clock, grace - timedelta(seconds=1))
    assert titles(anna) == []
    live_until(anna, clock, grace + timedelta(seconds=1))
    [task] = anna.inbox()
    assert task.title == "Följ upp utebliven månadsrapport" and task.case_id == case_id
    assert task_data(anna, task.title)["period"] == "2026-02"
    assert reminders(sessions, email) == ["Påminnelse: månadsrapport 2026-02"]  # one reminder only

    data = {"missing_outcome": outcome}
    if outcome == "reported_by_phone":
        data.update(manual_meetings_held=3, manual_hours=7.5, manual_activities="Promenader")
    anna.complete(task.title, data)
    [basis] = payment_bases(sessions, aid)
    assert (basis.month, basis.report_status, basis.held_back) == ("2026-02", status, held_back)
    assert (basis.fee, basis.expenses) == (987, 493)
    assert anna.case(case_id).status == "completed" and case_data(anna, case_id)["report_status"] == status
    assert waiting_keys(sessions, period_case(sessions, aid, "2026-03").id)["monthly_report"] == f"{aid}:2026-03"
    assert titles(anna) == []


def test_late_monthly_report_withdraws_the_caseworker_task_and_counts(sessions, clock, anna, running):
    aid = running["assignment_id"]
    case_id = period_case(sessions, aid, "2026-02").id
    live_until(anna, clock, at("2026-03-19"), step=timedelta(days=7))
    assert titles(anna) == ["Följ upp utebliven månadsrapport"]
    assert send_report(anna, aid, "2026-02") == [case_id]
    assert titles(anna) == []
    [basis] = payment_bases(sessions, aid)
    assert (basis.report_status, basis.held_back) == ("received", False)


@pytest.mark.parametrize(("concerns", "wants_contact"), [("Olle verkar nedstämd och äter dåligt.", False),
                                                         ("", True)], ids=["concern", "wants-contact"])
def test_concern_in_a_monthly_report_opens_an_urgent_task_at_once(sessions, clock, anna, running, concerns,
                                                                   wants_contact):
    aid = running["assignment_id"]
    case_id = period_case(sessions, aid, "2026-02").id
    clock.set(report_day("2026-02"))
    assert send_report(anna, aid, "2026-02", concerns=concerns, wants_contact=wants_contact) == [case_id]

    [task] = anna.inbox()
    assert (task.title, task.priority, task.case_id) == ("Hantera det kontaktpersonen tar upp", 90, case_id)
    assert task.due_at == datetime(2026, 3, 5, 23, 59, 59, tzinfo=STOCKHOLM)  # within two days
    assert task_data(anna, task.title)["monthly_report"]["concerns"] == concerns
    # The year goes on meanwhile: the month is paid and the next period waits.
    assert [(b.month, b.report_status) for b in payment_bases(sessions, aid)] == [("2026-02", "received")]
    assert waiting_keys(sessions, period_case(sessions, aid, "2026-03").id)["monthly_report"] == f"{aid}:2026-03"
    assert anna.case(case_id).status == "running"  # the month's case waits for the caseworker

    anna.complete(task.title, {"concern_actions": "Ringde Olles god man.", "concern_followup_needed": False,
                               "supervision_offered": True})
    assert titles(anna) == [] and anna.case(case_id).status == "completed"
    done = case_data(anna, case_id)
    assert (done["period_outcome"], done["concern_actions"], done["monthly_fee"]) == (
        "paid", "Ringde Olles god man.", 987)
    assert anna.case(running["follow_up_case"]).status == "running"


# -- reports during the month: separate urgent cases -----------------------------------------------

def test_lex_sarah_report_mid_month_opens_an_urgent_incident_case(sessions, clock, anna, erik, running):
    aid, case_id = running["assignment_id"], running["follow_up_case"]
    clock.set(at("2026-03-17", 14))
    report = {"reported_by": "Sara Lind", "description": "Personalen på boendet låste in Olle.",
              "occurred_on": "2026-03-16"}
    assert anna.message("lex_sarah_report", str(aid), report) == [case_id]

    [incident] = cases_of(sessions, "incident")
    assert incident.status == "running" and incident.assignment_id == aid
    [task] = erik.inbox()
    assert (task.title, task.priority, task.case_id) == ("Utred rapport om missförhållande", 100, incident.id)
    assert task.due_at == datetime(2026, 3, 17, 23, 59, 59, tzinfo=STOCKHOLM)  # today
    shown = task_data(erik, task.title)
    assert (shown["incident_type"], shown["report"], shown["client_name"]) == ("lex_sarah", report, "Olle Berg")
    assert titles(anna) == []  # caseworkers do not get the lex Sarah investigation

    # The assignment's year goes on and listens for the next report.
    assert anna.case(case_id).status == "running"
    assert waiting_keys(sessions, case_id)["lex_sarah_report"] == str(aid)
    anna.message("lex_sarah_report", str(aid), {**report, "occurred_on": "2026-03-17"})
    assert len(cases_of(sessions, "incident")) == 2

    erik.complete("Utred rapport om missförhållande", {"immediate_actions": "Kontaktade boendets chef.",
                                                       "investigation": "Bekräftat.", "lex_serious": True})
    assert "Anmäl till IVO" in titles(erik)


@pytest.mark.parametrize(("message", "worker", "title", "priority"), [
    ("child_concern_report", "anna", "Gör orosanmälan till socialtjänsten", 100),
    ("supervision_request", "anna", "Ge handledning", 60),
])
def test_other_reports_mid_month_open_their_own_case(sessions, clock, anna, erik, running, message, worker, title,
                                                     priority):
    aid, case_id = running["assignment_id"], running["follow_up_case"]
    clock.set(at("2026-03-17", 14))
    assert anna.message(message, str(aid), {"reported_by": "Sara Lind", "description": "…"}) == [case_id]
    [incident] = cases_of(sessions, "incident")
    [task] = {"anna": anna, "erik": erik}[worker].inbox()
    assert (task.title, task.priority, task.case_id) == (title, priority, incident.id)
    assert waiting_keys(sessions, case_id)[message] == str(aid)


# -- the annual review ------------------------------------------------------------------------------

def test_annual_review_continue_starts_the_next_agreement_year(sessions, clock, anna, running):
    aid, first = running["assignment_id"], running["follow_up_case"]
    live_a_year(anna, clock, aid, first, outcome="continue")

    assert case_data(anna, first)["follow_up_outcome"] == "continue"
    [_, second] = cases_of(sessions, "follow_up")
    year = data_at(anna, second.id, "Script_start_periods")
    assert (year["year_start"], year["year_number"], year["periods"][0], year["fee_percent"]) == (
        "2027-02-16", 2, "2027-02", 20)
    assert [b.month for b in payment_bases(sessions, aid)] == [f"2026-{m:02d}" for m in range(2, 13)] + ["2027-01"]
    months = cases_of(sessions, "follow_up_period")
    assert [c.status for c in months] == ["completed"] * 12 + ["running"] * 12  # year 1 paid, year 2 waits
    assert [c.business_key for c in months[12:]] == [f"{aid}:{p}" for p in year_periods(anna, second.id)]
    assert data_at(anna, months[12].id, "Catch_report")["period"] == "2027-02"
    active = assignment(sessions, aid)
    assert active.status == "active"
    assert active.next_review_on == date(2028, 2, 16)  # the registry shows the next review, not the past one
    assert "Uppdraget fortsätter" in [n.subject for n in notifications(sessions, recipient=running["email"])]


def test_annual_review_change_recomputes_the_compensation(sessions, clock, anna, running):
    aid, first = running["assignment_id"], running["follow_up_case"]
    live_a_year(anna, clock, aid, first, outcome="change", new_meetings_per_month=6,
                new_goals="Två träffar i veckan, simning")

    [_, second] = cases_of(sessions, "follow_up")
    year = data_at(anna, second.id, "Script_start_periods")
    assert (year["meetings_per_month"], year["goals"], year["scope_level"], year["fee_percent"],
            year["expense_percent"]) == (6, "Två träffar i veckan, simning", 2, 30, 25)
    month = data_at(anna, period_case(sessions, aid, "2027-02").id, "Catch_report")
    assert (month["fee_percent"], month["expense_percent"]) == (30, 25)  # the new year's months carry the new level
    changed = assignment(sessions, aid)
    assert (changed.terms["meetings_per_month"], changed.terms["scope_level"], changed.terms["fee_percent"]) == (
        6, 2, 30)
    assert changed.next_review_on == date(2028, 2, 16)
    assert (changed.fee_per_month, changed.expenses_per_month) == (987, 493)  # January was the last month paid

    clock.set(report_day("2027-02"))
    send_report(anna, aid, "2027-02", meetings_held=8)
    last = payment_bases(sessions, aid)[-1]
    assert (last.month, last.fee, last.expenses) == ("2027-02", 1480, 1233)  # 30 % / 25 % of 59 200 / 12
    assert payment_bases(sessions, aid)[-2].fee == 987  # the old year was paid at the old level
    paid = assignment(sessions, aid)
    assert (paid.fee_per_month, paid.expenses_per_month) == (1480, 1233)


def test_annual_review_end_starts_the_termination(sessions, clock, anna, running):
    aid, first = running["assignment_id"], running["follow_up_case"]
    live_a_year(anna, clock, aid, first, outcome="end", end_reason="Olle flyttar till Malmö",
                end_date="2027-02-15")

    assert case_data(anna, first)["follow_up_outcome"] == "end"
    assert len(cases_of(sessions, "follow_up")) == 1  # no next year
    assert [c.business_key for c in cases_of(sessions, "follow_up_period")] == [
        f"{aid}:{p}" for p in year_periods(anna, first)]  # and no months of one
    [termination] = cases_of(sessions, "termination")
    assert termination.status == "running" and termination.assignment_id == aid
    form = task_data(anna, "Registrera avslut")
    assert (form["initiated_by"], form["end_reason"], form["end_date"], form["volunteer_email"]) == (
        "annual_review", "Olle flyttar till Malmö", "2027-02-15", running["email"])
    assert assignment(sessions, aid).status == "active"  # until the termination's final payment


# -- the calendar --------------------------------------------------------------------------------------

def test_three_years_of_report_deadlines_follow_the_swedish_calendar(sessions, clock, anna, erik):
    made = active_assignment(anna, erik, clock, start="2026-06-01")
    aid = made["assignment_id"]
    deadlines: dict[str, datetime] = {}

    def note_deadline(period: str) -> None:
        [timer] = [t for t in timers_of(sessions, period_case(sessions, aid, period).id)
                   if t.element_id == "Boundary_deadline"]
        deadlines[period] = timer.due_at

    case_id = made["follow_up_case"]
    for _ in range(3):
        live_a_year(anna, clock, aid, case_id, on_period=note_deadline)
        case_id = cases_of(sessions, "follow_up")[-1].id

    assert len(deadlines) == 36 and min(deadlines) == "2026-06" and max(deadlines) == "2029-05"
    for period, due in deadlines.items():
        assert due == datetime.fromisoformat(monthly_report_deadline(period)), period
    # Checked by hand against the calendar:
    assert deadlines["2026-06"] == datetime(2026, 7, 10, 23, 59, 59, tzinfo=STOCKHOLM)   # Friday
    assert deadlines["2026-09"] == datetime(2026, 10, 12, 23, 59, 59, tzinfo=STOCKHOLM)  # 10th a Saturday
    assert deadlines["2026-12"] == datetime(2027, 1, 11, 23, 59, 59, tzinfo=STOCKHOLM)   # 10th a Sunday (CET)
    assert deadlines["2029-04"] == datetime(2029, 5, 11, 23, 59, 59, tzinfo=STOCKHOLM)   # 10th Ascension Day
    assert deadlines["2026-12"] == datetime.fromisoformat("2027-01-11T22:59:59+00:00")  # winter time
    assert deadlines["2029-04"] == datetime.fromisoformat("2029-05-11T21:59:59+00:00")  # summer time


def test_report_while_the_last_concern_of_the_year_is_open_opens_one_incident(sessions, clock, anna, erik, running):
    aid, first = running["assignment_id"], running["follow_up_case"]

    live_a_year(anna, clock, aid, first, outcome="continue",
                reports={"2027-01": {"concerns": "Olle vill sluta träffas."}})
    assert titles(anna) == ["Hantera det kontaktpersonen tar upp"]  # still open when the year is over
    january = period_case(sessions, aid, "2027-01")
    assert anna.task("Hantera det kontaktpersonen tar upp").case_id == january.id
    assert anna.case(first).status == "completed"
    assert case_data(anna, first)["follow_up_outcome"] == "continue"
    [_, second] = cases_of(sessions, "follow_up")

    clock.set(at("2027-02-08"))
    assert anna.message("lex_sarah_report", str(aid), {"reported_by": "Sara", "description": "…"}) == [second.id]
    assert len(cases_of(sessions, "incident")) == 1  # one report, one urgent case

    anna.complete("Hantera det kontaktpersonen tar upp", {"concern_actions": "Samtal med Olle och Sara."})
    assert anna.case(january.id).status == "completed"
    assert case_data(anna, january.id)["period_outcome"] == "paid"
    assert year_periods(anna, second.id)[0] == "2027-02"
    anna.message("lex_sarah_report", str(aid), {"reported_by": "Sara", "description": "…"})
    assert len(cases_of(sessions, "incident")) == 2
