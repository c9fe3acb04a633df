"""A new caseworker runs a volunteer from a paper interest registration to an active assignment,
entirely in the browser (a unit manager makes the approval decision), with screenshots as artefacts."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from engine.deployments import deploy_builtin_processes
from engine.users import create_user
from tests.browser.forms import complete, fill_form

ARTEFACTS = Path(__file__).parent / "artefacts"
PASSWORD = "rätt-lösenord-1"


def sign_in(page, base, username):
    page.goto(f"{base}/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Inkorg")).to_be_visible()


def open_task(page, base, title):
    page.goto(f"{base}/?scope=group")
    page.get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def shot(page, name):
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def test_volunteer_from_paper_registration_to_active_assignment(live_server, browser, sessions, clock, forms):
    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=clock, forms=forms)
        create_user(session, "anna", role="caseworker", groups=["handlaggare"], password=PASSWORD, clock=clock)
        create_user(session, "erik", role="unit_manager", groups=["enhetschef"], password=PASSWORD, clock=clock)
    anna = browser.new_context(locale="sv-SE").new_page()
    anna.set_default_timeout(10_000)
    base = live_server
    sign_in(anna, base, "anna")

    # A paper interest registration starts the recruitment case.
    anna.get_by_role("link", name="Nytt ärende").click()
    anna.get_by_role("link", name="Intresseanmälan (på papper eller per telefon)").click()
    complete(anna, {"first_name": "Sara", "last_name": "Lind", "personnummer": "19811218-9876",
                    "email": "sara.lind@example.se", "phone": "070-123 45 67", "city": "Kungsbacka",
                    "interests": "fiske, musik", "languages": "svenska", "workplace": "ICA"}, button="Registrera")
    expect(anna.get_by_role("heading", name="Granska intresseanmälan")).to_be_visible()
    complete(anna, {"home_municipality": "Kungsbacka", "screening_decision": "proceed"})

    open_task(anna, base, "Boka intervju")
    complete(anna, {"interview_at": "2026-01-08T10:00", "interview_place": "Stadshuset"})
    open_task(anna, base, "Håll intervju")
    shot(anna, "task-interview")
    complete(anna, {"background": "Undersköterska.", "about_person": "Lugn.", "motivation": "Vill hjälpa.",
                    "view_on_disabilities": "Alla har rätt till fritid.", "can_commit_one_year": True,
                    "availability": "weekly", "meetings_per_month_possible": 4, "has_driving_license": True,
                    "preferred_activities": "Fiske",
                    "interview_decision": "continue"})
    open_task(anna, base, "Registrera samtycke")
    complete(anna, {"consent_decision": "signed", "consent_date": "2026-01-08", "consent_method": "paper"})
    open_task(anna, base, "Begär uppgifter ur socialregistret")
    complete(anna, {"home_municipality": "Kungsbacka", "social_services_email": "soc@kungsbacka.se"})

    # The home municipality answers on paper: registered on the case page.
    open_task(anna, base, "Kontrollera utdrag ur belastningsregistret")
    anna.locator(".crumbs a").nth(1).click()  # the case this task belongs to
    anna.get_by_role("link", name="Registrera: Svar från socialregistret").click()
    complete(anna, {"has_remarks": False, "answered_by": "Socialtjänsten Kungsbacka", "answer_date": "2026-01-09"},
             button="Registrera")
    expect(anna.get_by_text("Meddelandet är registrerat.")).to_be_visible()
    open_task(anna, base, "Kontrollera utdrag ur belastningsregistret")
    complete(anna, {"police_extract_shown": True, "police_extract_date": "2025-12-20",
                    "police_extract_checked_by": "anna"})
    open_task(anna, base, "Gör individuell bedömning")
    complete(anna, {"assessment_summary": "Lämplig.", "recommendation": "approve",
                    "recommendation_motivation": "Helhetsbedömning."})

    erik = browser.new_context(locale="sv-SE").new_page()
    erik.set_default_timeout(10_000)
    sign_in(erik, base, "erik")
    open_task(erik, base, "Besluta om godkännande")
    complete(erik, {"approved": True, "decision_motivation": "Uppfyller kraven.", "decision_date": "2026-01-10"})
    anna.goto(f"{base}/volunteers?status=approved_waiting")
    expect(anna.get_by_role("cell", name="Sara Lind")).to_be_visible()

    # Matching: the client's decision, one click on the best candidate, the offer and the meeting.
    anna.get_by_role("link", name="Nytt ärende").click()
    anna.get_by_role("button", name="Starta: Matchning och erbjudande").click()
    complete(anna, {"client_first_name": "Kim", "client_last_name": "Berg", "client_personnummer": "20000101-0008",
                    "client_address": "Lillgatan 2", "client_phone": "0300-123 45", "legal_basis": "LSS",
                    "decision_date": "2026-01-02", "meetings_per_month": 4, "goals": "Komma ut i naturen",
                    "wish_interests": "fiske", "wish_gender": "any"})
    open_task(anna, base, "Välj kontaktperson")
    shot(anna, "task-matching")
    anna.get_by_role("button", name="Erbjud Sara Lind").click()
    open_task(anna, base, "Ring och erbjud uppdraget")
    complete(anna, {"offer_date": "2026-01-12", "offer_answer": "yes"})
    open_task(anna, base, "Boka introduktionsmöte")
    complete(anna, {"intro_at": "2026-01-15T15:00", "intro_place": "Hemma hos Kim"})
    open_task(anna, base, "Håll introduktionsmöte")
    complete(anna, {"client_positive": True, "volunteer_positive": True})

    # The agreement: compensation from the decision tables, signed by both.
    open_task(anna, base, "Upprätta uppdragsavtal")
    complete(anna, {"agreement_start_date": "2026-02-01", "meetings_per_month": 4, "goals": "Komma ut i naturen",
                    "volunteer_email": "sara.lind@example.se", "volunteer_address": "Storgatan 1, Kungsbacka",
                    "volunteer_phone": "070-123 45 67"})
    open_task(anna, base, "Underteckna avtalet")
    expect(anna.locator("form.task-form")).to_contain_text("987")  # 20 % of 59 200 kr / 12
    fill_form(anna, {"sign_outcome": "signed", "signed_by_volunteer": True, "signed_by_client": True,
                     "signed_date": "2026-01-20"})
    anna.locator("form.task-form").get_by_role("button", name="Slutför").click()

    anna.goto(f"{base}/assignments")
    row = anna.get_by_role("row", name="Sara Lind")
    expect(row).to_contain_text("Kim Berg")
    expect(row).to_contain_text("987 + 493 kr")
    shot(anna, "assignments")
