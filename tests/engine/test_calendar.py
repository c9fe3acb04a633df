"""Deadlines as a municipality counts them: Stockholm time, weekends and Swedish holidays skipped."""
from __future__ import annotations

from datetime import date

import pytest

from engine import calendar


def test_add_months_clamps_to_the_end_of_the_month():
    assert calendar.add_months("2026-01-31", 1) == "2026-02-28"
    assert calendar.add_months("2028-01-31", 1) == "2028-02-29"
    assert calendar.add_months("2026-11-30", 3) == "2027-02-28"
    assert calendar.add_months("2026-03-15", -3) == "2025-12-15"


def test_anniversary_of_29_february_is_28_february():
    assert calendar.anniversary("2028-02-29") == "2029-02-28"
    assert calendar.anniversary("2028-02-29", 4) == "2032-02-29"


def test_end_of_day_follows_daylight_saving_time():
    assert calendar.end_of_day("2026-01-15") == "2026-01-15T23:59:59+01:00"
    assert calendar.end_of_day("2026-07-15") == "2026-07-15T23:59:59+02:00"
    assert calendar.end_of_day("2026-03-29") == "2026-03-29T23:59:59+02:00"  # the day clocks go forward


@pytest.mark.parametrize("period,expected", [
    ("2026-01", "2026-02-10T23:59:59+01:00"),   # a Tuesday
    ("2026-04", "2026-05-11T23:59:59+02:00"),   # 10 May is a Sunday
    ("2026-12", "2027-01-11T23:59:59+01:00"),   # 10 Jan 2027 is a Sunday
])
def test_monthly_report_deadline_is_the_tenth_moved_past_weekends(period, expected):
    assert calendar.monthly_report_deadline(period) == expected


def test_monthly_report_deadline_moves_past_holidays():
    assert calendar.monthly_report_deadline("2026-12", day=6) == "2027-01-07T23:59:59+01:00"  # Trettondedag jul
    assert calendar.monthly_report_deadline("2026-05", day=6) == "2026-06-08T23:59:59+02:00"  # Nationaldagen (Sat)
    assert calendar.monthly_report_deadline("2026-05", day=19) == "2026-06-22T23:59:59+02:00"  # midsommarafton


def test_christmas_and_new_years_eve_are_not_working_days():
    assert not calendar.is_working_day(date(2026, 12, 24))
    assert not calendar.is_working_day(date(2026, 12, 31))
    assert calendar.next_working_day("2026-12-24") == "2026-12-28"


def test_age_on_a_date_from_personnummer():
    assert calendar.age_on("19811218-9876", "2026-12-17", today=date(2026, 1, 1)) == 44
    assert calendar.age_on("19811218-9876", "2026-12-18", today=date(2026, 1, 1)) == 45
    assert calendar.age_on("811218-9876", today=date(2026, 1, 1)) == 44
