"""The agreement: compensation from the decision tables, action plan, signing, revising, cancelling."""
from __future__ import annotations

from datetime import date

import pytest

from engine.errors import InvalidData
from tests.scenarios.lifecycle import (
    active_assignment,
    assignment,
    case_data,
    cases_of,
    client_decision,
    draft_agreement,
    interest_registration,
    intro_meeting,
    offer,
    pick,
    recruit,
    start_matching,
    task_data,
    titles,
    volunteer,
)

COMPENSATION = ("pbb_year", "price_base_amount", "pbb_confirmed", "scope_level", "fee_percent", "expense_percent",
                "monthly_fee", "monthly_expenses")


def agreement_start_data(meetings_per_month: int) -> dict:
    """What matching passes to the agreement when both said yes."""
    return {"assignment_id": 41, "volunteer_id": 7, "volunteer_name": "Sara Lind", "client_id": 9,
            "client_name": "Olle Berg", "meetings_per_month": meetings_per_month, "goals": "Komma ut mer",
            "client_address": "Lillgatan 4", "client_phone": "031-12 34 56", "guardian_name": "Eva Berg",
            "guardian_phone": "070-765 43 21"}


@pytest.mark.parametrize(("start", "meetings", "expected"), [
    # PBB 2026 = 59 200 kr; compensation_level.dmn: <= 4 meetings level 1 (20 % / 10 % of PBB/12),
    # 5-8 level 2 (30 % / 25 %), > 8 level 3 (40 % / 40 %). 59 200 / 12 = 4 933.33 kr.
    ("2026-02-16", 1, (2026, 59200, True, 1, 20, 10, 987, 493)),
    ("2026-02-16", 4, (2026, 59200, True, 1, 20, 10, 987, 493)),
    ("2026-02-16", 5, (2026, 59200, True, 2, 30, 25, 1480, 1233)),
    ("2026-02-16", 8, (2026, 59200, True, 2, 30, 25, 1480, 1233)),
    ("2026-02-16", 9, (2026, 59200, True, 3, 40, 40, 1973, 1973)),
    ("2026-02-16", 31, (2026, 59200, True, 3, 40, 40, 1973, 1973)),
    # The year of the start date decides: 2025 had PBB 58 800 (level 1: 980 / 490 kr) ...
    ("2025-12-29", 4, (2025, 58800, True, 1, 20, 10, 980, 490)),
    # ... and a year with no row yet uses the latest amount, marked as not confirmed.
    ("2027-01-04", 4, (2027, 59200, False, 1, 20, 10, 987, 493)),
], ids=["1-meeting", "4-meetings", "5-meetings", "8-meetings", "9-meetings", "31-meetings", "start-2025",
        "start-2027"])
def test_compensation_comes_from_the_price_base_amount_of_the_start_year(anna, start, meetings, expected):
    anna.start("agreement", agreement_start_data(meetings))
    draft_agreement(anna, start=start, meetings_per_month=meetings)
    terms = task_data(anna, "Underteckna avtalet")
    assert tuple(terms[k] for k in COMPENSATION) == expected
    assert terms["monthly_fee"] == round(terms["price_base_amount"] * terms["fee_percent"] / 100 / 12)
    assert terms["monthly_expenses"] == round(terms["price_base_amount"] * terms["expense_percent"] / 100 / 12)


def test_known_risk_needs_an_action_plan_before_signing(anna):
    anna.start("agreement", agreement_start_data(4))
    draft_agreement(anna, start="2026-02-16", risk_violence=True)
    assert titles(anna) == ["Upprätta individuell handlingsplan"]
    anna.complete("Upprätta individuell handlingsplan", {
        "action_plan_situations": "Konflikter vid busshållplatsen", "action_plan_actions": "Avbryt träffen och ring",
        "action_plan_contacts": "Handläggare 031-222 22", "action_plan_review_date": "2026-08-01"})
    assert titles(anna) == ["Underteckna avtalet"]
    assert task_data(anna, "Underteckna avtalet")["action_plan_review_date"] == "2026-08-01"


def test_revised_agreement_is_drafted_again_and_recalculated(anna):
    anna.start("agreement", agreement_start_data(4))
    draft_agreement(anna, start="2026-02-16", meetings_per_month=4)
    anna.complete("Underteckna avtalet", {"sign_outcome": "revise", "sign_comment": "Fler träffar"})
    assert titles(anna) == ["Upprätta uppdragsavtal"]
    draft_agreement(anna, start="2026-02-16", meetings_per_month=6)
    terms = task_data(anna, "Underteckna avtalet")
    assert (terms["scope_level"], terms["monthly_fee"], terms["monthly_expenses"]) == (2, 1480, 1233)


def test_signing_needs_both_signatures(anna):
    anna.start("agreement", agreement_start_data(4))
    draft_agreement(anna, start="2026-02-16")
    with pytest.raises(InvalidData) as refused:
        anna.complete("Underteckna avtalet", {"sign_outcome": "signed", "signed_by_volunteer": True,
                                              "signed_by_client": False, "signed_date": "2026-02-10"})
    assert "signed_by_client" in refused.value.errors
    assert titles(anna) == ["Underteckna avtalet"]


def test_cancelled_agreement_ends_the_assignment_and_restarts_matching(sessions, clock, anna, erik):
    sara = recruit(anna, erik, interest_registration())
    olle = client_decision()
    start_matching(anna, olle)
    pick(anna, sara)
    offer(anna)
    intro_meeting(anna)
    [agreement] = cases_of(sessions, "agreement")
    draft_agreement(anna, start="2026-02-16")
    anna.complete("Underteckna avtalet", {"sign_outcome": "cancelled", "continue_matching": True,
                                          "sign_comment": "Familjen flyttar"})

    assert anna.case(agreement.id).status == "completed"
    assert case_data(anna, agreement.id)["agreement_outcome"] == "cancelled"
    ended = assignment(sessions, agreement.assignment_id)
    assert ended.status == "ended" and ended.ended_on == clock.today()
    back = volunteer(sessions, sara)
    assert back.status == "approved_waiting" and back.waiting_since == clock.today()
    assert cases_of(sessions, "follow_up") == []
    [_, again] = cases_of(sessions, "matching")
    assert again.status == "running" and again.client_id == ended.client_id
    prefilled = task_data(anna, "Registrera beslut om kontaktperson")
    assert (prefilled["meetings_per_month"], prefilled["goals"], prefilled["client_address"]) == (
        olle["meetings_per_month"], olle["goals"], olle["client_address"])


def test_signed_agreement_activates_assignment_and_starts_the_first_follow_up_year(sessions, clock, anna, erik):
    made = active_assignment(anna, erik, clock, start="2026-03-02", meetings_per_month=6)
    active = assignment(sessions, made["assignment_id"])
    assert (active.status, active.started_on, active.fee_per_month, active.expenses_per_month) == (
        "active", date(2026, 3, 2), 1480, 1233)
    assert volunteer(sessions, made["volunteer_id"]).status == "assigned"
    [follow_up] = cases_of(sessions, "follow_up")
    assert follow_up.id == made["follow_up_case"] and follow_up.status == "running"
    assert (follow_up.volunteer_id, follow_up.client_id) == (made["volunteer_id"], made["client_id"])
