"""Signing in, lock-out, CSRF and the security headers every page carries."""
from __future__ import annotations

from tests.web.conftest import csrf_token


def test_pages_need_a_signed_in_user(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_wrong_password_is_refused_in_swedish(client, make_user):
    make_user("anna")
    response = client.post("/login", data={"username": "anna", "password": "fel",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert "Fel användarnamn eller lösenord." in response.get_data(as_text=True)


def test_five_failures_lock_the_account_with_a_clear_message(client, make_user):
    make_user("anna")
    for _ in range(5):
        client.post("/login", data={"username": "anna", "password": "fel", "csrf_token": csrf_token(client)})
    response = client.post("/login", data={"username": "anna", "password": "rätt-lösenord-1",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert "Kontot är låst" in response.get_data(as_text=True)


def test_sign_in_leads_to_the_inbox_and_sign_out_ends_the_session(login):
    client = login()
    page = client.get("/")
    assert page.status_code == 200 and "Inkorg" in page.get_data(as_text=True)
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_forms_without_a_csrf_token_are_refused(client, make_user):
    make_user("anna")
    response = client.post("/login", data={"username": "anna", "password": "rätt-lösenord-1"})
    assert response.status_code == 400
    assert "Formuläret har gått ut" in response.get_data(as_text=True)


def test_open_redirects_after_login_are_not_followed(client, make_user):
    name, password = make_user("anna")
    response = client.post("/login?next=https://evil.example/", data={
        "username": name, "password": password, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_security_headers_and_no_store(login):
    client = login()
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_attempts_are_rate_limited(client, make_user):
    make_user("anna")
    statuses = [client.post("/login", data={"username": "anna", "password": "fel",
                                            "csrf_token": csrf_token(client)}).status_code for _ in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[-1] == 429
    assert "Vänta en minut" in client.post("/login", data={"username": "anna", "password": "fel",
                                                            "csrf_token": csrf_token(client)}).get_data(as_text=True)


def test_oversized_requests_are_refused(client):
    response = client.post("/login", data={"username": "x" * (5 * 1024 * 1024)})
    assert response.status_code == 413
