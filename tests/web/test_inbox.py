"""The inbox: tabs with counts, need-to-know, filters, search, masked personnummer, claim from the list."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

import engine
from engine.models import OpenTask
from tests.web.conftest import csrf_token


def start_cases(sessions, clock, deploy_fixture, people):
    deploy_fixture("approval")
    ids = []
    for first, last, pnr in people:
        with sessions.begin() as session:
            ids.append(engine.start_case(session, "approval", {"applicant_id": pnr, "first_name": first,
                                                                "last_name": last, "personnummer": pnr},
                                         user="anna", clock=clock).id)
    return ids


PEOPLE = [("Sara", "Lind", "19811218-9876"), ("Ali", "Nur", "19900101-0017")]


def test_inbox_lists_group_tasks_with_masked_personnummer(login, sessions, clock, deploy_fixture):
    start_cases(sessions, clock, deploy_fixture, PEOPLE)
    page = login().get("/").get_data(as_text=True)
    assert "Granska ansökan" in page and "Sara Lind" in page and "Ali Nur" in page
    assert "XXXXXXXX-9876" in page and "19811218-9876" not in page
    assert 'Min grupp <span class="count">2</span>' in " ".join(page.split())


def test_caseworkers_outside_the_group_see_nothing_and_get_403(login, sessions, clock, deploy_fixture):
    start_cases(sessions, clock, deploy_fixture, PEOPLE)
    client = login("olle", "caseworker", groups=("annan_grupp",))
    assert "Inga öppna uppgifter här." in client.get("/?scope=group").get_data(as_text=True)
    with sessions() as session:
        task = session.scalars(select(OpenTask)).first()
    assert client.get(f"/tasks/{task.id}").status_code == 403
    assert client.get(f"/cases/{task.case_id}").status_code == 403


def test_search_by_name_or_personnummer_and_overdue_filter(login, sessions, clock, deploy_fixture):
    start_cases(sessions, clock, deploy_fixture, PEOPLE)
    client = login()
    assert "Ali Nur" not in client.get("/?q=lind").get_data(as_text=True)
    assert "Sara Lind" in client.get("/?q=19811218-9876").get_data(as_text=True)
    assert "Inga öppna uppgifter här." in client.get("/?overdue=1").get_data(as_text=True)
    clock.advance(timedelta(days=20))
    assert "Försenad" in client.get("/?overdue=1").get_data(as_text=True)


def test_claim_from_the_list_moves_the_task_to_mine(login, sessions, clock, deploy_fixture):
    start_cases(sessions, clock, deploy_fixture, PEOPLE[:1])
    client = login()
    with sessions() as session:
        task_id = session.scalars(select(OpenTask.id)).one()
    response = client.post(f"/tasks/{task_id}/claim", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    page = " ".join(client.get("/?scope=mine").get_data(as_text=True).split())
    assert "Granska ansökan" in page and 'Mina <span class="count">1</span>' in page


def test_completing_a_task_from_its_page_and_again_shows_a_clear_message(login, sessions, clock, deploy_fixture):
    start_cases(sessions, clock, deploy_fixture, PEOPLE[:1])
    client = login()
    with sessions() as session:
        task_id = session.scalars(select(OpenTask.id)).one()
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Läs ansökan och bedöm den." in page and "Slutför" in page and "Spara utkast" in page
    token = csrf_token(client, f"/tasks/{task_id}")
    bad = client.post(f"/tasks/{task_id}", data={"csrf_token": token, "action": "complete", "points": "99"})
    assert bad.status_code == 422 and "Värdet får vara högst 10." in bad.get_data(as_text=True)
    ok = client.post(f"/tasks/{task_id}", data={"csrf_token": token, "action": "complete", "approved": "false",
                                                 "points": "3"})
    assert ok.status_code == 302
    again = client.post(f"/tasks/{task_id}", data={"csrf_token": token, "action": "complete", "approved": "false",
                                                    "points": "3"})
    assert again.status_code == 409 and "redan slutförd (av anna" in again.get_data(as_text=True)


def test_case_page_shows_timeline_and_logs_the_view(login, sessions, clock, deploy_fixture):
    from engine.models import Event

    [case_id] = start_cases(sessions, clock, deploy_fixture, PEOPLE[:1])
    page = login().get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Ärendet startade" in page and "Granska ansökan" in page and 'data-active="Task_review"' in page
    with sessions() as session:
        viewed = session.scalars(select(Event).where(Event.kind == "case_viewed")).all()
    assert [(e.actor, e.case_id) for e in viewed] == [("anna", case_id)]


def test_registry_pages_list_the_pool_with_days_waiting(login, sessions, clock):
    from engine.registry import Registry

    with sessions.begin() as session:
        reg = Registry(session, clock, "anna")
        volunteer = reg.register_volunteer({"first_name": "Sara", "last_name": "Lind",
                                            "personnummer": "19811218-9876", "interests": "fiske"})
        reg.set_volunteer_status(volunteer, "approved_waiting")
    clock.advance(timedelta(days=12))
    client = login()
    page = client.get("/volunteers").get_data(as_text=True)
    assert "Sara Lind" in page and "<td>12</td>" in page
    assert client.get("/clients").status_code == 200 and client.get("/assignments").status_code == 200


def test_registry_views_are_logged(login, sessions):
    from engine.models import Event

    client = login()
    client.get("/volunteers?status=assigned")
    with sessions() as session:
        [event] = session.scalars(select(Event).where(Event.kind == "registry_viewed")).all()
    assert (event.actor, event.data["list"], event.data["args"]) == ("anna", "volunteers", {"status": "assigned"})
