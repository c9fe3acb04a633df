"""Versions, comparison and moving cases over the API, as a process owner's script would: dry run,
start, step until finished, roll back. Only process owners and admins may."""
from __future__ import annotations

from tests.engine.test_model_migration import chain

XML = {"Content-Type": "application/xml"}


def deploy(owner, text: str) -> int:
    answer = owner("POST", "/api/v1/process-models/steps/versions", data=text.encode(), headers=XML)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["version"]


def test_process_owner_moves_cases_and_rolls_them_back(api):
    owner, anna = api("process_owner", ()), api()
    deploy(owner, chain("A", "B"))
    at_a = anna("POST", "/api/v1/cases", json={"process_key": "steps"}).get_json()["id"]
    at_b = anna("POST", "/api/v1/cases", json={"process_key": "steps"}).get_json()["id"]
    task = next(t for t in anna("GET", "/api/v1/tasks?scope=group").get_json()["items"] if t["case_id"] == at_b)
    assert anna("POST", f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    deploy(owner, chain("A", "New"))

    version = owner("GET", "/api/v1/process-models/steps/versions/1").get_json()
    assert version["waiting"] == {"A": 1, "B": 1} and version["files"] == ["steps.bpmn"]
    assert version["running_cases"] == 2
    compared = owner("GET", "/api/v1/process-models/steps/compare?from=1&to=2").get_json()
    assert (compared["added"], compared["removed"], compared["changed"]) == (["New"], ["B"], ["F1", "FEnd"])
    assert 'id="New"' in compared["xml_diff"]

    dry = owner("POST", "/api/v1/process-models/steps/migrations", json={"from": 1, "to": 2, "dry_run": True})
    assert dry.status_code == 200
    checks = {c["case_id"]: c for c in dry.get_json()["cases"]}
    assert checks[at_a]["movable"] and not checks[at_b]["movable"] and dry.get_json()["movable"] == 1
    assert checks[at_b]["reasons"] == [
        "Väntar i 'Steg B' (B), som inte finns i version 2 (på samma plats står nu 'Nytt steg' (New))."]

    started = owner("POST", "/api/v1/process-models/steps/migrations", json={"from": 1, "to": 2, "note": "B bort"})
    assert started.status_code == 201
    run = started.get_json()
    assert (run["status"], run["total"], run["done"], run["from_version"], run["to_version"]) == (
        "running", 1, 0, 1, 2)
    stepped = owner("POST", f"/api/v1/process-models/steps/migrations/{run['id']}/step?limit=10").get_json()
    assert (stepped["status"], stepped["migrated"]) == ("finished", 1)
    assert anna("GET", f"/api/v1/cases/{at_a}").get_json()["version"] == 2
    assert owner("POST", f"/api/v1/process-models/steps/migrations/{run['id']}/step").status_code == 409

    listed = owner("GET", "/api/v1/process-models/steps/migrations").get_json()
    assert [r["id"] for r in listed["items"]] == [run["id"]] and listed["total"] == 1
    back = owner("POST", f"/api/v1/process-models/steps/migrations/{run['id']}/rollback").get_json()
    assert (back["status"], back["rolled_back"]) == ("rolled_back", 1)
    assert anna("GET", f"/api/v1/cases/{at_a}").get_json()["version"] == 1


def test_bad_migration_requests_get_clear_answers(api):
    owner, anna = api("process_owner", ()), api()
    deploy(owner, chain("A"))
    anna("POST", "/api/v1/cases", json={"process_key": "steps"})
    deploy(owner, chain("B"))
    base = "/api/v1/process-models/steps"
    assert owner("GET", f"{base}/versions/9").status_code == 404
    assert owner("GET", f"{base}/compare?from=1").status_code == 422
    backwards = owner("POST", f"{base}/migrations", json={"from": 2, "to": 1})
    assert backwards.status_code == 422 and backwards.get_json()["errors"] == {"to": ["Välj en version efter 2."]}
    nobody = owner("POST", f"{base}/migrations", json={"from": 1, "to": 2})
    assert nobody.status_code == 409 and "Inget ärende" in nobody.get_json()["message"]
    assert owner("POST", f"{base}/migrations/12345/step").status_code == 404
    assert owner("POST", f"{base}/migrations", json={"from": "x", "to": 2}).status_code == 422
    # Caseworkers and managers design no processes.
    assert anna("GET", f"{base}/versions/1").status_code == 403
    assert api("unit_manager")("POST", f"{base}/migrations", json={"from": 1, "to": 2}).status_code == 403
