"""axe-core (from npm, injected by Playwright) on the inbox, a task and a case page: no serious or
critical violations, at desktop width and on a tablet."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

import engine
from engine.users import create_user

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['target']})"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width,height", [(1280, 800), (820, 1180)], ids=["desktop", "tablet"])
def test_inbox_task_and_case_pages_have_no_serious_violations(live_server, browser, sessions, clock,
                                                              deploy_fixture, width, height):
    deploy_fixture("approval")
    with sessions.begin() as session:
        create_user(session, "anna", role="caseworker", groups=["handlaggare"], password="rätt-lösenord-1",
                    clock=clock)
        case_id = engine.start_case(session, "approval", {"applicant_id": "A1", "first_name": "Sara",
                                                          "last_name": "Lind", "personnummer": "19811218-9876"},
                                    user="anna", clock=clock).id
    # Our CSP forbids injected scripts (as it should); the audit context may bypass it.
    page = browser.new_context(locale="sv-SE", viewport={"width": width, "height": height}, bypass_csp=True).new_page()
    page.goto(f"{live_server}/login")
    assert serious_violations(page) == []
    page.get_by_label("Användarnamn").fill("anna")
    page.get_by_label("Lösenord").fill("rätt-lösenord-1")
    page.locator("#main").get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Inkorg")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Granska ansökan").click()
    expect(page.get_by_role("heading", name="Granska ansökan")).to_be_visible()
    assert serious_violations(page) == []
    page.goto(f"{live_server}/cases/{case_id}")
    assert serious_violations(page) == []
