"""The REST API, driven the way a municipal system would: tokens, JSON in, the contract's shapes out."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.models import Case
from engine.users import create_token, create_user
from tests.bpmn_text import script_process
from tests.conftest import FIXTURES


def test_case_and_task_round_trip_with_the_contract_shapes(api, deploy_fixture):
    deploy_fixture("approval")
    anna = api()
    started = anna("POST", "/api/v1/cases", json={"process_key": "approval", "data": {"applicant_id": "A9"}})
    assert started.status_code == 201
    case = started.get_json()
    assert set(case) == {"id", "process_key", "version", "status"} and case["status"] == "running"

    listing = anna("GET", "/api/v1/tasks?scope=group").get_json()
    assert set(listing) == {"items", "total", "page", "per_page"} and listing["total"] == 1
    task = listing["items"][0]
    assert {"id", "case_id", "name", "title", "group", "assignee", "due_at", "form_key"} <= set(task)
    assert (task["name"], task["group"], task["form_key"]) == ("Task_review", "handlaggare", "review")

    detail = anna("GET", f"/api/v1/tasks/{task['id']}").get_json()
    assert detail["form"]["properties"]["points"]["title"] == "Poäng" and detail["data"]["applicant_id"] == "A9"

    bad = anna("POST", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"points": 50}})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {"approved": ["Fältet måste fyllas i."], "points": ["Värdet får vara högst 10."]}
    done = anna("POST", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True, "points": 7}})
    assert done.status_code == 200 and done.get_json()["status"] == "running"
    again = anna("POST", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True, "points": 7}})
    assert again.status_code == 409 and again.get_json()["code"] == "task_not_open"

    delivered = anna("POST", "/api/v1/messages", json={"name": "register_answer", "correlation_key": "A9",
                                                        "payload": {"ok": True}})
    assert delivered.status_code == 202 and delivered.get_json() == {"cases": [case["id"]]}
    missing = anna("POST", "/api/v1/messages", json={"name": "register_answer", "correlation_key": "nobody"})
    assert missing.status_code == 404 and set(missing.get_json()) == {"code", "message", "errors"}

    shown = anna("GET", f"/api/v1/cases/{case['id']}").get_json()
    assert [e["kind"] for e in shown["history"]][:3] == ["case_started", "task_claimed", "task_completed"]
    assert shown["data"]["register_answer"] == {"ok": True}


def test_other_groups_get_403_and_unknown_ids_404(api, deploy_fixture):
    deploy_fixture("approval")
    anna, olle = api(), api(groups=("annan",))
    case = anna("POST", "/api/v1/cases", json={"process_key": "approval", "data": {"applicant_id": "A1"}}).get_json()
    task = anna("GET", "/api/v1/tasks").get_json()["items"][0]
    assert olle("GET", f"/api/v1/tasks/{task['id']}").status_code == 403
    assert olle("GET", f"/api/v1/cases/{case['id']}").status_code == 403
    assert olle("GET", "/api/v1/tasks?scope=group").get_json()["total"] == 0
    assert anna("GET", "/api/v1/cases/999999").status_code == 404
    assert anna("POST", "/api/v1/cases", json={"process_key": "nosuch"}).status_code == 404
    assert anna("POST", "/api/v1/cases", json={"data": {}}).get_json()["errors"] == {
        "process_key": ["Missing data for required field."]}


def test_deploy_through_the_api_lists_element_errors(api):
    owner, caseworker = api("process_owner", ()), api()
    good = script_process("x = 1").encode()
    created = owner("POST", "/api/v1/process-models/scripted/versions", data=good,
                    headers={"Content-Type": "application/xml"})
    assert created.status_code == 201 and created.get_json()["version"] == 1
    broken = script_process("import os").replace(' camunda:formKey="note"', "").encode()
    refused = owner("POST", "/api/v1/process-models/scripted/versions", data=broken,
                    headers={"Content-Type": "application/xml"})
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert {e["element_id"] for e in errors} == {"Script", "Check"} and all(e["line"] for e in errors)
    xxe = (FIXTURES / "bpmn" / "approval.bpmn").read_text().replace(
        '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    assert owner("POST", "/api/v1/process-models/approval/versions", data=xxe.encode()).status_code == 422
    assert caseworker("POST", "/api/v1/process-models/scripted/versions", data=good).status_code == 403
    versions = owner("GET", "/api/v1/process-models/scripted/versions").get_json()
    assert [v["version"] for v in versions["items"]] == [1]


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer nonsense", "Basic dXNlcjpwdw=="])
def test_bad_tokens_get_401(client, header):
    response = client.get("/api/v1/tasks", headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.get_json()["code"] == "unauthorized"


def test_revoked_and_expired_tokens_get_401(client, sessions, clock):
    from datetime import timedelta

    from engine.users import revoke_token

    with sessions.begin() as session:
        create_user(session, "anna", role="caseworker", groups=["handlaggare"], clock=clock)
        revoked = create_token(session, "anna", clock=clock)
        expiring = create_token(session, "anna", clock=clock, expires=timedelta(hours=1))
        revoke_token(session, revoked[:12], clock=clock)
    start = {"process_key": "approval", "data": {}}
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
    # A request that writes checks its token where its command runs (PostgreSQL: the same session).
    assert client.post("/api/v1/cases", json=start, headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {expiring}"}).status_code == 200
    clock.advance(timedelta(hours=2))
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {expiring}"}).status_code == 401
    assert client.post("/api/v1/cases", json=start, headers={"Authorization": f"Bearer {expiring}"}).status_code == 401
    with sessions() as session:
        assert session.scalars(select(Case)).all() == []
