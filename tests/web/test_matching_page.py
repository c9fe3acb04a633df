"""The matching task: ranked candidates with reasons, conflicts left out, an offer with one click."""
from __future__ import annotations

from sqlalchemy import select

from engine.deployments import deploy_builtin_processes
from engine.models import OpenTask, Volunteer
from engine.registry import Registry
from tests.web.conftest import csrf_token


def test_caseworker_offers_the_top_candidate_with_one_click(login, sessions, clock, forms):
    import engine

    with sessions.begin() as session:
        deploy_builtin_processes(session, clock=clock, forms=forms)
        registry = Registry(session, clock, "anna")
        fisher = registry.register_volunteer({"first_name": "Sara", "last_name": "Lind",
                                              "personnummer": "19811218-9876", "interests": "fiske"})
        god_man = registry.register_volunteer({"first_name": "Gunilla", "last_name": "Ek",
                                               "personnummer": "19700101-0003", "interests": "fiske"})
        for volunteer_id in (fisher, god_man):
            registry.set_volunteer_status(volunteer_id, "approved_waiting")
        case_id = engine.start_case(session, "matching", {}, user="anna", clock=clock).id
    client = login()
    with sessions() as session:
        task_id = session.scalars(select(OpenTask.id).where(OpenTask.case_id == case_id)).one()
    token = csrf_token(client, f"/tasks/{task_id}")
    decision = {"client_first_name": "Kim", "client_last_name": "Berg", "client_personnummer": "20000101-0008",
                "client_address": "Lillgatan 2", "client_phone": "0300-123 45", "guardian_name": "",
                "guardian_phone": "", "legal_basis": "LSS", "decision_date": "2026-01-02", "meetings_per_month": "4",
                "goals": "Komma ut", "wish_interests": "fiske", "wish_age": "", "wish_gender": "any",
                "wish_language": "", "area": "", "daily_activity_place": "", "representatives": "God man: Gunilla Ek"}
    assert client.post(f"/tasks/{task_id}", data={"csrf_token": token, "action": "complete", **decision}).status_code == 302
    with sessions() as session:
        pick_id = session.scalars(select(OpenTask.id).where(OpenTask.case_id == case_id)).one()
    page = client.get(f"/tasks/{pick_id}").get_data(as_text=True)
    assert "Erbjud Sara Lind" in page and "Erbjud Gunilla Ek" not in page
    assert "Delade intressen: fiske (+10)" in page and "LSS 9 § 4" in page
    response = client.post(f"/tasks/{pick_id}", data={"csrf_token": csrf_token(client, f"/tasks/{pick_id}"),
                                                      "quick_pick": str(fisher)})
    assert response.status_code == 302
    with sessions() as session:
        titles = session.scalars(select(OpenTask.title).where(OpenTask.case_id == case_id)).all()
        assert titles == ["Ring och erbjud uppdraget"]
        assert session.get(Volunteer, fisher).status == "assigned"
