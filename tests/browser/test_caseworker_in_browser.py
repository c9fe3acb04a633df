"""A caseworker's day in a real browser: sign in, find the task, fill the form (with a mistake),
complete it, and see the case with its diagram drawn by bpmn-js."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.forms import fill_form

ARTEFACTS = Path(__file__).parent / "artefacts"

import engine
from engine.users import create_user


def test_caseworker_signs_in_completes_a_task_and_sees_the_case(live_server, page, sessions, clock,
                                                                 deploy_fixture):
    deploy_fixture("approval")
    with sessions.begin() as session:
        create_user(session, "anna", role="caseworker", groups=["handlaggare"], password="rätt-lösenord-1",
                    clock=clock, display_name="Anna Handläggare")
        case_id = engine.start_case(session, "approval", {"applicant_id": "A1", "first_name": "Sara",
                                                          "last_name": "Lind", "personnummer": "19811218-9876"},
                                    user="anna", clock=clock).id

    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    page.get_by_label("Användarnamn").fill("anna")
    page.get_by_label("Lösenord").fill("rätt-lösenord-1")
    page.get_by_role("button", name="Logga in").click()

    expect(page.get_by_role("heading", name="Inkorg")).to_be_visible()
    row = page.get_by_role("row", name="Granska ansökan")
    expect(row).to_contain_text("Sara Lind")
    expect(row).to_contain_text("XXXXXXXX-9876")
    row.get_by_role("link", name="Granska ansökan").click()

    expect(page.get_by_role("heading", name="Granska ansökan")).to_be_visible()
    expect(page.get_by_text("Läs ansökan och bedöm den.")).to_be_visible()
    page.get_by_label("Poäng").fill("12")
    page.get_by_role("button", name="Slutför").click()
    expect(page.get_by_text("Formuläret innehåller fel.")).to_be_visible()
    expect(page.get_by_text("Värdet får vara högst 10.")).to_be_visible()

    page.get_by_label("Poäng").fill("4")
    page.get_by_role("group", name="Godkänd").get_by_label("Nej").check()
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Slutför").click()
    expect(page.get_by_text("”Granska ansökan” är slutförd.")).to_be_visible()

    page.goto(f"{live_server}/cases/{case_id}")
    expect(page.get_by_text("Uppgift slutförd")).to_be_visible()
    # The test diagram has no layout (BPMNDI): the page says so instead of breaking.
    expect(page.locator("#diagram")).to_contain_text("saknar layout")


def test_case_page_draws_the_real_diagram_with_the_active_step_marked(live_server, page, sessions, clock, forms):
    from engine.deployments import deploy_builtin_processes
    from tests.scenarios.lifecycle import interest_registration

    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=clock, forms=forms)
        create_user(session, "anna", role="caseworker", groups=["handlaggare"], password="rätt-lösenord-1",
                    clock=clock)
        [case] = engine.correlate_message(session, "interest_registration", "web-1", interest_registration(),
                                          user="e-tjanst", clock=clock)
        case_id = case.id
    page.goto(f"{live_server}/login")
    page.get_by_label("Användarnamn").fill("anna")
    page.get_by_label("Lösenord").fill("rätt-lösenord-1")
    page.get_by_role("button", name="Logga in").click()
    page.goto(f"{live_server}/cases/{case_id}")
    expect(page.locator("#diagram")).to_have_attribute("data-ready", "true")
    screening = page.locator('#diagram [data-element-id="User_screening"]')
    expect(screening).to_have_class(re.compile("kompis-active"))
    assert page.locator("#diagram .djs-element.kompis-done").count() >= 2

    # Follow the case to its next task: the highlight moves on in the diagram.
    page.get_by_role("link", name="Granska intresseanmälan").click()
    fill_form(page, {"home_municipality": "Kungsbacka", "screening_decision": "proceed"})
    page.get_by_role("button", name="Slutför").click()
    page.goto(f"{live_server}/cases/{case_id}")
    expect(page.locator("#diagram")).to_have_attribute("data-ready", "true")
    expect(screening).to_have_class(re.compile("kompis-done"))
    expect(page.locator('#diagram [data-element-id="User_book_interview"]')).to_have_class(re.compile("kompis-active"))
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "case-after-screening.png"), full_page=True)
