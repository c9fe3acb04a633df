"""Swedish by default; English when chosen."""
from __future__ import annotations

from tests.web.conftest import csrf_token


def test_swedish_by_default_and_english_on_request(login):
    client = login()
    assert "Min grupp" in client.get("/").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/")})
    page = client.get("/").get_data(as_text=True)
    assert "My group" in page and "Min grupp" not in page and '<html lang="en">' in page
    client.post("/lang/sv", data={"csrf_token": csrf_token(client, "/")})
    assert "Min grupp" in client.get("/").get_data(as_text=True)
