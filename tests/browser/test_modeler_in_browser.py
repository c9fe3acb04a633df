"""A process owner changes the real recruitment process in the browser: opens it in the bpmn-js
modeler, renames a task and breaks a gateway condition in the properties panel, sees the error pinned
to that flow on the canvas, fixes it and deploys version 2, then sees the version list and the
waiting-case badges. A case started before the deploy stays on version 1, a new one starts on 2."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

import engine
from engine.models import Case, Event, OpenTask
from engine.users import create_user
from tests.scenarios.lifecycle import interest_registration

ARTEFACTS = Path(__file__).parent / "artefacts"
PASSWORD = "rätt-lösenord-1"
FLOW = "Flow_Gw_adult_User_screening"   # the "Ja" flow of the gateway "Minst 18 år?"
TASK = "User_screening"
NEW_NAME = "Granska intresseanmälan noga"


def _sign_in(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()


def _select(page, element_id):
    """Zoom in on an element as a user would (the whole diagram is small on screen), click it on the
    canvas (a flow on its line) and wait for its properties."""
    page.evaluate("""id => { const m = window.kompisEditor.modeler, canvas = m.get('canvas');
                           m.get('selection').select(null);  // no context pad in the way
                           canvas.zoom(1); canvas.scrollToElement(m.get('elementRegistry').get(id)); }""", element_id)
    page.locator(f'#canvas .djs-element[data-element-id="{element_id}"] .djs-hit').first.click(force=True)
    expect(page.locator("#properties .bio-properties-panel-header-label")).to_be_visible()


def _group(page, label):
    """Open a properties panel group by its (Swedish) label unless it is open already."""
    header = page.locator("#properties .bio-properties-panel-group-header", has_text=label).first
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    return header


def _set_condition(page, text):
    _select(page, FLOW)
    _group(page, "Villkor")
    box = page.locator("#properties #bio-properties-panel-conditionExpression")
    box.fill(text)
    box.press("Tab")


def test_process_owner_edits_validates_and_deploys_recruitment(live_server, page, sessions, clock, forms):
    from engine.deployments import deploy_builtin_processes

    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=clock, forms=forms)
        create_user(session, "petra", role="process_owner", groups=["processagare"], password=PASSWORD, clock=clock)
        create_user(session, "anna", role="caseworker", groups=["handlaggare"], password=PASSWORD, clock=clock)
        create_user(session, "erik", role="unit_manager", groups=["enhetschef"], password=PASSWORD, clock=clock)
        [old_case] = engine.correlate_message(session, "interest_registration", "web-old", interest_registration(),
                                              user="e-tjanst", clock=clock)
        old_case_id = old_case.id
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "favicon" not in m.text
            and "Failed to load resource" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    _sign_in(page, live_server, "petra")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Processer").click()
    expect(page.get_by_role("heading", name="Processer", exact=True)).to_be_visible()
    page.get_by_role("link", name="recruitment", exact=True).click()
    editor = page.locator("#modeler-app")
    expect(editor).to_have_attribute("data-ready", "true")

    # Rename a task in the properties panel: the canvas label follows.
    _select(page, TASK)
    _group(page, "Allmänt")
    name = page.locator("#properties #bio-properties-panel-name")
    name.fill(NEW_NAME)
    name.press("Tab")
    expect(page.locator(f'#canvas [data-element-id="{TASK}"]')).to_contain_text("noga")
    # The panel edits what the engine reads: the user task's form key and group are there.
    _group(page, "Formulär")
    expect(page.locator("#properties #bio-properties-panel-formKey")).to_have_value("recruitment_screening")
    _group(page, "Tilldelning")
    expect(page.locator("#properties #bio-properties-panel-candidateGroups")).to_have_value("handlaggare")

    # Break the condition of the gateway's "Ja" flow, validate: the error is pinned to that flow.
    _set_condition(page, "age >=")
    page.get_by_role("button", name="Validera").click()
    expect(editor).to_have_attribute("data-busy", "false")
    issue = page.locator(f'#issues li.issue-error[data-element-id="{FLOW}"]')
    expect(issue).to_be_visible()
    expect(issue).to_contain_text(FLOW)
    expect(issue).to_contain_text("Villkoret")
    expect(page.locator(f'#canvas .djs-element[data-element-id="{FLOW}"]')).to_have_class(re.compile("kompis-error"))
    expect(page.locator(f'.kompis-issue-badge[data-element-id="{FLOW}"]')).to_be_visible()
    expect(page.locator("#modeler-status")).to_contain_text("1 fel")
    # bpmnlint's recommended rules come as warnings and do not count as errors.
    assert editor.get_attribute("data-errors") == "1"
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "modeler-error-pinned.png"), full_page=True)

    # Clicking the item selects the flow.
    _select(page, TASK)
    issue.get_by_role("button").click()
    expect(page.locator("#properties .bio-properties-panel-header-label")).to_contain_text("Ja")

    # Deploying with the error is refused; the running version stays.
    page.get_by_label("Anteckning").fill("Noggrannare granskning")
    page.get_by_role("button", name="Driftsätt").click()
    expect(page.locator("#modeler-status")).to_contain_text("Driftsättningen avbröts")

    # Fix it, validate again, deploy version 2 with a note.
    _set_condition(page, "is_adult == True")
    page.get_by_role("button", name="Validera").click()
    expect(page.locator("#modeler-status")).to_contain_text("Inga fel")
    expect(page.locator(f'#canvas .djs-element[data-element-id="{FLOW}"]')).not_to_have_class(
        re.compile("kompis-error"))
    page.get_by_role("button", name="Driftsätt").click()
    expect(page.locator("#modeler-status")).to_contain_text("Version 2 är driftsatt")

    # A new case starts on version 2; the case started before the deploy stays on version 1.
    with sessions.begin() as session:
        [new_case] = engine.correlate_message(session, "interest_registration", "web-new", interest_registration(),
                                              user="e-tjanst", clock=clock)
        new_case_id = new_case.id
    with sessions() as session:
        old, new = session.get(Case, old_case_id), session.get(Case, new_case_id)
        assert (old.deployment.version, new.deployment.version) == (1, 2)
        titles = dict(session.execute(select(OpenTask.case_id, OpenTask.title)
                                      .where(OpenTask.case_id.in_([old_case_id, new_case_id]))).all())
        assert titles == {old_case_id: "Granska intresseanmälan", new_case_id: NEW_NAME}
        deployed = session.scalars(select(Event).where(Event.kind == "model_deployed")
                                   .order_by(Event.id.desc())).first()
        assert deployed.actor == "petra" and deployed.data["version"] == 2

    # The version list: both versions, who deployed them, the note, one running case on each.
    page.goto(f"{live_server}/models")
    versions = page.locator('table[data-process="recruitment"]')
    expect(versions.locator("tr[data-version]")).to_have_count(2)
    row2, row1 = versions.locator('tr[data-version="2"]'), versions.locator('tr[data-version="1"]')
    expect(row2).to_contain_text("petra")
    expect(row2).to_contain_text("Noggrannare granskning")
    expect(row2.locator("td.running")).to_have_text("1")
    expect(row1.locator("td.running")).to_have_text("1")

    # Each version's diagram has a badge where its case waits now.
    for version in (1, 2):
        row = versions.locator(f'tr[data-version="{version}"]')
        row.get_by_role("link", name=f"version {version}").click()
        expect(page.locator("#version-diagram")).to_have_attribute("data-ready", "true")
        badge = page.locator(f'.kompis-count[data-element-id="{TASK}"]')
        expect(badge).to_have_text("1")
        page.screenshot(path=str(ARTEFACTS / f"modeler-version-{version}.png"), full_page=True)
        page.go_back()

    # A caseworker sees each case on its own version.
    page.get_by_role("button", name="Logga ut").click()
    _sign_in(page, live_server, "anna")
    page.goto(f"{live_server}/cases/{old_case_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("v1")
    page.goto(f"{live_server}/cases/{new_case_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("v2")
    assert problems == [], problems
