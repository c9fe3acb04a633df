"""Shared steps for scenario tests of the repository's own processes (processes/*.bpmn, forms/*.json).

Tests drive the cases with the Caseworker from caseworker.py (fixtures `anna` and `erik` in conftest.py),
which checks the save/restore round trip after every step. The helpers here build valid form data and
message payloads, and read what a step wrote (task data, registry rows, notifications, timers).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from stdnum import luhn

from engine.bpmn.state import load_state
from engine.calendar import add_months
from engine.clock import STOCKHOLM
from engine.deployments import compiled_model
from engine.models import Assignment, Case, Client, Notification, PaymentBasis, Volunteer, WaitingTimer
from tests.scenarios.caseworker import Caseworker

# -- people ---------------------------------------------------------------------------------------

def personnummer(born: date, serial: str = "238") -> str:
    """A valid 12-digit personnummer (YYYYMMDD-NNNC) with its Luhn check digit."""
    yymmdd = born.strftime("%y%m%d")
    return f"{born:%Y%m%d}-{serial}{luhn.calc_check_digit(yymmdd + serial)}"


def interest_registration(first_name: str = "Sara", last_name: str = "Lind", *, born: date = date(1990, 4, 12),
                          serial: str = "238", **extra) -> dict:
    """The payload the public e-service sends when someone registers interest."""
    return {"first_name": first_name, "last_name": last_name, "personnummer": personnummer(born, serial),
            "email": f"{first_name.lower()}.{last_name.lower()}@example.se", "phone": "070-123 45 67",
            "street_address": "Storgatan 1", "postal_code": "411 01", "city": "Göteborg",
            "home_municipality": "Göteborg", "interests": "fiske, musik", "languages": "svenska",
            "workplace": "Volvo Torslanda", "about_me": "Jag gillar att vara ute i naturen.",
            "channel": "e-tjanst", **extra}


def client_decision(first_name: str = "Olle", last_name: str = "Berg", *, born: date = date(2001, 9, 3),
                    serial: str = "457", meetings_per_month: int = 4, **extra) -> dict:
    """The form a caseworker fills in when a client has been granted a contact person."""
    return {"client_first_name": first_name, "client_last_name": last_name,
            "client_personnummer": personnummer(born, serial), "client_address": "Lillgatan 4, 411 02 Göteborg",
            "client_phone": "031-12 34 56", "guardian_name": "Eva Berg", "guardian_phone": "070-765 43 21",
            "legal_basis": "LSS", "decision_date": "2025-12-15", "meetings_per_month": meetings_per_month,
            "goals": "Bryta isolering, komma ut i naturen", "wish_interests": "fiske, musik", "wish_age": "25-45",
            "wish_gender": "any", "wish_language": "", "area": "Göteborg",
            "daily_activity_place": "Daglig verksamhet Hisingen", "representatives": "God man: Eva Berg", **extra}


def monthly_report(period: str, *, meetings_held: int = 4, concerns: str = "", wants_contact: bool = False) -> dict:
    return {"period": period, "meetings_held": meetings_held, "hours": 3.0 * meetings_held,
            "activities": "Fiske och kafé", "concerns": concerns, "wants_contact": wants_contact}


# -- reading what the engine wrote ---------------------------------------------------------------

def _workflow(case: Case):
    model = compiled_model(case.deployment)
    return load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs)


def task_data(worker: Caseworker, title: str) -> dict:
    """The data an open task's form is shown with."""
    task = worker.task(title)
    workflow = _workflow(worker.case(task.case_id))
    return dict(workflow.get_task_from_id(UUID(task.id)).data)


def case_data(worker: Caseworker, case_id: int) -> dict:
    """The data of a case: the workflow's data once it has ended, else its last completed task's."""
    case = worker.case(case_id)
    workflow = _workflow(case)
    if case.status == "completed":
        return dict(workflow.data)
    return dict(workflow.last_task.data)


def data_at(worker: Caseworker, case_id: int, element_id: str) -> dict:
    """The data of the latest task of a diagram element (e.g. the message catch a case waits in)."""
    workflow = _workflow(worker.case(case_id))
    tasks = workflow.get_tasks(spec_name=element_id)
    assert tasks, f"no task for {element_id}"
    return dict(max(tasks, key=lambda t: t.last_state_change).data)


def titles(worker: Caseworker) -> list[str]:
    return sorted(t.title for t in worker.inbox())


def cases_of(sessions, process_key: str, **where) -> list[Case]:
    with sessions() as session:
        query = select(Case).where(Case.process_key == process_key).order_by(Case.id)
        for column, value in where.items():
            query = query.where(getattr(Case, column) == value)
        return list(session.scalars(query))


def volunteer(sessions, volunteer_id: int) -> Volunteer:
    with sessions() as session:
        return session.get(Volunteer, volunteer_id)


def volunteer_by_pnr(sessions, number: str) -> Volunteer | None:
    with sessions() as session:
        return session.scalars(select(Volunteer).where(Volunteer.personnummer == number)).first()


def client_by_pnr(sessions, number: str) -> Client | None:
    with sessions() as session:
        return session.scalars(select(Client).where(Client.personnummer == number)).first()


def assignment(sessions, assignment_id: int) -> Assignment:
    with sessions() as session:
        return session.get(Assignment, assignment_id)


def payment_bases(sessions, assignment_id: int) -> list[PaymentBasis]:
    with sessions() as session:
        return list(session.scalars(select(PaymentBasis).where(PaymentBasis.assignment_id == assignment_id)
                                    .order_by(PaymentBasis.month)))


def notifications(sessions, *, recipient: str | None = None, case_id: int | None = None) -> list[Notification]:
    with sessions() as session:
        query = select(Notification).order_by(Notification.id)
        if recipient is not None:
            query = query.where(Notification.recipient == recipient)
        if case_id is not None:
            query = query.where(Notification.case_id == case_id)
        return list(session.scalars(query))


def timers_of(sessions, case_id: int) -> list[WaitingTimer]:
    with sessions() as session:
        return list(session.scalars(select(WaitingTimer).where(WaitingTimer.case_id == case_id)
                                    .order_by(WaitingTimer.due_at)))


def at(day: str, hour: int = 9) -> datetime:
    """`hour` o'clock on an ISO date, Stockholm time."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=STOCKHOLM)


# -- time -----------------------------------------------------------------------------------------

def fire_until_quiet(worker: Caseworker) -> int:
    """Fire due timers until none is due; returns how many fired. A failed timer fails the test, and
    every case a timer moved must restore and re-serialize to the same state."""
    fired = 0
    while True:
        report = worker.fire_timers()
        assert report.failed == 0, report.errors
        if report.fired == 0:
            break
        fired += report.fired
    if fired:
        with worker.sessions() as session:
            moved = session.scalars(select(Case.id).where(Case.updated_at == worker.clock.now())).all()
        assert moved, "timers fired but no case was saved at this instant"
        for case_id in moved:
            worker.check_round_trip(case_id)
    return fired


def live_until(worker: Caseworker, clock, when: datetime, step: timedelta = timedelta(days=1)) -> int:
    """Let time pass up to `when`, a step at a time, firing what falls due on the way."""
    fired = 0
    while clock.now() < when:
        clock.set(min(when, clock.now() + step))
        fired += fire_until_quiet(worker)
    return fired


# -- recruitment ----------------------------------------------------------------------------------

def register_interest(anna: Caseworker, payload: dict) -> int:
    [case_id] = anna.message("interest_registration", "e-tjanst:" + payload["personnummer"], payload)
    return case_id


def screen(anna: Caseworker, payload: dict, decision: str = "proceed", comment: str = "") -> int:
    data = {k: payload[k] for k in ("first_name", "last_name", "email", "phone", "street_address", "postal_code",
                                    "city", "home_municipality", "interests", "languages", "workplace")}
    data["screening_decision"] = decision
    if comment or decision == "reject":
        data["screening_comment"] = comment or "Uppfyller inte kraven."
    return anna.complete("Granska intresseanmälan", data)


def interview(anna: Caseworker, *, when: str = "2026-01-14T10:00:00+01:00", decision: str = "continue",
              can_commit_one_year: bool = True) -> int:
    anna.complete("Boka intervju", {"interview_at": when, "interview_place": "Stadshuset, rum 3"})
    return anna.complete("Håll intervju", {
        "background": "Undersköterska i tio år.", "about_person": "Lugn och lyhörd.", "interests": "fiske, musik",
        "motivation": "Vill göra skillnad.", "view_on_disabilities": "Alla har rätt till en meningsfull fritid.",
        "can_commit_one_year": can_commit_one_year, "availability": "weekly", "meetings_per_month_possible": 4,
        "preferred_activities": "Fiske, konserter", "languages": "svenska", "has_driving_license": True,
        "interview_notes": "", "interview_decision": decision})


def consent(anna: Caseworker, on: str = "2026-01-15") -> int:
    return anna.complete("Registrera samtycke",
                         {"consent_decision": "signed", "consent_date": on, "consent_method": "paper"})


def request_social_register(anna: Caseworker) -> int:
    return anna.complete("Begär uppgifter ur socialregistret",
                         {"home_municipality": "Göteborg", "social_services_email": "socialtjansten@goteborg.se"})


def answer_social_register(anna: Caseworker, volunteer_id: int, *, has_remarks: bool = False,
                           summary: str = "Inga uppgifter.", on: str = "2026-01-20") -> list[int]:
    return anna.message("social_register_answer", str(volunteer_id),
                        {"has_remarks": has_remarks, "summary": summary, "answered_by": "Socialtjänsten Göteborg",
                         "answer_date": on})


def check_police_extract(anna: Caseworker, *, shown: bool = True, dated: str = "2025-12-01") -> int:
    return anna.complete("Kontrollera utdrag ur belastningsregistret",
                         {"police_extract_shown": shown, "police_extract_date": dated,
                          "police_extract_checked_by": "anna"})


def assess(anna: Caseworker, recommendation: str = "approve", summary: str = "Lämplig.") -> int:
    return anna.complete("Gör individuell bedömning",
                         {"assessment_summary": summary, "recommendation": recommendation,
                          "recommendation_motivation": summary})


def decide(erik: Caseworker, approved: bool = True, motivation: str = "Uppfyller kraven.",
           on: str = "2026-01-22") -> int:
    return erik.complete("Besluta om godkännande",
                         {"approved": approved, "decision_motivation": motivation, "decision_date": on})


def recruit(anna: Caseworker, erik: Caseworker, payload: dict) -> int:
    """The whole recruitment of an approved volunteer; returns the volunteer id."""
    case_id = register_interest(anna, payload)
    screen(anna, payload)
    interview(anna)
    consent(anna)
    request_social_register(anna)
    volunteer_id = case_data(anna, case_id)["volunteer_id"]
    answer_social_register(anna, volunteer_id)
    check_police_extract(anna)
    assess(anna)
    decide(erik)
    assert anna.case(case_id).status == "completed"
    return volunteer_id


# -- matching -------------------------------------------------------------------------------------

def start_matching(anna: Caseworker, client: dict) -> int:
    case_id = anna.start("matching", {})
    anna.complete("Registrera beslut om kontaktperson", client)
    return case_id


def pick(anna: Caseworker, volunteer_id, motivation: str = "Delade intressen.") -> int:
    return anna.complete("Välj kontaktperson", {"pick_action": "offer", "selected_volunteer_id": volunteer_id,
                                                "pick_motivation": motivation})


def offer(anna: Caseworker, answer: str = "yes", on: str = "2026-02-02") -> int:
    return anna.complete("Ring och erbjud uppdraget", {"offer_date": on, "offer_answer": answer,
                                                       "offer_comment": ""})


def intro_meeting(anna: Caseworker, *, client_positive: bool = True, volunteer_positive: bool = True,
                  when: str = "2026-02-09T15:00:00+01:00") -> int:
    anna.complete("Boka introduktionsmöte", {"intro_at": when, "intro_place": "Hemma hos Olle"})
    return anna.complete("Håll introduktionsmöte", {"client_positive": client_positive,
                                                     "volunteer_positive": volunteer_positive,
                                                     "intro_notes": "Bra stämning."})


# -- agreement ------------------------------------------------------------------------------------

def draft_agreement(anna: Caseworker, *, start: str, meetings_per_month: int = 4,
                    email: str = "sara.lind@example.se", **risks) -> int:
    return anna.complete("Upprätta uppdragsavtal", {
        "agreement_start_date": start, "meetings_per_month": meetings_per_month, "hours_per_meeting": 3,
        "goals": "Bryta isolering, komma ut i naturen", "volunteer_address": "Storgatan 1, 411 01 Göteborg",
        "volunteer_phone": "070-123 45 67", "volunteer_email": email, "emergency_contact": "Per Lind 070-111 22 33",
        "risk_abuse": risks.get("risk_abuse", False), "risk_violence": risks.get("risk_violence", False),
        "risk_self_harm": risks.get("risk_self_harm", False), "other_terms": ""})


def sign_agreement(anna: Caseworker, on: str) -> int:
    return anna.complete("Underteckna avtalet", {"sign_outcome": "signed", "signed_by_volunteer": True,
                                                 "signed_by_client": True, "signed_date": on})


def active_assignment(anna: Caseworker, erik: Caseworker, clock, *, start: str = "2026-02-16",
                      meetings_per_month: int = 4) -> dict:
    """Recruit a volunteer, match a client, sign the agreement; the ids of what was made."""
    volunteer_id = recruit(anna, erik, interest_registration())
    start_matching(anna, client_decision(meetings_per_month=meetings_per_month))
    pick(anna, volunteer_id)
    offer(anna)
    intro_meeting(anna)
    [agreement_case] = cases_of(anna.sessions, "agreement")
    draft_agreement(anna, start=start, meetings_per_month=meetings_per_month)
    sign_agreement(anna, on=clock.today().isoformat())
    [follow_up] = cases_of(anna.sessions, "follow_up")
    return {"volunteer_id": volunteer_id, "client_id": follow_up.client_id,
            "assignment_id": agreement_case.assignment_id, "agreement_case": agreement_case.id,
            "follow_up_case": follow_up.id, "email": "sara.lind@example.se"}


def send_report(anna: Caseworker, assignment_id: int, period: str, **kwargs) -> list[int]:
    return anna.message("monthly_report", f"{assignment_id}:{period}", monthly_report(period, **kwargs))


def review(anna: Caseworker, outcome: str = "continue", *, held: str, **extra) -> int:
    anna.complete("Boka årlig uppföljning", {"review_at": held + "T10:00:00+01:00", "review_place": "Stadshuset",
                                             "review_participants": "Olle, Eva, Sara, Anna"})
    return anna.complete("Håll årlig uppföljning", {"review_held_date": held, "client_view": "Nöjd.",
                                                     "volunteer_view": "Trivs.", "goals_followup": "Målen nås.",
                                                     "review_outcome": outcome, **extra})


def report_day(period: str, day: int = 3) -> datetime:
    """09:00 on `day` of the month after `period`: when the contact person sends the report."""
    return at(add_months(period + "-01", 1)[:8] + f"{day:02d}")


def period_case(sessions, assignment_id, period: str) -> Case:
    """The follow_up_period case of one month of an assignment (its business key is "<assignment>:<YYYY-MM>")."""
    [case] = cases_of(sessions, "follow_up_period", business_key=f"{assignment_id}:{period}")
    return case


def year_periods(worker: Caseworker, case_id: int) -> list[str]:
    """The twelve months (YYYY-MM) a follow_up case opened period cases for."""
    return data_at(worker, case_id, "Script_start_periods")["periods"]


def live_a_year(anna: Caseworker, clock, assignment_id: int, case_id: int, *, outcome: str = "continue",
                on_period=None, reports: dict[str, dict] | None = None, **review_data) -> dict[int, dict[str, int]]:
    """One agreement year: the follow_up case `case_id` and its twelve follow_up_period cases. The contact
    person reports every month on the 3rd of the next month, timers fire on the way, the annual review is
    held when it comes up. Returns, for each report (1-12), the stored state sizes of the year case after
    it and of that month's period case just before it (while it waits) and after it:
    {n: {"follow_up": ..., "follow_up_period_waiting": ..., "follow_up_period": ...}}. `on_period(period)` runs
    before each report; `reports` gives a period's report other contents (e.g. {"2027-01": {"concerns": "..."}})."""
    periods = year_periods(anna, case_id)
    assert len(periods) == 12
    sizes = {}
    for index, period in enumerate(periods):
        if clock.now() < report_day(period):
            clock.set(report_day(period))
        fire_until_quiet(anna)
        if "Boka årlig uppföljning" in titles(anna):
            review(anna, outcome, held=clock.today().isoformat(), **review_data)
        if on_period is not None:
            on_period(period)
        month = period_case(anna.sessions, assignment_id, period)
        waiting = len(month.state)
        assert send_report(anna, assignment_id, period, **(reports or {}).get(period, {})) == [month.id]
        sizes[index + 1] = {"follow_up": len(anna.case(case_id).state), "follow_up_period_waiting": waiting,
                            "follow_up_period": len(anna.case(month.id).state)}
    assert anna.case(case_id).status == "completed", "the year did not end with its annual review"
    for period in periods:
        extra = (reports or {}).get(period, {})
        if not (extra.get("concerns") or extra.get("wants_contact")):  # else the month waits for the caseworker
            assert period_case(anna.sessions, assignment_id, period).status == "completed", period
    return sizes
