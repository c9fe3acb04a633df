"""Recruitment paths that do not end in the pool: age, register checks, silence."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.scenarios.lifecycle import (
    active_assignment,
    answer_social_register,
    assess,
    assignment,
    case_data,
    check_police_extract,
    consent,
    decide,
    fire_until_quiet,
    interest_registration,
    interview,
    live_until,
    notifications,
    register_interest,
    request_social_register,
    screen,
    task_data,
    timers_of,
    titles,
    volunteer,
    volunteer_by_pnr,
)

SOCIAL_SERVICES = "socialtjansten@goteborg.se"


def subjects(sessions, recipient: str) -> list[str]:
    return [n.subject for n in notifications(sessions, recipient=recipient)]


def until_register_checks(anna, payload: dict) -> tuple[int, int]:
    """Register, screen, interview and consent; returns (case id, volunteer id)."""
    case_id = register_interest(anna, payload)
    screen(anna, payload)
    interview(anna)
    consent(anna)
    volunteer_id = task_data(anna, "Begär uppgifter ur socialregistret")["volunteer_id"]
    return case_id, volunteer_id


def test_sixteen_year_old_is_rejected_with_a_letter_and_never_registered(sessions, clock, anna):
    # Born 20 August 2009: 16 years old on 5 January 2026.
    young = interest_registration("Kim", "Ek", born=date(2009, 8, 20), serial="123")
    case_id = register_interest(anna, young)

    assert titles(anna) == []  # no screening task: the age check comes first
    assert anna.case(case_id).status == "completed"
    data = case_data(anna, case_id)
    assert (data["applicant_age"], data["is_adult"], data["application_outcome"]) == (16, False, "rejected")
    assert data["rejection_text"] == "Du behöver ha fyllt 18 år för att bli kontaktperson."
    [letter] = notifications(sessions, recipient="kim.ek@example.se")
    assert letter.subject == "Besked om din intresseanmälan" and data["rejection_text"] in letter.body
    assert volunteer_by_pnr(sessions, young["personnummer"]) is None


@pytest.mark.parametrize(("born", "screened"), [(date(2008, 1, 5), True), (date(2008, 1, 6), False)],
                         ids=["18-today", "18-tomorrow"])
def test_age_limit_is_18_on_the_day_the_registration_arrives(sessions, clock, anna, born, screened):
    case_id = register_interest(anna, interest_registration("Alva", "Sund", born=born, serial="502"))
    assert (titles(anna) == ["Granska intresseanmälan"]) is screened
    assert (anna.case(case_id).status == "running") is screened


def test_caseworker_rejecting_at_screening_sends_the_general_refusal(sessions, clock, anna):
    payload = interest_registration("Nils", "Holm", born=date(1985, 3, 2), serial="611")
    case_id = register_interest(anna, payload)
    screen(anna, payload, decision="reject", comment="Har inte tid för uppdraget.")
    assert anna.case(case_id).status == "completed" and titles(anna) == []
    assert case_data(anna, case_id)["application_outcome"] == "rejected"
    [letter] = notifications(sessions, recipient=payload["email"])
    assert "Vi kan tyvärr inte gå vidare med din ansökan just nu." in letter.body
    assert volunteer_by_pnr(sessions, payload["personnummer"]) is None


def test_register_check_with_remarks_ends_in_a_reasoned_rejection_letter(sessions, clock, anna, erik):
    payload = interest_registration("Lars", "Dahl", born=date(1979, 11, 23), serial="347")
    case_id, volunteer_id = until_register_checks(anna, payload)
    request_social_register(anna)
    check_police_extract(anna)
    answer_social_register(anna, volunteer_id, has_remarks=True, summary="Aktuell i socialtjänsten 2025.")

    assessment = task_data(anna, "Gör individuell bedömning")
    assert assessment["social_check_remarks"] is True
    assert assessment["social_check_summary"] == "Aktuell i socialtjänsten 2025."
    assess(anna, recommendation="reject", summary="Uppgifterna i socialregistret gör uppdraget olämpligt.")
    motivation = "Uppgifter i socialtjänstens register gör att vi inte kan godkänna dig."
    decide(erik, approved=False, motivation=motivation)

    assert anna.case(case_id).status == "completed"
    data = case_data(anna, case_id)
    assert data["approved"] is False and data["application_outcome"] == "rejected"
    assert data["decision_letter"] == ("Hej Lars! Du har tyvärr inte blivit godkänd som kontaktperson. "
                                       "Motivering: " + motivation)
    assert data["decision_letter_sent"] == "2026-01-05"
    [letter] = [n for n in notifications(sessions, recipient=payload["email"])
                if n.subject == "Beslut om uppdrag som kontaktperson"]
    assert letter.body == data["decision_letter"]
    rejected = volunteer(sessions, volunteer_id)
    assert rejected.status == "rejected" and rejected.waiting_since is None


def test_police_extract_older_than_a_year_is_asked_for_again(sessions, clock, anna):
    payload = interest_registration("Maja", "Strand", born=date(1992, 6, 30), serial="128")
    until_register_checks(anna, payload)
    check_police_extract(anna, dated="2024-12-01")  # a year old on 1 December 2025

    assert "Kontrollera utdrag ur belastningsregistret" in titles(anna)
    assert "Nytt utdrag ur belastningsregistret behövs" in subjects(sessions, payload["email"])
    check_police_extract(anna, dated="2026-01-02")
    assert titles(anna) == ["Begär uppgifter ur socialregistret"]


def test_silent_applicant_is_reminded_once_then_closed_at_60_days(sessions, clock, anna):
    payload = interest_registration("Ebba", "Nord", born=date(1995, 2, 14), serial="733")
    case_id = register_interest(anna, payload)
    screen(anna, payload)
    interview(anna)
    asked = clock.now()
    assert titles(anna) == ["Registrera samtycke"]
    reminder = "Påminnelse: samtycke till registerkontroll"

    live_until(anna, clock, asked + timedelta(days=14) - timedelta(minutes=1))
    assert reminder not in subjects(sessions, payload["email"])
    live_until(anna, clock, asked + timedelta(days=14, seconds=1))
    assert subjects(sessions, payload["email"]).count(reminder) == 1
    assert titles(anna) == ["Registrera samtycke"]  # the reminder does not close the task

    live_until(anna, clock, asked + timedelta(days=60) - timedelta(minutes=1))
    assert subjects(sessions, payload["email"]).count(reminder) == 1  # once, not every 14 days
    assert anna.case(case_id).status == "running"
    assert volunteer_by_pnr(sessions, payload["personnummer"]).status == "applicant"

    live_until(anna, clock, asked + timedelta(days=60, seconds=1))
    assert anna.case(case_id).status == "completed" and titles(anna) == []
    assert case_data(anna, case_id)["application_outcome"] == "closed"
    assert subjects(sessions, payload["email"])[-1] == "Din ansökan har avslutats"
    closed = volunteer_by_pnr(sessions, payload["personnummer"])
    assert closed.status == "left" and closed.waiting_since is None
    assert timers_of(sessions, case_id) == []


def test_silent_home_municipality_gets_three_reminders_then_a_caseworker_task(sessions, clock, anna, erik):
    payload = interest_registration("Omar", "Said", born=date(1988, 8, 8), serial="415")
    case_id, volunteer_id = until_register_checks(anna, payload)
    check_police_extract(anna)
    request_social_register(anna)
    sent = clock.now()
    reminder = "Påminnelse: förfrågan om uppgifter ur socialregistret"

    for days, expected in ((13, 0), (14, 1), (27, 1), (28, 2), (42, 3), (55, 3)):
        live_until(anna, clock, sent + timedelta(days=days, seconds=1))
        assert subjects(sessions, SOCIAL_SERVICES).count(reminder) == expected, days
    assert titles(anna) == []

    live_until(anna, clock, sent + timedelta(days=56, seconds=1))
    assert subjects(sessions, SOCIAL_SERVICES).count(reminder) == 3
    [task] = anna.inbox()
    assert (task.title, task.priority) == ("Följ upp uteblivet svar", 70)

    # The answer comes in late: it interrupts the caseworker's task and counts.
    clock.advance(timedelta(days=1))
    assert answer_social_register(anna, volunteer_id, summary="Inga uppgifter.") == [case_id]
    assert titles(anna) == ["Gör individuell bedömning"]
    assert task_data(anna, "Gör individuell bedömning")["social_check_summary"] == "Inga uppgifter."


def test_caseworker_can_register_the_missing_answer_by_hand(sessions, clock, anna):
    payload = interest_registration("Ida", "Berg", born=date(1991, 5, 5), serial="286")
    _, volunteer_id = until_register_checks(anna, payload)
    check_police_extract(anna)
    request_social_register(anna)
    live_until(anna, clock, clock.now() + timedelta(days=56, seconds=1))
    anna.complete("Följ upp uteblivet svar", {"social_missing_action": "manual", "social_check_remarks": False,
                                               "social_check_summary": "Svar per telefon", "social_check_date": "2026-03-02"})
    assert titles(anna) == ["Gör individuell bedömning"]
    assert volunteer(sessions, volunteer_id).status == "applicant"


def test_police_extract_never_shown_closes_the_whole_application_at_60_days(sessions, clock, anna):
    payload = interest_registration("Elin", "Falk", born=date(1993, 9, 9), serial="509")
    case_id, volunteer_id = until_register_checks(anna, payload)
    request_social_register(anna)
    answer_social_register(anna, volunteer_id)  # the municipality answered; the extract never comes
    opened = clock.now()

    live_until(anna, clock, opened + timedelta(days=60) - timedelta(minutes=1))
    assert subjects(sessions, payload["email"]).count("Påminnelse: utdrag ur belastningsregistret") == 1
    assert titles(anna) == ["Kontrollera utdrag ur belastningsregistret"]

    live_until(anna, clock, opened + timedelta(days=60, seconds=1))
    assert anna.case(case_id).status == "completed" and titles(anna) == []
    assert case_data(anna, case_id)["application_outcome"] == "closed"
    assert volunteer(sessions, volunteer_id).status == "left"
    assert timers_of(sessions, case_id) == []
    assert fire_until_quiet(anna) == 0


def test_applicant_who_cannot_commit_for_a_year_is_rejected_after_the_interview(sessions, clock, anna):
    payload = interest_registration("Tove", "Vik", born=date(2000, 12, 1), serial="174")
    case_id = register_interest(anna, payload)
    screen(anna, payload)
    interview(anna, decision="continue", can_commit_one_year=False)
    assert anna.case(case_id).status == "completed" and titles(anna) == []
    assert case_data(anna, case_id)["application_outcome"] == "rejected"
    assert volunteer_by_pnr(sessions, payload["personnummer"]).status == "rejected"
    assert subjects(sessions, payload["email"])[-1] == "Besked om din intresseanmälan"


def test_new_registration_from_an_active_contact_person_leaves_her_assigned(sessions, clock, anna, erik):
    """ENGINE/MODEL GAP: recruitment's *Registrera sökande* sets the status "applicant" and *Skicka avslag*
    sets "rejected" on whatever volunteer the personnummer matches. A contact person with an active
    assignment who sends the interest form again (say, for a second assignment) is turned into an
    applicant, and into "rejected" if that application is refused, while her assignment is still active.
    Diagram code cannot read a volunteer's status, so the guard belongs to the registry (or a helper)."""
    made = active_assignment(anna, erik, clock)
    again = interest_registration()  # the same person, the same personnummer
    register_interest(anna, again)
    screen(anna, again)
    interview(anna, decision="reject")

    assert assignment(sessions, made["assignment_id"]).status == "active"
    assert volunteer(sessions, made["volunteer_id"]).status == "assigned"
