"""The ten-year assignment: 120 monthly reports and 10 annual reviews on the simulated clock.

Long-lived work is split into short cases: one follow_up case per agreement year (annual review,
incident listeners, the next year) and one follow_up_period case per month (report, reminder,
payment basis). No case's stored state may grow with the age of the assignment: year 10's cases must
look like year 1's at the same point, and every case stays within the state budget."""
from __future__ import annotations

from engine.calendar import add_months, anniversary
from tests.scenarios.lifecycle import (
    active_assignment,
    assignment,
    case_data,
    cases_of,
    live_a_year,
    payment_bases,
    task_data,
)

STATE_BUDGET = 64 * 1024  # characters of Case.state per case
KINDS = ("follow_up", "follow_up_period")


def test_ten_year_assignment_keeps_every_case_the_same_small_size(sessions, clock, anna, erik):
    made = active_assignment(anna, erik, clock, start="2026-02-16", meetings_per_month=4)
    aid = made["assignment_id"]
    sizes: dict[int, dict[int, dict[str, int]]] = {}  # year -> report number -> what -> len(Case.state)

    case_id = made["follow_up_case"]
    for year in range(1, 11):
        if year < 10:
            sizes[year] = live_a_year(anna, clock, aid, case_id, outcome="continue")
            case_id = cases_of(sessions, "follow_up")[-1].id
        else:
            sizes[year] = live_a_year(anna, clock, aid, case_id, outcome="end",
                                      end_reason="Tio år; Olle vill prova något nytt", end_date="2036-02-15")

    # Ten consecutive yearly cases, each complete, each starting on the anniversary.
    years = cases_of(sessions, "follow_up")
    assert [c.status for c in years] == ["completed"] * 10
    starts = [case_data(anna, c.id)["year_start"] for c in years]
    assert starts == [anniversary("2026-02-16", n) for n in range(10)]
    assert [case_data(anna, c.id)["year_number"] for c in years] == list(range(1, 11))
    assert [case_data(anna, c.id)["follow_up_outcome"] for c in years] == ["continue"] * 9 + ["end"]

    # 120 monthly cases, one per month, each complete and paid.
    months = [add_months("2026-02-01", n)[:7] for n in range(120)]
    periods = cases_of(sessions, "follow_up_period")
    assert [c.business_key for c in periods] == [f"{aid}:{m}" for m in months]
    assert {c.status for c in periods} == {"completed"}
    assert [case_data(anna, c.id)["year_number"] for c in periods] == [n // 12 + 1 for n in range(120)]

    # 120 months paid, one row each, in order, at the level of the agreement.
    bases = payment_bases(sessions, aid)
    assert [b.month for b in bases] == months
    assert {(b.fee, b.expenses, b.report_status, b.held_back) for b in bases} == {(987, 493, "received", False)}

    # The tenth review ends the assignment through the termination process.
    [termination] = cases_of(sessions, "termination")
    assert task_data(anna, "Registrera avslut")["initiated_by"] == "annual_review"
    assert termination.assignment_id == aid and assignment(sessions, aid).status == "active"

    # Year 10's cases are no bigger than year 1's at the same points: around the 6th and the 11th report.
    for what in ("follow_up", "follow_up_period_waiting", "follow_up_period"):
        for point in (6, 11):
            first, last = sizes[1][point][what], sizes[10][point][what]
            assert abs(last - first) <= 0.10 * first, (what, point, first, last)

    # And every case, while it waits, after each report and as finally stored, stays within the state
    # budget and no bigger than in year 1.
    largest: dict[str, dict[int, int]] = {kind: {} for kind in KINDS}  # kind -> year -> largest state seen
    for year, per_report in sizes.items():
        for measured in per_report.values():
            for what, size in measured.items():
                kind = "follow_up_period" if what.startswith("follow_up_period") else what
                largest[kind][year] = max(largest[kind].get(year, 0), size)
    for number, case in enumerate(years, 1):
        largest["follow_up"][number] = max(largest["follow_up"][number], len(anna.case(case.id).state))
    for n, case in enumerate(periods):
        number = n // 12 + 1
        largest["follow_up_period"][number] = max(largest["follow_up_period"][number], len(anna.case(case.id).state))
    for kind in KINDS:
        assert max(largest[kind].values()) <= 1.10 * largest[kind][1], (kind, largest[kind])
        assert all(size < STATE_BUDGET for size in largest[kind].values()), (
            f"{kind} state per year (largest, characters): {largest[kind]}; budget {STATE_BUDGET}")
