"""The process owner's pages under /models: who reaches them, what each page shows, the JSON endpoints
(validate, deploy, form preview, migration steps) and bad input: each refused with its reason and a
clear 4xx, and nothing deployed."""
from __future__ import annotations

import json
import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

import engine
import engine.users
from engine.deployments import deploy, deploy_builtin_processes
from engine.models import Case, Deployment, Event, OpenTask
from engine.users import create_user
from tests.scenarios.lifecycle import interest_registration
from tests.web.conftest import csrf_token

PASSWORD = "rätt-lösenord-1"
USERS = {"petra": ("process_owner", ["processagare"]), "admin": ("admin", []),
         "anna": ("caseworker", ["handlaggare"]), "erik": ("unit_manager", ["enhetschef"])}
FLOW = "Flow_Gw_adult_User_screening"
GOOD_CONDITION = "is_adult == True</bpmn:conditionExpression>"


@pytest.fixture
def world(sessions, clock, forms, monkeypatch):
    """The built-in processes as version 1, one user per role, and a recruitment case at screening."""
    monkeypatch.setattr(engine.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=clock, forms=forms)
        for username, (role, groups) in USERS.items():
            create_user(session, username, role=role, groups=groups, password=PASSWORD, clock=clock)
        [case] = engine.correlate_message(session, "interest_registration", "web-1", interest_registration(),
                                          user="e-tjanst", clock=clock)
        recruitment = session.scalars(select(Deployment).where(Deployment.process_key == "recruitment")).one()
        return {"case_id": case.id, "files": dict(recruitment.files), "main": recruitment.main_file}


def sign_in(client, username):
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return client


def token(client):
    return {"X-CSRFToken": csrf_token(client, "/models")}


def post_json(client, path, body, **kwargs):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", headers=token(client), **kwargs)


def bundle(world, **replace):
    files = dict(world["files"])
    xml = files[world["main"]]
    for old, new in replace.items():
        assert old in xml, old
        xml = xml.replace(old, new)
    files[world["main"]] = xml
    return {"files": files, "main_file": world["main"]}


def versions(sessions, key="recruitment"):
    with sessions() as session:
        return session.scalars(select(Deployment.version).where(Deployment.process_key == key)
                               .order_by(Deployment.version)).all()


# ------------------------------------------------------------------ who reaches the pages

PAGES = ["/models", "/models/recruitment", "/models/recruitment?version=1", "/models/recruitment/versions/1",
         "/models/recruitment/versions/1/files/recruitment.bpmn", "/models/recruitment/compare?from=1&to=1",
         "/models/recruitment/migrate?from=1&to=1", "/models/forms/recruitment_screening.json"]
POSTS = [("/models/recruitment/validate", {}), ("/models/recruitment/deploy", {}),
         ("/models/forms/preview", {"schema": "{}"}), ("/models/recruitment/migrations", {"from": 1, "to": 2}),
         ("/models/recruitment/migrations/1/step", {}), ("/models/recruitment/migrations/1/rollback", {})]


@pytest.mark.parametrize("path", PAGES)
def test_only_process_owners_and_admins_reach_the_pages(path, world, client):
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for username in ("anna", "erik"):
        assert sign_in(client, username).get(path).status_code == 403
    for username in ("petra", "admin"):
        response = sign_in(client, username).get(path)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("path, body", POSTS)
def test_only_process_owners_and_admins_may_post(path, body, world, client, sessions):
    anonymous = client.post(path, json=body)
    assert anonymous.status_code in (302, 400)  # no session: the sign-in page (or the CSRF refusal first)
    for username in ("anna", "erik"):
        sign_in(client, username)
        assert post_json(client, path, body).status_code == 403
    assert versions(sessions) == [1]


def test_a_post_without_the_csrf_token_is_refused_with_json(world, client, sessions):
    sign_in(client, "petra")
    response = client.post("/models/recruitment/deploy", json=bundle(world))
    assert response.status_code == 400 and "ladda om" in response.get_json()["message"]
    assert versions(sessions) == [1]


def test_the_header_links_to_the_process_list_for_owners_and_admins_only(world, client):
    link = 'href="/models"'
    assert link in sign_in(client, "petra").get("/").get_data(as_text=True)
    assert link in sign_in(client, "admin").get("/").get_data(as_text=True)
    assert link not in sign_in(client, "anna").get("/").get_data(as_text=True)
    assert link not in sign_in(client, "erik").get("/").get_data(as_text=True)


# ------------------------------------------------------------------ pages

def test_the_process_list_shows_each_key_with_its_versions(world, client, sessions, clock, forms):
    sign_in(client, "petra")
    with sessions.begin() as session:
        deploy(session, bundle(world, **{'name="Granska intresseanmälan"': 'name="Granska"'})["files"],
               world["main"], user="petra", clock=clock, note="Kortare namn", forms=forms)
    page = client.get("/models").get_data(as_text=True)
    for key in ("recruitment", "matching", "agreement", "follow_up", "termination"):
        assert f'data-process="{key}"' in page
    table = page[page.index('data-process="recruitment"'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r'<tr data-version="(\d+)">(.*?)</tr>', table, re.DOTALL)
    assert [v for v, _ in rows] == ["2", "1"]
    assert "petra" in rows[0][1] and "Kortare namn" in rows[0][1] and "2026-01-05" in rows[0][1]
    assert "system" in rows[1][1]
    running = {v: re.search(r'class="running">(\d+)<', row).group(1) for v, row in rows}
    assert running == {"2": "0", "1": "1"}


def test_the_editor_starts_from_the_latest_or_the_chosen_version(world, client, sessions, clock, forms):
    sign_in(client, "petra")
    with sessions.begin() as session:
        deploy(session, bundle(world, **{'name="Granska intresseanmälan"': 'name="Granska v2"'})["files"],
               world["main"], user="petra", clock=clock, forms=forms)

    def data(path):
        page = client.get(path).get_data(as_text=True)
        raw = re.search(r'<script type="application/json" id="modeler-data">(.*?)</script>', page, re.DOTALL).group(1)
        assert "</" not in raw  # the data block cannot end the script early
        return json.loads(raw), page

    latest, page = data("/models/recruitment")
    assert latest["version"] == 2 and "Granska v2" in latest["files"]["recruitment.bpmn"]
    assert 'name="csrf-token"' in page and "build/editor.js" in page and "build/modeler.css" in page
    for button in ("Validera", "Driftsätt", "Ladda ner .bpmn", "Ladda upp .bpmn"):
        assert button in page
    # The forms of the diagram's user tasks come along for the form editor.
    assert {"recruitment_screening", "recruitment_interview", "recruitment_decision"} <= set(latest["store_forms"])
    assert json.loads(latest["store_forms"]["recruitment_screening"])["title"] == "Granska intresseanmälan"
    first, _ = data("/models/recruitment?version=1")
    assert first["version"] == 1 and "Granska v2" not in first["files"]["recruitment.bpmn"]
    assert client.get("/models/recruitment?version=9").status_code == 404
    assert client.get("/models/nonexistent").status_code == 404


def test_the_editor_has_a_tab_per_decision_table(world, client):
    page = sign_in(client, "petra").get("/models/agreement").get_data(as_text=True)
    assert 'data-file="compensation_level.dmn"' in page and 'data-file="price_base_amount.dmn"' in page


def test_the_version_page_counts_cases_per_element_and_links_on(world, client, sessions, clock, forms):
    sign_in(client, "petra")
    with sessions.begin() as session:
        engine.correlate_message(session, "interest_registration", "web-2", interest_registration("Bo", "Ek"),
                                 user="e-tjanst", clock=clock)
        deploy(session, bundle(world, **{'name="Granska intresseanmälan"': 'name="Granska"'})["files"],
               world["main"], user="petra", clock=clock, forms=forms)
    page = client.get("/models/recruitment/versions/1").get_data(as_text=True)
    diagram = json.loads(re.search(r'id="diagram-version">(.*?)</script>', page, re.DOTALL).group(1))
    assert diagram["counts"] == {"User_screening": 2}
    assert "<code>User_screening</code></td><td>2</td>" in page
    assert "/models/recruitment/versions/1/files/recruitment.bpmn" in page
    assert 'action="/models/recruitment/compare"' in page and 'action="/models/recruitment/migrate"' in page
    assert "Inbyggd version" in page and "2 pågående ärenden" in page
    later = client.get("/models/recruitment/versions/2").get_data(as_text=True)
    assert 'action="/models/recruitment/migrate"' not in later  # nothing later to move to
    assert client.get("/models/recruitment/versions/7").status_code == 404


def test_a_bundle_file_downloads_as_it_was_deployed(world, client):
    sign_in(client, "petra")
    response = client.get("/models/recruitment/versions/1/files/recruitment.bpmn")
    assert response.status_code == 200 and response.get_data(as_text=True) == world["files"][world["main"]]
    assert 'attachment; filename="recruitment.bpmn"' == response.headers["Content-Disposition"]
    dmn = client.get("/models/agreement/versions/1/files/price_base_amount.dmn")
    assert dmn.status_code == 200 and b"price_base_amount" in dmn.data
    assert client.get("/models/recruitment/versions/1/files/other.bpmn").status_code == 404


def test_compare_marks_added_removed_and_changed_elements_and_shows_the_xml_diff(world, client, sessions, clock,
                                                                                 forms):
    sign_in(client, "petra")
    renamed = bundle(world, **{'name="Granska intresseanmälan"': 'name="Granska noga"'})
    with sessions.begin() as session:
        deploy(session, renamed["files"], world["main"], user="petra", clock=clock, forms=forms)
    page = client.get("/models/recruitment/compare?from=1&to=2").get_data(as_text=True)
    old = json.loads(re.search(r'id="diagram-old">(.*?)</script>', page, re.DOTALL).group(1))
    new = json.loads(re.search(r'id="diagram-new">(.*?)</script>', page, re.DOTALL).group(1))
    assert "User_screening" in old["changed"] and "User_screening" in new["changed"]
    assert old["removed"] == [] and new["added"] == []
    assert '<span class="diff-del">-' in page and '<span class="diff-add">+' in page and "Granska noga" in page
    assert client.get("/models/recruitment/compare").status_code == 302
    assert client.get("/models/recruitment/compare?from=1&to=5").status_code == 404


# ------------------------------------------------------------------ validate

def test_validate_answers_ok_for_the_deployed_bundle(world, client):
    sign_in(client, "petra")
    response = post_json(client, "/models/recruitment/validate", bundle(world))
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["errors"] == [] and isinstance(body["warnings"], list)


def test_validate_pins_a_broken_condition_to_its_flow_with_the_line(world, client):
    sign_in(client, "petra")
    body = post_json(client, "/models/recruitment/validate",
                     bundle(world, **{GOOD_CONDITION: "age >=</bpmn:conditionExpression>"})).get_json()
    assert body["ok"] is False
    [error] = body["errors"]
    assert error["element_id"] == FLOW and error["file"] == "recruitment.bpmn" and error["line"]
    assert "Villkoret" in error["message"]
    assert set(error) >= {"element_id", "line", "message", "file"}


def test_validate_reports_an_unknown_form_at_its_task(world, client):
    sign_in(client, "petra")
    body = post_json(client, "/models/recruitment/validate", bundle(world, **{
        'camunda:formKey="recruitment_screening"': 'camunda:formKey="no_such_form"'})).get_json()
    assert body["ok"] is False
    assert [(e["element_id"], "no_such_form" in e["message"]) for e in body["errors"]] == [("User_screening", True)]


def test_validate_reports_a_group_no_user_belongs_to(world, client):
    sign_in(client, "petra")
    body = post_json(client, "/models/recruitment/validate", bundle(world, **{
        'camunda:formKey="recruitment_screening" camunda:candidateGroups="handlaggare"':
        'camunda:formKey="recruitment_screening" camunda:candidateGroups="okand_grupp"'})).get_json()
    assert body["ok"] is False and body["errors"][0]["element_id"] == "User_screening"
    assert "okand_grupp" in body["errors"][0]["message"]


def test_validate_refuses_a_diagram_of_another_process(world, client):
    sign_in(client, "petra")
    body = post_json(client, "/models/recruitment/validate", bundle(world, **{
        'id="recruitment"': 'id="Process_1abc"', 'processRef="recruitment"': 'processRef="Process_1abc"'})).get_json()
    assert body["ok"] is False and body["errors"][0]["element_id"] == "Process_1abc"
    assert "recruitment" in body["errors"][0]["message"]


@pytest.mark.parametrize("xml, words", [
    (('<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">\n'
      '<bpmn:process id="recruitment">\n</bpmn:definitions>'), "Felaktig XML"),
    ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<bpmn:definitions/>', "DOCTYPE"),
])
def test_validate_explains_unreadable_xml(xml, words, world, client):
    sign_in(client, "petra")
    body = post_json(client, "/models/recruitment/validate",
                     {"files": {"recruitment.bpmn": xml}, "main_file": "recruitment.bpmn"}).get_json()
    assert body["ok"] is False and words in body["errors"][0]["message"] and body["errors"][0]["line"]


# ------------------------------------------------------------------ deploy

def test_deploy_stores_a_new_version_with_its_note_and_logs_it(world, client, sessions):
    sign_in(client, "petra")
    response = post_json(client, "/models/recruitment/deploy", {
        **bundle(world, **{'name="Granska intresseanmälan"': 'name="Granska noga"'}), "note": "  Tydligare namn  "})
    assert response.status_code == 201
    assert response.get_json() == {"ok": True, "version": 2, "created": True,
                                   "url": "/models/recruitment/versions/2"}
    with sessions() as session:
        deployment = session.scalars(select(Deployment).where(Deployment.process_key == "recruitment",
                                                              Deployment.version == 2)).one()
        assert (deployment.deployed_by, deployment.note) == ("petra", "Tydligare namn")
        event = session.scalars(select(Event).where(Event.kind == "model_deployed")
                                .order_by(Event.id.desc())).first()
        assert event.actor == "petra" and event.data["version"] == 2
        # The running case stays on version 1.
        assert session.get(Case, world["case_id"]).deployment.version == 1
    again = post_json(client, "/models/recruitment/deploy", {
        **bundle(world, **{'name="Granska intresseanmälan"': 'name="Granska noga"'}), "note": "igen"})
    assert again.status_code == 200 and again.get_json()["created"] is False and versions(sessions) == [1, 2]


def test_deploy_carries_an_edited_form_in_the_bundle(world, client, sessions, clock):
    sign_in(client, "petra")
    form = json.loads(client.get("/models/forms/recruitment_screening.json").get_json()["text"])
    form["properties"]["screening_note"] = {"type": "string", "title": "Anteckning från granskningen"}
    body = bundle(world)
    body["files"]["forms/recruitment_screening.json"] = json.dumps(form, ensure_ascii=False, indent=2)
    response = post_json(client, "/models/recruitment/deploy", {**body, "note": "Nytt fält"})
    assert response.status_code == 201, response.get_json()
    with sessions() as session:
        deployment = session.scalars(select(Deployment).where(Deployment.version == 2,
                                                              Deployment.process_key == "recruitment")).one()
        assert "screening_note" in deployment.files["forms/recruitment_screening.json"]
    page = client.get("/models/recruitment").get_data(as_text=True)
    data = json.loads(re.search(r'id="modeler-data">(.*?)</script>', page, re.DOTALL).group(1))
    assert "forms/recruitment_screening.json" in data["files"]
    assert "recruitment_screening" not in data["store_forms"]  # the bundled one wins


def test_deploy_refuses_a_broken_form_in_the_bundle(world, client, sessions):
    sign_in(client, "petra")
    body = bundle(world)
    body["files"]["forms/recruitment_screening.json"] = '{"type": "object", "properties": '
    response = post_json(client, "/models/recruitment/deploy", body)
    assert response.status_code == 422
    assert any(e["file"] == "forms/recruitment_screening.json" for e in response.get_json()["errors"])
    assert versions(sessions) == [1]


@pytest.mark.parametrize("change, element", [
    ({GOOD_CONDITION: "age >=</bpmn:conditionExpression>"}, FLOW),
    ({'camunda:formKey="recruitment_screening"': 'camunda:formKey="no_such_form"'}, "User_screening"),
    ({'id="recruitment"': 'id="other"', 'processRef="recruitment"': 'processRef="other"'}, "other"),
])
def test_deploy_refuses_a_model_with_errors_and_keeps_the_running_version(change, element, world, client,
                                                                          sessions):
    sign_in(client, "petra")
    response = post_json(client, "/models/recruitment/deploy", {**bundle(world, **change), "note": "trasig"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["ok"] is False and body["message"] and element in [e["element_id"] for e in body["errors"]]
    assert versions(sessions) == [1] and versions(sessions, "other") == []


@pytest.mark.parametrize("xml, words", [
    ("<bpmn:definitions", "Felaktig XML"),
    ('<?xml version="1.0"?>\n<!DOCTYPE lol [<!ENTITY lol "lol">]>\n<x>&lol;</x>', "DOCTYPE"),
    ("", "Felaktig XML"),
])
def test_deploy_refuses_malformed_xml_and_doctype(xml, words, world, client, sessions):
    sign_in(client, "petra")
    response = post_json(client, "/models/recruitment/deploy",
                         {"files": {"recruitment.bpmn": xml}, "main_file": "recruitment.bpmn"})
    assert response.status_code == 422 and words in json.dumps(response.get_json(), ensure_ascii=False)
    assert versions(sessions) == [1]


@pytest.mark.parametrize("path", ["/models/recruitment/validate", "/models/recruitment/deploy"])
@pytest.mark.parametrize("raw, words", [
    ("{not json", "inte giltig JSON"), ("[1, 2]", "JSON-objekt"), ('{"files": "x"}', "files"),
    ('{"files": {"a.bpmn": 5}, "main_file": "a.bpmn"}', "text"),
    ('{"files": {"a.bpmn": "<x/>"}, "main_file": "b.bpmn"}', "main_file"),
    ('{"files": {"a.bpmn": "<x/>"}, "main_file": "a.bpmn", "note": 7}', "note"),
    (b"\xff\xfe", "inte giltig JSON"),
])
def test_malformed_requests_get_400_json_never_500(path, raw, words, world, client, sessions):
    sign_in(client, "petra")
    response = post_json(client, path, raw)
    assert response.status_code == 400 and words in response.get_json()["message"]
    assert versions(sessions) == [1]


def test_a_file_over_the_limit_is_refused_with_413_and_its_name(world, app, client, sessions):
    sign_in(client, "petra")
    app.config["KOMPIS_MODEL_MAX_BYTES"] = 100_000
    body = bundle(world, **{"</bpmn:definitions>": "<!--" + "x" * 100_000 + "--></bpmn:definitions>"})
    for path in ("/models/recruitment/validate", "/models/recruitment/deploy"):
        response = post_json(client, path, body)
        assert response.status_code == 413
        answer = response.get_json()
        assert "recruitment.bpmn" in answer["message"] and "för stor" in answer["message"]
        assert answer["errors"][0]["file"] == "recruitment.bpmn"
    assert versions(sessions) == [1]


def test_a_body_over_the_request_limit_is_refused_with_413_json(world, app, client, sessions):
    sign_in(client, "petra")
    app.config["KOMPIS_MODELER_MAX_BODY"] = 50_000
    response = post_json(client, "/models/recruitment/deploy", bundle(world))
    assert response.status_code == 413 and "för stor" in response.get_json()["message"]
    app.config["MAX_CONTENT_LENGTH"] = 60_000  # Flask's own limit answers the same way
    app.config["KOMPIS_MODELER_MAX_BODY"] = 10_000_000
    response = post_json(client, "/models/recruitment/deploy", bundle(world))
    assert response.status_code == 413 and "för stor" in response.get_json()["message"]
    assert versions(sessions) == [1]


def test_the_engine_limit_still_refuses_a_huge_file_when_the_web_limit_is_raised(world, app, client, sessions):
    sign_in(client, "petra")
    app.config["KOMPIS_MODEL_MAX_BYTES"] = 10_000_000
    body = bundle(world, **{"</bpmn:definitions>": "<!--" + "x" * (2 * 1024 * 1024) + "--></bpmn:definitions>"})
    response = post_json(client, "/models/recruitment/deploy", body)
    assert response.status_code == 422 and "större än gränsen" in json.dumps(response.get_json(),
                                                                             ensure_ascii=False)
    assert versions(sessions) == [1]


def test_validate_and_deploy_of_an_unknown_process_is_404_json(world, client):
    sign_in(client, "petra")
    response = post_json(client, "/models/nothing/deploy", bundle(world))
    assert response.status_code == 404 and response.get_json()["ok"] is False


# ------------------------------------------------------------------ form preview

def test_the_preview_renders_the_form_as_the_task_page_does(world, client):
    from web.task_forms import render_form

    sign_in(client, "petra")
    text = client.get("/models/forms/recruitment_screening.json").get_json()["text"]
    response = post_json(client, "/models/forms/preview", {"schema": text})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert str(render_form(json.loads(text), {}, {})) in html
    assert "Granska intresseanmälan" in html and 'class="task-form' in html


@pytest.mark.parametrize("text, words", [
    ('{"type": "object", "properties": {"a": {"type": "string"}', "inte giltig JSON"),
    ('{"type": "object",, }', "rad 1"),
    ("[1, 2]", "JSON-objekt"),
    ('{"type": "objekt"}', "inte ett giltigt JSON Schema"),
    ('{"properties": []}', "inte ett giltigt JSON Schema"),
])
def test_the_preview_explains_a_broken_form_in_swedish(text, words, world, client):
    sign_in(client, "petra")
    response = post_json(client, "/models/forms/preview", {"schema": text})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and words in html


def test_the_preview_needs_the_form_text(world, client):
    sign_in(client, "petra")
    assert post_json(client, "/models/forms/preview", {"nothing": 1}).status_code == 400
    assert post_json(client, "/models/forms/preview", "{broken").status_code == 400


def test_a_shared_form_is_offered_to_the_editor_and_an_unknown_one_is_404(world, client):
    sign_in(client, "petra")
    found = client.get("/models/forms/recruitment_screening.json")
    assert found.status_code == 200 and json.loads(found.get_json()["text"])["type"] == "object"
    missing = client.get("/models/forms/no_such_form.json")
    assert missing.status_code == 404 and "no_such_form" in missing.get_json()["message"]
    assert client.get("/models/forms/..%2Fsecret.json").status_code == 404


# ------------------------------------------------------------------ migration

def _deploy_v2(world, sessions, clock, forms, **change):
    with sessions.begin() as session:
        deploy(session, bundle(world, **change)["files"], world["main"], user="petra", clock=clock, forms=forms)


def test_migration_dry_run_then_batches_then_rollback(world, app, client, sessions, clock, forms):
    with sessions.begin() as session:
        for n in range(2):
            engine.correlate_message(session, "interest_registration", f"web-x{n}",
                                     interest_registration("Bo", f"Ek{n}"), user="e-tjanst", clock=clock)
    _deploy_v2(world, sessions, clock, forms, **{'name="Granska intresseanmälan"': 'name="Granska noga"'})
    app.config["KOMPIS_MIGRATION_BATCH"] = 2
    sign_in(client, "petra")
    page = client.get("/models/recruitment/migrate?from=1&to=2").get_data(as_text=True)
    assert page.count('class="movable"') == 3 and "Flytta 3 ärenden" in page
    with sessions() as session:  # the dry run moved nothing
        assert session.scalar(select(func.count()).select_from(Case).join(Deployment)
                              .where(Deployment.version == 1)) == 3

    started = client.post("/models/recruitment/migrations",
                          data={"from": "1", "to": "2", "csrf_token": csrf_token(client, "/models")})
    assert started.status_code == 302
    run_id = int(re.search(r"run=(\d+)", started.headers["Location"]).group(1))
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert f"/models/recruitment/migrations/{run_id}/step" in page and "<progress" in page
    steps = []
    for _ in range(5):
        progress = post_json(client, f"/models/recruitment/migrations/{run_id}/step", {}).get_json()
        steps.append(progress)
        if progress["status"] == "finished":
            break
    assert [s["done"] for s in steps] == [2, 3]
    assert steps[-1] | {"status": "finished", "total": 3, "migrated": 3, "failed": 0} == steps[-1]
    with sessions() as session:
        case = session.get(Case, world["case_id"])
        assert case.deployment.version == 2
        assert session.scalars(select(OpenTask.title).where(OpenTask.case_id == case.id)).one() == "Granska noga"
    # Another step after the end says so, and changes nothing.
    again = post_json(client, f"/models/recruitment/migrations/{run_id}/step", {})
    assert again.status_code == 200 and again.get_json()["status"] == "finished"

    runs = client.get("/models/recruitment/migrate?from=1&to=2").get_data(as_text=True)
    assert f'data-run="{run_id}" data-status="finished"' in runs and "Återställ" in runs
    back = client.post(f"/models/recruitment/migrations/{run_id}/rollback",
                       data={"csrf_token": csrf_token(client, "/models")})
    assert back.status_code == 302
    assert "3 ärenden tillbaka" in client.get(back.headers["Location"]).get_data(as_text=True)
    with sessions() as session:
        assert session.get(Case, world["case_id"]).deployment.version == 1
        kinds = session.scalars(select(Event.kind).where(Event.kind.like("migration%"))).all()
        assert {"migration_started", "migration_finished", "migration_rolled_back"} <= set(kinds)
    twice = post_json(client, f"/models/recruitment/migrations/{run_id}/rollback", {})
    assert twice.status_code == 409 and twice.get_json()["message"]


def test_migration_dry_run_lists_why_a_case_cannot_move(world, client, sessions, clock, forms):
    # In version 2 the screening is done by a script: a case waiting for a person there cannot move.
    _deploy_v2(world, sessions, clock, forms, **{
        '<bpmn:userTask id="User_screening" name="Granska intresseanmälan" camunda:formKey="recruitment_screening" '
        'camunda:candidateGroups="handlaggare" camunda:dueDate="P7D">':
        '<bpmn:scriptTask id="User_screening" name="Granska intresseanmälan">',
        '<bpmn:outgoing>Flow_User_screening_Gw_screening</bpmn:outgoing>\n    </bpmn:userTask>':
        '<bpmn:outgoing>Flow_User_screening_Gw_screening</bpmn:outgoing>\n'
        '      <bpmn:script>screening_decision = "proceed"</bpmn:script>\n    </bpmn:scriptTask>'})
    sign_in(client, "petra")
    page = client.get("/models/recruitment/migrate?from=1&to=2").get_data(as_text=True)
    row = re.search(rf'<tr data-case="{world["case_id"]}" class="blocked">(.*?)</tr>', page, re.DOTALL).group(1)
    assert "User_screening" in row and "nej" in row and "<li>" in row
    assert "Flytta" not in page.split("Tidigare flyttar")[0].split("Provkörning")[1]  # no start button
    refused = post_json(client, "/models/recruitment/migrations", {"from": 1, "to": 2})
    assert refused.status_code == 409 and "kan flyttas" in refused.get_json()["message"]


def test_migration_only_goes_to_a_later_version(world, client, sessions, clock, forms):
    _deploy_v2(world, sessions, clock, forms, **{'name="Granska intresseanmälan"': 'name="Granska noga"'})
    sign_in(client, "petra")
    page = client.get("/models/recruitment/migrate?from=2&to=1").get_data(as_text=True)
    assert "senare version" in page
    assert client.get("/models/recruitment/migrate?from=1&to=9").status_code == 404
    assert post_json(client, "/models/recruitment/migrations", {"from": "x"}).status_code == 400
    assert post_json(client, "/models/recruitment/migrations/999/step", {}).status_code == 404
    assert post_json(client, "/models/agreement/migrations/999/rollback", {}).status_code == 404


def test_the_pages_speak_english_when_chosen(world, client):
    sign_in(client, "petra")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/models")})
    assert "Processes" in client.get("/models").get_data(as_text=True)
    editor = client.get("/models/recruitment").get_data(as_text=True)
    assert "Validate" in editor and "Deploy" in editor and "Upload .bpmn" in editor and '"locale": "en"' in editor
    assert "Where the cases wait now" in client.get("/models/recruitment/versions/1").get_data(as_text=True)
    body = post_json(client, "/models/recruitment/validate", "{broken").get_json()
    assert body["message"] == "The request is not valid JSON."
