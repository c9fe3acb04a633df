"""A web app on the test database, a client, and signed-in users of each role."""
from __future__ import annotations

import itertools
import re

import pytest

from engine.users import create_token, create_user
from web import create_app
from web import database as web_database


@pytest.fixture
def app(db_url, sessions, clock):
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "KOMPIS_CLOCK_OBJECT": clock})
    yield app
    web_database.dispose_all()


_addresses = itertools.count(1)


@pytest.fixture
def client(app):
    """A test client with a loopback address of its own, so rate-limit counters never carry over."""
    client = app.test_client()
    n = next(_addresses)
    client.environ_base["REMOTE_ADDR"] = f"127.1.{n // 250}.{n % 250 + 1}"
    return client


def csrf_token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def make_user(sessions, clock):
    def _make(username, role="caseworker", groups=("handlaggare",), password="rätt-lösenord-1"):
        with sessions.begin() as session:
            create_user(session, username, role=role, groups=list(groups), password=password, clock=clock)
        return username, password
    return _make


@pytest.fixture
def login(client, make_user):
    def _login(username="anna", role="caseworker", groups=("handlaggare",)):
        name, password = make_user(username, role, groups)
        response = client.post("/login", data={"username": name, "password": password,
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return _login


@pytest.fixture
def api(client, sessions, clock):
    """`api(role, groups)` -> a function calling the API as a new user with that role."""
    made = {}

    def as_user(role="caseworker", groups=("handlaggare",)):
        name = f"{role}{len(made)}"
        with sessions.begin() as session:
            create_user(session, name, role=role, groups=list(groups), clock=clock)
            token = create_token(session, name, clock=clock)
        made[name] = token

        def call(method, path, **kwargs):
            headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
            return client.open(path, method=method, headers=headers, **kwargs)
        return call
    return as_user
