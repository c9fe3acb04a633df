"""POST /api/v1/clock/advance: simulated clock only, admins only, one error body everywhere."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine.clock_store import StoredClock
from engine.users import create_token
from web import create_app
from web import database as web_database


def token_for(sessions, clock, make_user, role="admin"):
    username, _ = make_user(f"{role}1", role=role, groups=())
    with sessions.begin() as session:
        return create_token(session, username, clock=clock)


@pytest.fixture
def simulated_client(db_url, db_engine, sessions):
    stored = StoredClock(db_engine)
    stored.set(datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc))
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "t", "TESTING": True, "KOMPIS_CLOCK_OBJECT": stored})
    yield app.test_client(), stored
    web_database.dispose_all()
    stored.dispose()


def test_advance_moves_the_simulated_clock(simulated_client, sessions, make_user):
    client, stored = simulated_client
    token = token_for(sessions, stored, make_user)
    response = client.post("/api/v1/clock/advance", json={"duration": "P3M"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["now"] == "2026-04-05T09:00:00+02:00"
    assert stored.now() == datetime(2026, 4, 5, 7, 0, tzinfo=timezone.utc)


def test_a_bad_duration_answers_422_with_the_field(simulated_client, sessions, make_user):
    client, stored = simulated_client
    token = token_for(sessions, stored, make_user)
    response = client.post("/api/v1/clock/advance", json={"duration": "tre månader"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid_data" and "ISO 8601" in body["errors"]["duration"][0]


def test_missing_duration_is_a_field_error(simulated_client, sessions, make_user):
    client, stored = simulated_client
    token = token_for(sessions, stored, make_user)
    response = client.post("/api/v1/clock/advance", json={}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and "duration" in response.get_json()["errors"]


def test_the_real_clock_refuses_with_409(client, sessions, clock, make_user, app):
    app.extensions["kompis"]["clock"] = __import__("engine").SystemClock()
    token = token_for(sessions, clock, make_user)
    response = client.post("/api/v1/clock/advance", json={"duration": "P1D"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409 and response.get_json()["code"] == "conflict"


def test_no_token_is_401_and_caseworkers_get_403(simulated_client, sessions, make_user):
    client, stored = simulated_client
    response = client.post("/api/v1/clock/advance", json={"duration": "P1D"})
    assert response.status_code == 401 and set(response.get_json()) == {"code", "message", "errors"}
    token = token_for(sessions, stored, make_user, role="caseworker")
    response = client.post("/api/v1/clock/advance", json={"duration": "P1D"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_openapi_document_is_served(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["info"]["title"] == "Kompis API" and "/api/v1/clock/advance" in spec["paths"]
