"""Matching: the ranked list, offers that are declined, introduction meetings that do not work out."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from engine.models import Assignment, Client
from tests.scenarios.lifecycle import (
    at,
    case_data,
    cases_of,
    client_decision,
    interest_registration,
    intro_meeting,
    live_until,
    offer,
    pick,
    recruit,
    start_matching,
    task_data,
    titles,
    volunteer,
)


def two_volunteers(anna, erik) -> tuple[int, int]:
    """Sara (35, fishing and music, Göteborg) and Johan (55, film, Kungsbacka), both in the pool."""
    sara = recruit(anna, erik, interest_registration("Sara", "Lind", born=date(1990, 4, 12), serial="238"))
    johan = recruit(anna, erik, interest_registration("Johan", "Ek", born=date(1970, 7, 1), serial="519",
                                                      interests="film", city="Kungsbacka"))
    return sara, johan


def assignments_count(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Assignment))


def test_declined_offer_returns_volunteer_to_pool_and_next_candidate_is_offered(sessions, clock, anna, erik):
    sara, johan = two_volunteers(anna, erik)
    clock.set(at("2026-02-02"))
    matching = start_matching(anna, client_decision())
    first = task_data(anna, "Välj kontaktperson")
    assert [c["volunteer_id"] for c in first["candidates"]] == [sara, johan]  # best match first
    assert first["candidates"][0]["score"] > first["candidates"][1]["score"]

    pick(anna, sara)
    assert volunteer(sessions, sara).status == "assigned"
    offer(anna, "no", on="2026-02-02")

    back = volunteer(sessions, sara)
    assert back.status == "approved_waiting"
    assert back.waiting_since == date(2026, 2, 2)  # her waiting time starts again on the day she said no
    second = task_data(anna, "Välj kontaktperson")
    assert second["match_round"] == 2
    assert second["declined_volunteers"] == [{"volunteer_id": sara, "name": "Sara Lind",
                                              "reason": "Tackade nej till erbjudandet", "date": "2026-02-02"}]
    assert {c["volunteer_id"] for c in second["candidates"]} == {sara, johan}  # both still in the pool
    assert assignments_count(sessions) == 0

    pick(anna, johan)
    assert volunteer(sessions, johan).status == "assigned"
    offer(anna, "yes")
    intro_meeting(anna)
    assert anna.case(matching).status == "completed"
    [agreement] = cases_of(sessions, "agreement")
    assert agreement.volunteer_id == johan
    assert volunteer(sessions, sara).status == "approved_waiting"


def test_negative_intro_meeting_returns_volunteer_to_pool_and_matching_goes_on(sessions, clock, anna, erik):
    sara, johan = two_volunteers(anna, erik)
    clock.set(at("2026-02-02"))
    matching = start_matching(anna, client_decision())
    pick(anna, sara)
    offer(anna, "yes")
    clock.set(at("2026-02-09", 15))
    intro_meeting(anna, client_positive=False, volunteer_positive=True)

    back = volunteer(sessions, sara)
    assert back.status == "approved_waiting" and back.waiting_since == date(2026, 2, 9)
    assert titles(anna) == ["Välj kontaktperson"]
    again = task_data(anna, "Välj kontaktperson")
    assert again["match_round"] == 2
    assert [(d["volunteer_id"], d["reason"]) for d in again["declined_volunteers"]] == [
        (sara, "Ingen fortsättning efter introduktionsmötet")]
    assert {c["volunteer_id"] for c in again["candidates"]} == {sara, johan}
    assert anna.case(matching).status == "running"
    assert cases_of(sessions, "agreement") == [] and assignments_count(sessions) == 0


def test_candidate_with_a_conflict_is_listed_last_and_cannot_be_picked(sessions, clock, anna, erik):
    sara, _ = two_volunteers(anna, erik)
    staff = recruit(anna, erik, interest_registration("Anders", "Lund", born=date(1980, 2, 2), serial="642",
                                                      workplace="Daglig verksamhet Hisingen"))
    start_matching(anna, client_decision())
    listed = task_data(anna, "Välj kontaktperson")["candidates"]
    assert listed[-1]["volunteer_id"] == staff and listed[-1]["score"] == 0
    assert listed[-1]["conflicts"] == [
        "Arbetar där den enskilde bor eller har sin dagliga verksamhet (Daglig verksamhet Hisingen)."]

    pick(anna, staff)
    retry = task_data(anna, "Välj kontaktperson")
    assert retry["pick_error"].startswith("Personen kan inte väljas: Arbetar där den enskilde")
    assert retry["match_round"] == 1
    assert volunteer(sessions, staff).status == "approved_waiting"
    pick(anna, sara)
    assert volunteer(sessions, sara).status == "assigned"


def test_waiting_for_volunteers_ranks_again_after_14_days(sessions, clock, anna, erik):
    matching = start_matching(anna, client_decision())
    assert task_data(anna, "Välj kontaktperson")["candidates"] == []  # nobody in the pool yet
    anna.complete("Välj kontaktperson", {"pick_action": "wait"})
    waited_from = clock.now()
    assert titles(anna) == []

    newcomer = recruit(anna, erik, interest_registration("Sara", "Lind"))
    live_until(anna, clock, waited_from + timedelta(days=14) - timedelta(minutes=1))
    assert titles(anna) == []
    live_until(anna, clock, waited_from + timedelta(days=14, seconds=1))
    again = task_data(anna, "Välj kontaktperson")
    assert again["match_round"] == 2 and [c["volunteer_id"] for c in again["candidates"]] == [newcomer]
    assert anna.case(matching).status == "running"


def test_twelve_rounds_continue_in_a_new_matching_case_with_the_client_prefilled(sessions, clock, anna):
    olle = client_decision()
    first = start_matching(anna, olle)
    for _ in range(12):
        anna.complete("Välj kontaktperson", {"pick_action": "wait"})
        live_until(anna, clock, clock.now() + timedelta(days=14, seconds=1))

    assert anna.case(first).status == "completed"
    assert case_data(anna, first)["matching_outcome"] == "continued_in_new_case"
    [old, second] = cases_of(sessions, "matching")
    assert second.status == "running" and second.client_id == old.client_id
    prefilled = task_data(anna, "Registrera beslut om kontaktperson")
    assert {k: prefilled[k] for k in olle} == olle  # the caseworker only confirms
    anna.complete("Registrera beslut om kontaktperson", olle)
    assert task_data(anna, "Välj kontaktperson")["match_round"] == 1
    with sessions() as session:  # the client was registered once, not twice
        assert session.scalar(select(func.count()).select_from(Client)) == 1
