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


def _select(page, element_id, band=False):
    """Zoom in on an element as a user would (the whole diagram is small on screen), click it on the
    canvas (a flow on its line, a pool on its name band) and wait for its properties."""
    page.evaluate("""id => { const m = window.kompisEditor.modeler, canvas = m.get('canvas');
                           m.get('selection').select(null);  // no context pad in the way
                           canvas.zoom(1); canvas.scrollToElement(m.get('elementRegistry').get(id)); }""", element_id)
    element = page.locator(f'#canvas .djs-element[data-element-id="{element_id}"]')
    if band:
        box = element.locator(".djs-visual rect").first.bounding_box()
        page.mouse.click(box["x"] + 15, box["y"] + box["height"] / 2)
    else:
        element.locator(".djs-hit").first.click(force=True)
    expect(page.locator("#properties [data-entry-id=id] input")).to_have_value(element_id)


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
    page.get_by_label("Anteckning", exact=True).fill("Noggrannare granskning")
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


# A diagram as bpmn.io or Camunda Modeler saves it: its own process id, not executable, Camunda
# attributes set in the properties panel, BPMNDI.
BPMN_IO_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_0x1" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.31.0">
  <bpmn:process id="Process_1k2j3h4" isExecutable="false">
    <bpmn:startEvent id="StartEvent_1" name="Anmälan">
      <bpmn:outgoing>Flow_1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="Activity_0abc" name="Granska" camunda:formKey="recruitment_screening" camunda:candidateGroups="handlaggare" camunda:dueDate="P3D">
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="Event_0end" name="Klart">
      <bpmn:incoming>Flow_2</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_0abc" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_0abc" targetRef="Event_0end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Process_1k2j3h4">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_0abc_di" bpmnElement="Activity_0abc"><dc:Bounds x="240" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_0end_di" bpmnElement="Event_0end"><dc:Bounds x="392" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1"><di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2"><di:waypoint x="340" y="120" /><di:waypoint x="392" y="120" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _status(page):
    return page.locator("#modeler-status")


def test_forms_decision_tables_upload_download_compare_and_migration(live_server, page, sessions, clock, forms,
                                                                   tmp_path):
    from engine.deployments import deploy_builtin_processes
    from engine.models import Deployment

    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=clock, forms=forms)
        for name, role, groups in (("petra", "process_owner", ["processagare"]), ("anna", "caseworker", ["handlaggare"]),
                                   ("erik", "unit_manager", ["enhetschef"])):
            create_user(session, name, role=role, groups=groups, password=PASSWORD, clock=clock)
        [case] = engine.correlate_message(session, "interest_registration", "web-old", interest_registration(),
                                          user="e-tjanst", clock=clock)
        case_id = case.id
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and "Failed to load resource" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e} {e.stack}"))
    _sign_in(page, live_server, "petra")

    # A decision table: change level 1's fee from 20 to 22 % of PBB/12 in dmn-js, deploy agreement v2.
    page.goto(f"{live_server}/models/agreement")
    expect(page.locator("#modeler-app")).to_have_attribute("data-ready", "true")
    page.get_by_role("tab", name=re.compile("compensation_level.dmn")).click()
    expect(page.locator('.dmn-canvas[data-file="compensation_level.dmn"]')).to_have_attribute("data-ready", "true")
    cell = page.locator('.dmn-canvas td[data-element-id="OutputEntry_compensation_level_0_2"] [contenteditable]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("22")
    page.get_by_role("tab", name=re.compile("Diagram")).click()
    page.get_by_label("Anteckning", exact=True).fill("Arvode nivå 1 höjt till 22 %")
    page.get_by_role("button", name="Driftsätt").click()
    expect(_status(page)).to_contain_text("Version 2 är driftsatt")
    with sessions() as session:
        v2 = session.scalars(select(Deployment).where(Deployment.process_key == "agreement",
                                                      Deployment.version == 2)).one()
        assert "<text>22</text>" in v2.files["compensation_level.dmn"]
        assert v2.files["agreement.bpmn"] == session.scalars(select(Deployment).where(
            Deployment.process_key == "agreement", Deployment.version == 1)).one().files["agreement.bpmn"]

    # A form: edit the screening form as JSON, the preview follows (and says what is wrong when broken).
    page.goto(f"{live_server}/models/recruitment")
    expect(page.locator("#modeler-app")).to_have_attribute("data-ready", "true")
    page.get_by_role("tab", name="Formulär").click()
    page.locator('#form-list [data-form="recruitment_screening"]').click()
    source = page.locator("#form-text")
    expect(source).to_have_value(re.compile("Granska intresseanmälan"))
    preview = page.locator("#form-preview")
    expect(preview.get_by_label("Förnamn")).to_be_visible()
    text = source.input_value()
    source.fill(text.replace('"properties": {', '"properties": {\n    "screening_note": {"type": "string", '
                             '"title": "Anteckning från granskningen", "x-widget": "textarea"},', 1))
    expect(preview.get_by_label("Anteckning från granskningen")).to_be_visible()
    source.fill(text.replace('"properties": {', '"properties": {,', 1))
    expect(preview.get_by_role("alert")).to_contain_text("inte giltig JSON")
    source.fill(text.replace('"properties": {', '"properties": {\n    "screening_note": {"type": "string", '
                             '"title": "Anteckning från granskningen", "x-widget": "textarea"},', 1))
    expect(preview.get_by_label("Anteckning från granskningen")).to_be_visible()
    page.get_by_label("Anteckning", exact=True).fill("Nytt fält i granskningen")
    page.get_by_role("button", name="Driftsätt").click()
    expect(_status(page)).to_contain_text("Version 2 är driftsatt")

    # Download the diagram as a .bpmn file.
    with page.expect_download() as download:
        page.get_by_role("button", name="Ladda ner .bpmn").click()
    assert download.value.suggested_filename == "recruitment.bpmn"
    assert 'id="recruitment"' in Path(download.value.path()).read_text(encoding="utf-8")

    # Move the old case to version 2 (same diagram, new form): dry run, batched run, rollback.
    page.goto(f"{live_server}/models/recruitment/versions/1")
    page.get_by_role("button", name="Provkör flytten").click()
    expect(page.locator(f'tr[data-case="{case_id}"]')).to_contain_text("ja")
    page.get_by_role("button", name="Flytta 1 ärenden").click()
    finished = page.locator('table.migration-runs tr[data-status="finished"]')
    expect(finished).to_be_visible()
    expect(finished.locator("td").nth(4)).to_have_text("1")
    with sessions() as session:
        assert session.get(Case, case_id).deployment.version == 2
    finished.get_by_role("button", name="Återställ").click()
    expect(page.get_by_text("1 ärenden tillbaka på den gamla versionen")).to_be_visible()
    with sessions() as session:
        assert session.get(Case, case_id).deployment.version == 1

    # Upload: a file over the limit and a DOCTYPE are refused before anything is sent; a diagram from
    # Camunda Modeler opens, becomes this process and deploys as version 3.
    page.goto(f"{live_server}/models/recruitment")
    expect(page.locator("#modeler-app")).to_have_attribute("data-ready", "true")
    huge = tmp_path / "huge.bpmn"
    huge.write_text(BPMN_IO_DIAGRAM + "<!--" + "x" * (2 * 1024 * 1024) + "-->", encoding="utf-8")
    page.set_input_files("#upload", str(huge))
    expect(_status(page)).to_contain_text("för stor")
    doctype = tmp_path / "doctype.bpmn"
    doctype.write_text(BPMN_IO_DIAGRAM.replace("<bpmn:definitions", '<!DOCTYPE x [<!ENTITY e "e">]>\n<bpmn:definitions', 1))
    page.set_input_files("#upload", str(doctype))
    expect(_status(page)).to_contain_text("DOCTYPE")
    expect(page.locator('#canvas [data-element-id="User_screening"]')).to_have_count(1)  # still the old one
    uploaded = tmp_path / "granskning.bpmn"
    uploaded.write_text(BPMN_IO_DIAGRAM, encoding="utf-8")
    page.set_input_files("#upload", str(uploaded))
    expect(_status(page)).to_contain_text("Process_1k2j3h4 till recruitment")
    expect(page.locator('#canvas [data-element-id="Activity_0abc"]')).to_be_visible()
    page.get_by_role("button", name="Validera").click()
    expect(_status(page)).to_contain_text("Inga fel")
    page.get_by_label("Anteckning", exact=True).fill("Förenklad från Camunda Modeler")
    page.get_by_role("button", name="Driftsätt").click()
    expect(_status(page)).to_contain_text("Version 3 är driftsatt")

    # Compare 2 and 3: what was removed is marked on version 2, what was added on version 3.
    page.goto(f"{live_server}/models/recruitment/compare?from=2&to=3")
    for box in ("#diagram-old-box", "#diagram-new-box"):
        expect(page.locator(box)).to_have_attribute("data-ready", "true")
    expect(page.locator('#diagram-old-box [data-element-id="User_screening"]')).to_have_class(
        re.compile("kompis-removed"))
    expect(page.locator('#diagram-new-box [data-element-id="Activity_0abc"]')).to_have_class(
        re.compile("kompis-added"))
    expect(page.locator(".xml-diff .diff-add").first).to_be_visible()
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "modeler-compare.png"), full_page=True)

    # The old case cannot move to version 3, and the dry run says why.
    page.goto(f"{live_server}/models/recruitment/migrate?from=1&to=3")
    row = page.locator(f'tr[data-case="{case_id}"]')
    expect(row).to_contain_text("nej")
    expect(row.locator("li").first).to_contain_text("som inte finns i version 3")
    assert page.get_by_role("button", name=re.compile("^Flytta")).count() == 0
    assert problems == [], problems


PANEL_VALUES = """() => Object.fromEntries([...document.querySelectorAll('#properties [data-entry-id]')].map(entry => {
  const c = entry.querySelector('input, textarea, select');
  return [entry.dataset.entryId, c ? (c.type === 'checkbox' ? c.checked : c.value) : null]; }))"""

# Element → what the engine reads from it, as the Camunda properties panel shows it (docs/modeling.md).
PANEL = [
    ("recruitment", "User_social_missing", ["Formulär", "Tilldelning"],
     {"formKey": "recruitment_social_missing", "candidateGroups": "handlaggare", "dueDate": "P5D", "priority": "70",
      "assignee": ""}),
    ("recruitment", "Boundary_consent_remind", ["Timer"],
     {"timerEventDefinitionType": "timeDuration", "timerEventDefinitionValue": '"P14D"'}),
    ("recruitment", "Script_age", ["Skript"],
     {"scriptFormat": "python", "scriptValue": "applicant_age = age_on(personnummer)\nis_adult = applicant_age >= 18"}),
    ("recruitment", FLOW, ["Villkor"], {"conditionType": "expression", "conditionExpression": "is_adult == True"}),
    ("recruitment", "Catch_social_answer", ["Meddelande", "Tilläggsegenskaper"],
     {"messageName": "social_register_answer", "Catch_social_answer-extensionProperty-0-name": "correlationKey",
      "Catch_social_answer-extensionProperty-0-value": "str(volunteer_id)"}),
    ("agreement", "Rule_pbb", ["Implementering"], {"implementationType": "dmn", "decisionRef": "price_base_amount"}),
    ("matching", "Participant_matching", ["Uppgiftslista"], {"processId": "matching", "isStartableInTasklist": True}),
]


def test_the_properties_panel_shows_every_property_the_engine_reads(live_server, page, sessions, clock, forms):
    from engine.deployments import deploy_builtin_processes

    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=clock, forms=forms)
        create_user(session, "petra", role="process_owner", groups=["processagare"], password=PASSWORD, clock=clock)
    _sign_in(page, live_server, "petra")
    for key, element_id, groups, expected in PANEL:
        if page.url != f"{live_server}/models/{key}":
            page.goto(f"{live_server}/models/{key}")
            expect(page.locator("#modeler-app")).to_have_attribute("data-ready", "true")
        if element_id.startswith("Participant_"):  # a pool is selected on its name band
            _select(page, "Participant_matching", band=True)
        else:
            _select(page, element_id)
        for label in groups:
            _group(page, label)
        values = page.evaluate(PANEL_VALUES)
        assert {k: values.get(k) for k in expected} == expected, (element_id, values)

    # A call activity (none of the built-in diagrams has one): drawn here, its called process is set in
    # the panel and ends up as calledElement in the XML.
    call = page.evaluate("""() => { const m = window.kompisEditor.modeler, factory = m.get('elementFactory');
        const pool = m.get('elementRegistry').get('Participant_matching');
        const shape = factory.createShape({type: 'bpmn:CallActivity'});
        return m.get('modeling').createShape(shape, {x: pool.x + 300, y: pool.y + pool.height - 60}, pool).id; }""")
    _select(page, call)
    _group(page, "Anropad process")
    page.locator("#properties #bio-properties-panel-calledElementType").select_option("bpmn")
    called = page.locator("#properties #bio-properties-panel-calledElement")
    called.fill("follow_up_period")
    called.press("Tab")
    xml = page.evaluate("async () => (await window.kompisEditor.modeler.saveXML()).xml")
    assert 'calledElement="follow_up_period"' in xml
    # Its empty lists (in/out mappings, listeners) offer to add one in Swedish, not the panel's English
    # (the label shows when the pointer is on the group's header).
    adds = page.locator("#properties .bio-properties-panel-add-entry-label")
    expect(adds.first).to_be_attached()
    assert set(adds.all_text_contents()) == {"Lägg till"}


def _serious_violations(page) -> list[str]:
    """axe-core on our part of the page: bpmn-js' canvas and the properties panel are bpmn.io's."""
    page.add_script_tag(path=str(Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"))
    result = page.evaluate("""async () => await axe.run(
        {exclude: [['.djs-container'], ['#properties'], ['.dmn-canvas']]}, {resultTypes: ['violations']})""")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['target']})"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_the_modeler_pages_have_no_serious_accessibility_violations(live_server, browser, sessions, clock, forms):
    from engine.deployments import deploy, deploy_builtin_processes
    from engine.models import Deployment

    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=clock, forms=forms)
        create_user(session, "petra", role="process_owner", groups=["processagare"], password=PASSWORD, clock=clock)
        engine.correlate_message(session, "interest_registration", "web-a11y", interest_registration(),
                                 user="e-tjanst", clock=clock)
        v1 = session.scalars(select(Deployment).where(Deployment.process_key == "recruitment")).one()
        files = {**v1.files, v1.main_file: v1.bpmn_xml.replace('name="Granska intresseanmälan"', 'name="Granska"')}
        deploy(session, files, v1.main_file, user="petra", clock=clock, forms=forms)
    page = browser.new_context(locale="sv-SE", bypass_csp=True).new_page()
    _sign_in(page, live_server, "petra")
    for path, ready in [("/models", None), ("/models/recruitment", "#modeler-app"),
                        ("/models/recruitment/versions/1", "#version-diagram"),
                        ("/models/recruitment/compare?from=1&to=2", "#diagram-new-box"),
                        ("/models/recruitment/migrate?from=1&to=2", None)]:
        page.goto(f"{live_server}{path}")
        if ready:
            expect(page.locator(ready)).to_have_attribute("data-ready", "true")
        assert _serious_violations(page) == [], path
        if path == "/models/recruitment":  # with validation results and the form editor open
            page.get_by_role("button", name="Validera").click()
            expect(page.locator("#issues li").first).to_be_visible()
            page.get_by_role("tab", name="Formulär").click()
            expect(page.locator("#form-preview .task-form")).to_be_visible()
            assert _serious_violations(page) == [], "editor with results and forms"
    page.context.close()
