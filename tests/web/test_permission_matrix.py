"""Who may do what through the API: every route × every caller → the expected status, and the
applicant's personal data only in answers to those who may see the case (engine/access.py: managers
and admins see all; caseworkers the tasks of their groups or assigned to them, and cases with such a
task or that they worked on). Then tokens: whose they are, deactivated users, malformed headers."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.models import Event, OpenTask, User
from tests.conftest import FIXTURES
from tests.web.api_world import CALLERS, build_world, leaked

APPROVAL_XML = (FIXTURES / "bpmn" / "approval.bpmn").read_bytes()
XML = {"Content-Type": "application/xml"}
REVIEW = {"data": {"approved": True, "points": 7}}

# name: (method, path, request keywords, statuses for CALLERS =
#        own_group, other_group, unit_manager, process_owner, admin, no_token)
# The case {case} is at its review task in lane "handlaggare" (own_group's group), unclaimed; the
# case waiting for register_answer/{waiting_key} has no open task and was reviewed by someone else.
MATRIX = {
    "list process models": ("GET", "/api/v1/process-models", {}, (200, 200, 200, 200, 200, 401)),
    "list versions": ("GET", "/api/v1/process-models/approval/versions", {}, (200, 200, 200, 200, 200, 401)),
    "deploy a version": ("POST", "/api/v1/process-models/approval/versions",
                         {"data": APPROVAL_XML, "headers": XML}, (403, 403, 403, 201, 201, 401)),
    # Versions and moving cases are the process owners' (the world has only version 1 and no run: the
    # owners' answers are the engine's refusals; tests/web/test_api_migrations.py runs the whole flow).
    "show a version": ("GET", "/api/v1/process-models/approval/versions/1", {}, (403, 403, 403, 200, 200, 401)),
    "compare versions": ("GET", "/api/v1/process-models/approval/compare?from=1&to=1", {},
                         (403, 403, 403, 200, 200, 401)),
    "list migrations": ("GET", "/api/v1/process-models/approval/migrations", {}, (403, 403, 403, 200, 200, 401)),
    "start a migration": ("POST", "/api/v1/process-models/approval/migrations",
                          {"json": {"from": 1, "to": 1, "dry_run": True}}, (403, 403, 403, 422, 422, 401)),
    "step a migration": ("POST", "/api/v1/process-models/approval/migrations/1/step", {},
                         (403, 403, 403, 404, 404, 401)),
    "roll back a migration": ("POST", "/api/v1/process-models/approval/migrations/1/rollback", {},
                              (403, 403, 403, 404, 404, 401)),
    "start a case": ("POST", "/api/v1/cases",
                     {"json": {"process_key": "approval", "data": {"applicant_id": "N"}}},
                     (201, 201, 201, 403, 201, 401)),
    "show the case": ("GET", "/api/v1/cases/{case}", {}, (200, 403, 200, 403, 200, 401)),
    "cancel the case": ("POST", "/api/v1/cases/{case}/cancel", {"json": {"reason": "test"}},
                        (403, 403, 200, 403, 200, 401)),
    # Only managers (and intake, who reviewed it) may see the waiting case: to the other callers it is
    # as if nothing waited, and nothing is delivered.
    "deliver a message": ("POST", "/api/v1/messages", {"json": {"name": "register_answer",
                                                                "correlation_key": "{waiting_key}"}},
                          (404, 404, 202, 403, 202, 401)),
    "list tasks": ("GET", "/api/v1/tasks?scope=all", {}, (200, 200, 200, 200, 200, 401)),
    "search tasks by personnummer": ("GET", "/api/v1/tasks?scope=all&q=196408233234", {},
                                     (200, 200, 200, 200, 200, 401)),
    "show the task": ("GET", "/api/v1/tasks/{task}", {}, (200, 403, 200, 403, 200, 401)),
    "claim the task": ("POST", "/api/v1/tasks/{task}/claim", {}, (200, 403, 200, 403, 200, 401)),
    "unclaim the task": ("POST", "/api/v1/tasks/{task}/unclaim", {}, (200, 403, 200, 403, 200, 401)),
    "assign the task": ("POST", "/api/v1/tasks/{task}/assign", {"json": {"user": "intake"}},
                        (403, 403, 200, 403, 200, 401)),
    "complete the task": ("POST", "/api/v1/tasks/{task}/complete", {"json": REVIEW},
                          (200, 403, 200, 403, 200, 401)),
    # The registry is the unit's shared pool (no group owns a volunteer or client); process owners
    # design processes and have no need to see people.
    "list volunteers": ("GET", "/api/v1/volunteers", {}, (200, 200, 200, 403, 200, 401)),
    "list clients": ("GET", "/api/v1/clients", {}, (200, 200, 200, 403, 200, 401)),
    "list assignments": ("GET", "/api/v1/assignments", {}, (200, 200, 200, 403, 200, 401)),
    "read the clock": ("GET", "/api/v1/clock", {}, (200, 200, 200, 200, 200, 401)),
    "advance the clock": ("POST", "/api/v1/clock/advance", {"json": {"duration": "P1D"}},
                          (403, 403, 403, 403, 200, 401)),
}
# Answers that carry the applicant's name and personnummer (the case's and the task's data).
SEE_THE_APPLICANT = {(route, caller) for route in ("show the case", "show the task")
                     for caller in ("own_group", "unit_manager", "admin")}
# What each caller finds in the task list, filtered or searched: the open review task or nothing.
VISIBLE_TASKS = {"own_group": 1, "other_group": 0, "unit_manager": 1, "process_owner": 0, "admin": 1}


@pytest.fixture
def world(sessions, clock, deploy_fixture, monkeypatch):
    return build_world(sessions, clock, deploy_fixture, monkeypatch)


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def test_the_matrix_covers_every_api_operation(app):
    documented = {(method.upper(), path) for path, operations in
                  app.test_client().get("/api/v1/openapi.json").get_json()["paths"].items()
                  for method in operations if method != "parameters"}
    covered = {(method, path.split("?")[0].replace("{case}", "{case_id}").replace("{task}", "{task_id}")
                .replace("/approval/", "/{key}/").replace("/versions/1", "/versions/{version}")
                .replace("/migrations/1/", "/migrations/{run_id}/")) for method, path, _, _ in MATRIX.values()}
    assert covered == documented


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", MATRIX)
def test_each_caller_gets_the_status_need_to_know_allows(route, caller, world, client):
    method, path, kwargs, statuses = MATRIX[route]
    kwargs = {key: value if key in ("data", "headers") else _fill(value, world.ids)
              for key, value in kwargs.items()}
    headers = {**world.headers(caller), **kwargs.pop("headers", {})}
    response = client.open(path.format(**world.ids), method=method, headers=headers, **kwargs)
    expected = dict(zip(CALLERS, statuses, strict=True))[caller]
    text = response.get_data(as_text=True)
    assert response.status_code == expected, text
    if expected >= 400:
        assert set(response.get_json()) == {"code", "message", "errors"}
    if (route, caller) in SEE_THE_APPLICANT:
        assert leaked(text), "the check for personal data would not notice it"
    else:
        assert leaked(text) == [], f"{route} shows {caller} the applicant"
    if route in ("list tasks", "search tasks by personnummer") and caller != "no_token":
        assert response.get_json()["total"] == VISIBLE_TASKS[caller]


@pytest.mark.parametrize("caller", ["other_group", "process_owner"])
def test_a_refused_read_writes_nothing_and_logs_no_view(caller, world, client, sessions):
    with sessions() as session:
        before = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    for path in (f"/api/v1/cases/{world.case_id}", f"/api/v1/tasks/{world.task_id}"):
        assert client.get(path, headers=world.headers(caller)).status_code == 403
    for action in ("claim", "complete"):
        client.post(f"/api/v1/tasks/{world.task_id}/{action}", json=REVIEW, headers=world.headers(caller))
    with sessions() as session:
        assert session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) == before
        assert session.get(OpenTask, world.task_id).assignee is None


def test_a_completed_task_of_another_group_does_not_say_who_completed_it(world, client):
    done = client.post(f"/api/v1/tasks/{world.task_id}/complete", json=REVIEW,
                       headers=world.headers("own_group"))
    assert done.status_code == 200
    again = client.get(f"/api/v1/tasks/{world.task_id}", headers=world.headers("own_group"))
    assert again.status_code == 409 and "own-group" in again.get_json()["message"]
    other = client.get(f"/api/v1/tasks/{world.task_id}", headers=world.headers("other_group"))
    assert other.status_code == 403 and "own-group" not in other.get_data(as_text=True)


def test_a_message_for_a_case_the_caller_may_not_see_changes_nothing(world, client, sessions):
    body = {"name": "register_answer", "correlation_key": world.WAITING_KEY, "payload": {"ok": True}}
    refused = client.post("/api/v1/messages", json=body, headers=world.headers("own_group"))
    nothing = client.post("/api/v1/messages", json={**body, "correlation_key": "nobody"},
                          headers=world.headers("own_group"))
    assert refused.status_code == nothing.status_code == 404
    assert refused.get_json() == nothing.get_json()  # not even that a case waits is told
    with sessions() as session:
        kinds = session.scalars(select(Event.kind).where(Event.case_id == world.waiting_case_id)).all()
    assert "message_received" not in kinds and "case_viewed" not in kinds
    delivered = client.post("/api/v1/messages", json=body, headers=world.headers("intake"))
    assert delivered.status_code == 202 and delivered.get_json() == {"cases": [world.waiting_case_id]}


def test_a_task_is_assigned_only_to_an_active_user(world, client, sessions):
    manager = world.headers("unit_manager")
    unknown = client.post(f"/api/v1/tasks/{world.task_id}/assign", json={"user": "nobody"}, headers=manager)
    assert unknown.status_code == 422 and set(unknown.get_json()["errors"]) == {"user"}
    with sessions.begin() as session:
        session.scalars(select(User).where(User.username == "intake")).one().active = False
    inactive = client.post(f"/api/v1/tasks/{world.task_id}/assign", json={"user": "intake"}, headers=manager)
    assert inactive.status_code == 422
    with sessions() as session:
        assert session.get(OpenTask, world.task_id).assignee is None
    given = client.post(f"/api/v1/tasks/{world.task_id}/assign", json={"user": "own-group"}, headers=manager)
    assert given.status_code == 200 and given.get_json()["assignee"] == "own-group"
    back = client.post(f"/api/v1/tasks/{world.task_id}/assign", json={"user": None}, headers=manager)
    assert back.status_code == 200 and back.get_json()["assignee"] is None


def test_a_task_assigned_across_groups_opens_its_task_and_case_to_the_assignee(world, client):
    other = world.headers("other_group")
    client.post(f"/api/v1/tasks/{world.task_id}/assign", json={"user": "other-group"},
                headers=world.headers("unit_manager"))
    assert client.get(f"/api/v1/tasks/{world.task_id}", headers=other).status_code == 200
    assert client.get(f"/api/v1/cases/{world.case_id}", headers=other).status_code == 200


# --- Tokens -------------------------------------------------------------------------------------

def test_a_token_acts_as_its_owner_whatever_else_the_request_claims(world, client, sessions):
    spoofed = {**world.headers("own_group"), "X-Remote-User": "admin", "X-Forwarded-User": "unit-manager"}
    claimed = client.post(f"/api/v1/tasks/{world.task_id}/claim", headers=spoofed)
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "own-group"
    # Someone else's token is that someone: other-group may not touch the task own-group holds.
    taken = client.post(f"/api/v1/tasks/{world.task_id}/claim", headers=world.headers("other_group"))
    assert taken.status_code == 403
    with sessions() as session:
        actors = session.scalars(select(Event.actor).where(Event.task_id == world.task_id,
                                                           Event.kind == "task_claimed")).all()
    assert actors == ["own-group"]
    assert client.post(f"/api/v1/cases/{world.case_id}/cancel", json={}, headers=spoofed).status_code == 403


def test_a_deactivated_users_token_is_refused(world, client, sessions):
    headers = world.headers("own_group")
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200

    def set_active(active):
        with sessions.begin() as session:
            session.scalars(select(User).where(User.username == "own-group")).one().active = active

    set_active(False)
    refused = client.get("/api/v1/tasks", headers=headers)
    assert refused.status_code == 401 and refused.get_json()["code"] == "unauthorized"
    assert client.post(f"/api/v1/tasks/{world.task_id}/claim", headers=headers).status_code == 401
    set_active(True)
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200


MALFORMED = {
    "scheme only": "Bearer ",
    "two spaces then nothing": "Bearer  ",
    "tab instead of space": "Bearer\t{token}",
    "no scheme": "{token}",
    "another scheme": "Token {token}",
    "basic": "Basic {token}",
    "token and more": "Bearer {token} extra",
    "token prefix only": "Bearer {prefix}",
    "token with a NUL": "Bearer {token}\x00",
    "NUL only": "Bearer \x00",
    "latin-1 letters": "Bearer åäö",
    "very long": "Bearer " + "k" * 20_000,
    "json": 'Bearer {{"user": "admin"}}',
    "sql": "Bearer ' OR '1'='1",
    "double bearer": "Bearer Bearer {token}",
}


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_authorization_header_gets_401_never_500(name, world, client):
    token = world.tokens["admin"]
    header = MALFORMED[name].format(token=token, prefix=token[:12])
    for method, path in (("GET", "/api/v1/tasks"), ("POST", "/api/v1/cases")):
        response = client.open(path, method=method, headers={"Authorization": header}, json={})
        assert response.status_code == 401, (header[:40], response.get_data(as_text=True))
        body = response.get_json()
        assert set(body) == {"code", "message", "errors"}
        assert (body["code"], body["errors"]) == ("unauthorized", {})


def test_the_scheme_is_case_insensitive_and_surrounding_spaces_do_not_matter(world, client):
    token = world.tokens["own_group"]
    for header in (f"bearer {token}", f"BEARER {token}", f"Bearer   {token}  "):
        assert client.get("/api/v1/tasks", headers={"Authorization": header}).status_code == 200
