"""The outbox page: managers see every queued reminder and can send a failed one again."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import Notification
from engine.notify import queue_notification
from tests.web.conftest import csrf_token


def test_caseworkers_cannot_open_the_outbox(login):
    client = login("anna", "caseworker")
    assert client.get("/outbox").status_code == 403


def test_manager_sees_reminders_and_requeues_a_failed_one(login, sessions, clock):
    with sessions.begin() as session:
        queue_notification(session, clock, recipient="sara@example.se", subject="Påminnelse om samtycke",
                           body="Vi väntar på ditt samtycke.")
        queue_notification(session, clock, recipient="ali@example.se", subject="Månadsrapport saknas",
                           body="Skicka din rapport.")
        failed = session.scalars(select(Notification).where(Notification.subject == "Månadsrapport saknas")).one()
        failed.status, failed.attempts, failed.last_error = "failed", 6, "ConnectionRefusedError"
        session.flush()
        failed_id = failed.id
    client = login("chef", "unit_manager", groups=())
    page = client.get("/outbox").get_data(as_text=True)
    assert "Påminnelse om samtycke" in page and "Misslyckades" in page and "ConnectionRefusedError" in page
    response = client.post(f"/outbox/{failed_id}/requeue", data={"csrf_token": csrf_token(client, "/outbox")})
    assert response.status_code == 302
    with sessions() as session:
        assert session.get(Notification, failed_id).status == "pending"
