"""From an interest registration to an active assignment: recruitment, matching and agreement as a
caseworker and a unit manager drive them, checking the registry after each stage."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from engine.clock import STOCKHOLM
from engine.models import Document, Volunteer
from engine.registry import days_waiting
from tests.scenarios.lifecycle import (
    answer_social_register,
    assess,
    assignment,
    at,
    case_data,
    cases_of,
    check_police_extract,
    client_by_pnr,
    client_decision,
    consent,
    data_at,
    decide,
    draft_agreement,
    interest_registration,
    interview,
    intro_meeting,
    notifications,
    offer,
    pick,
    register_interest,
    request_social_register,
    screen,
    sign_agreement,
    start_matching,
    task_data,
    timers_of,
    titles,
    volunteer,
    volunteer_by_pnr,
)


def test_interest_registration_becomes_an_active_assignment(sessions, clock, anna, erik):
    # -- recruitment -------------------------------------------------------------------------
    sara = interest_registration("Sara", "Lind", born=date(1990, 4, 12))
    recruitment = register_interest(anna, sara)
    assert titles(anna) == ["Granska intresseanmälan"]
    screening = task_data(anna, "Granska intresseanmälan")
    assert screening["applicant_age"] == 35 and screening["is_adult"] is True
    assert volunteer_by_pnr(sessions, sara["personnummer"]) is None  # not registered before screening

    screen(anna, sara)
    applicant = volunteer_by_pnr(sessions, sara["personnummer"])
    assert applicant.status == "applicant" and applicant.waiting_since is None
    assert titles(anna) == ["Boka intervju"]

    clock.set(at("2026-01-14", 10))
    interview(anna, when="2026-01-14T10:00:00+01:00")
    with sessions() as session:  # the interview profile updated the applicant, it did not add one
        assert session.scalar(select(func.count()).select_from(Volunteer)) == 1
    assert volunteer(sessions, applicant.id).details["meetings_per_month_possible"] == 4
    assert titles(anna) == ["Registrera samtycke"]

    clock.set(at("2026-01-15"))
    consent(anna, on="2026-01-15")
    assert titles(anna) == ["Begär uppgifter ur socialregistret", "Kontrollera utdrag ur belastningsregistret"]
    request_social_register(anna)
    [request] = [n for n in notifications(sessions) if n.recipient == "socialtjansten@goteborg.se"]
    assert f"referens {applicant.id}" in request.body
    check_police_extract(anna, dated="2025-12-01")
    assert titles(anna) == []  # waiting for the home municipality

    clock.set(at("2026-01-20"))
    assert answer_social_register(anna, applicant.id, on="2026-01-20") == [recruitment]
    assessment = task_data(anna, "Gör individuell bedömning")
    assert assessment["social_check_remarks"] is False and assessment["police_extract_valid"] is True
    assess(anna)
    assert titles(anna) == [] and titles(erik) == ["Besluta om godkännande"]

    clock.set(at("2026-01-22"))
    decide(erik, approved=True, on="2026-01-22")
    assert anna.case(recruitment).status == "completed"
    outcome = case_data(anna, recruitment)
    assert outcome["application_outcome"] == "approved"
    assert outcome["decision_letter"].startswith("Hej Sara! Du är godkänd som kontaktperson.")
    approved = volunteer(sessions, applicant.id)
    assert approved.status == "approved_waiting" and approved.waiting_since == date(2026, 1, 22)
    letters = [n for n in notifications(sessions, recipient=sara["email"])
               if n.subject == "Beslut om uppdrag som kontaktperson"]
    assert [n.body for n in letters] == [outcome["decision_letter"]]

    # -- matching ----------------------------------------------------------------------------
    clock.set(at("2026-02-02"))
    assert days_waiting(volunteer(sessions, applicant.id), clock.today()) == 11
    olle = client_decision("Olle", "Berg", meetings_per_month=4)
    matching = start_matching(anna, olle)
    client = client_by_pnr(sessions, olle["client_personnummer"])
    assert client.name == "Olle Berg" and client.decision["meetings_per_month"] == 4
    pick_form = task_data(anna, "Välj kontaktperson")
    assert pick_form["match_round"] == 1 and pick_form["client_id"] == client.id
    assert pick_form["candidates"] == [{
        "volunteer_id": applicant.id, "name": "Sara Lind", "score": 45, "conflicts": [],
        "reasons": ["Delade intressen: fiske, musik (+20)", "Ålder 35 passar önskemålet 25–45 (+10)",
                    "Samma område: Göteborg (+15)", "Har väntat 11 dagar (+0)"]}]

    pick(anna, applicant.id)
    assert volunteer(sessions, applicant.id).status == "assigned"  # reserved while the offer is made
    offer(anna, "yes", on="2026-02-02")
    clock.set(at("2026-02-09", 15))
    intro_meeting(anna, when="2026-02-09T15:00:00+01:00")
    assert anna.case(matching).status == "completed"
    assert case_data(anna, matching)["matching_outcome"] == "matched"

    # -- agreement ---------------------------------------------------------------------------
    [agreement_case] = cases_of(sessions, "agreement")
    assignment_id = agreement_case.assignment_id
    planned = assignment(sessions, assignment_id)
    assert (planned.status, planned.volunteer_id, planned.client_id) == ("planned", applicant.id, client.id)
    assert titles(anna) == ["Upprätta uppdragsavtal"]
    assert task_data(anna, "Upprätta uppdragsavtal")["agreement_start_date"] == "2026-02-16"  # a week ahead

    draft_agreement(anna, start="2026-02-16", meetings_per_month=4, email=sara["email"])
    terms = task_data(anna, "Underteckna avtalet")
    # 2026: PBB 59 200 kr; up to 4 meetings a month is level 1: fee 20 %, expenses 10 % of PBB/12.
    assert {k: terms[k] for k in ("pbb_year", "price_base_amount", "pbb_confirmed", "scope_level", "fee_percent",
                                  "expense_percent", "monthly_fee", "monthly_expenses")} == {
        "pbb_year": 2026, "price_base_amount": 59200, "pbb_confirmed": True, "scope_level": 1,
        "fee_percent": 20, "expense_percent": 10, "monthly_fee": 987, "monthly_expenses": 493}
    assert terms["monthly_fee"] == round(59200 * 0.20 / 12) and terms["monthly_expenses"] == round(59200 * 0.10 / 12)

    clock.set(at("2026-02-10"))
    sign_agreement(anna, on="2026-02-10")
    assert anna.case(agreement_case.id).status == "completed"

    active = assignment(sessions, assignment_id)
    assert active.status == "active"
    assert active.started_on == date(2026, 2, 16)  # the agreed start, not the day of signing
    assert (active.fee_per_month, active.expenses_per_month) == (987, 493)
    assert active.next_review_on == date(2027, 2, 16)
    assigned = volunteer(sessions, applicant.id)
    assert assigned.status == "assigned" and assigned.waiting_since is None
    with sessions() as session:
        [document] = session.scalars(select(Document).where(Document.assignment_id == assignment_id)).all()
        assert document.kind == "agreement" and document.content.startswith(b"%PDF")
    [welcome] = [n for n in notifications(sessions, recipient=sara["email"]) if n.subject == "Ditt uppdragsavtal"]
    assert "987 kr" in welcome.body and "493 kr" in welcome.body and "2026-02-16" in welcome.body

    # -- the first agreement year is followed up --------------------------------------------
    [follow_up] = cases_of(sessions, "follow_up")
    assert follow_up.status == "running" and follow_up.assignment_id == assignment_id
    year = data_at(anna, follow_up.id, "Script_start_periods")
    assert (year["year_start"], year["year_number"], year["periods"][0], year["periods"][-1], year["review_due"]) == (
        "2026-02-16", 1, "2026-02", "2027-01", "2027-02-16")
    assert {t.element_id: t.due_at for t in timers_of(sessions, follow_up.id)} == {
        "Timer_review": datetime(2027, 1, 17, 23, 59, 59, tzinfo=STOCKHOLM),      # 30 days before 16 Feb
    }
    months = cases_of(sessions, "follow_up_period")
    assert [(m.business_key, m.status, m.assignment_id) for m in months] == [
        (f"{assignment_id}:{period}", "running", assignment_id) for period in year["periods"]]
    assert data_at(anna, months[0].id, "Catch_report")["period"] == "2026-02"
    assert {t.element_id: t.due_at for t in timers_of(sessions, months[0].id)} == {
        "Boundary_deadline": datetime(2026, 3, 10, 23, 59, 59, tzinfo=STOCKHOLM),   # Tuesday 10 March
        "Boundary_grace": datetime(2026, 3, 17, 23, 59, 59, tzinfo=STOCKHOLM),
    }
    assert titles(anna) == [] and titles(erik) == []


def test_assignments_page_shows_compensation_next_report_and_review(sessions, clock, anna, erik, db_url):
    from web import create_app
    from web import database as web_database
    from engine.users import create_user
    from tests.web.conftest import csrf_token

    from tests.scenarios.lifecycle import active_assignment

    made = active_assignment(anna, erik, clock, start="2026-02-16")
    with sessions.begin() as session:
        create_user(session, "lisa", role="caseworker", groups=["handlaggare"], password="rätt-lösenord-1",
                    clock=clock)
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "t", "TESTING": True, "KOMPIS_CLOCK_OBJECT": clock})
    client = app.test_client()
    client.post("/login", data={"username": "lisa", "password": "rätt-lösenord-1", "csrf_token": csrf_token(client)})
    page = " ".join(client.get("/assignments").get_data(as_text=True).split())
    web_database.dispose_all()
    assert "987 + 493 kr" in page
    assert "<td>2026-03-10</td>" in page  # February's report: 10 March, a Tuesday
    assert "<td>2027-02-16</td>" in page and made["assignment_id"]
