"""Ranking pool volunteers for a client: reasons for every point, conflicts excluded and explained."""
from __future__ import annotations

from datetime import date, timedelta

from engine.matching import rank_volunteers, wished_age_range
from engine.registry import Registry


def registry(session, clock):
    return Registry(session, clock, "anna")


def add_volunteer(reg, pnr, first, interests, area="Centrum", workplace=None, waited_days=0, clock=None):
    volunteer_id = reg.register_volunteer({"first_name": first, "last_name": "Test", "personnummer": pnr,
                                           "interests": interests, "languages": "svenska", "city": area,
                                           "workplace": workplace})
    reg.set_volunteer_status(volunteer_id, "approved_waiting")
    return volunteer_id


def test_wished_age_is_read_from_plain_swedish():
    assert wished_age_range("20-40 år") == (20, 40)
    assert wished_age_range("över 30") == (30, 120)
    assert wished_age_range("under 50") == (18, 50)
    assert wished_age_range("spelar ingen roll") is None


def test_ranking_gives_reasons_and_excludes_conflicts(sessions, clock):
    with sessions.begin() as session:
        reg = registry(session, clock)
        fisher = add_volunteer(reg, "19811218-9876", "Fiskar", "fiske, bowling")
        walker = add_volunteer(reg, "19900101-0017", "Gångare", "promenader", area="Norr")
        god_man = add_volunteer(reg, "19700101-0003", "Godman", "fiske")
        colleague = add_volunteer(reg, "19850101-0006", "Kollega", "fiske", workplace="Solgårdens dagliga verksamhet")
        client_id = reg.register_client({
            "first_name": "Kim", "last_name": "Klient", "personnummer": "20000101-0008", "area": "Centrum",
            "wish_interests": "Fiske, musik", "wish_age": "30-50", "wish_gender": "any",
            "daily_activity_place": "Solgårdens dagliga verksamhet",
            "representatives": "God man: Godman Test, 070-111 11 11"})
        ranked = rank_volunteers(session, client_id, date(2026, 6, 1))
    assert [r["volunteer_id"] for r in ranked] == [fisher, walker, god_man, colleague]
    top = ranked[0]
    assert top["score"] > ranked[1]["score"] and top["conflicts"] == []
    assert "Delade intressen: fiske (+10)" in top["reasons"]
    assert "Ålder 44 passar önskemålet 30–50 (+10)" in top["reasons"]
    assert "Samma område: Centrum (+15)" in top["reasons"]
    assert "LSS 9 § 4" in ranked[2]["conflicts"][0] and ranked[2]["score"] == 0
    assert "dagliga verksamhet" in ranked[3]["conflicts"][0]


def test_time_waited_counts_and_status_changes_are_logged(sessions, clock):
    from sqlalchemy import select

    from engine.models import Event, Volunteer

    with sessions.begin() as session:
        reg = registry(session, clock)
        first = add_volunteer(reg, "19811218-9876", "Tidig", "fiske")
        client_id = reg.register_client({"first_name": "Kim", "personnummer": "20000101-0008"})
    clock.advance(timedelta(days=95))
    with sessions.begin() as session:
        ranked = rank_volunteers(session, client_id, clock.today())
        assert "Har väntat 95 dagar (+3)" in ranked[0]["reasons"]
        Registry(session, clock, "anna").set_volunteer_status(first, "assigned")
    with sessions() as session:
        assert session.get(Volunteer, first).waiting_since is None
        changes = [e.data for e in session.scalars(select(Event).where(Event.kind == "volunteer_status"))]
    assert changes[-1] == {"volunteer_id": first, "from": "approved_waiting", "to": "assigned"}
