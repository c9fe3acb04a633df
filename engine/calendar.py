"""Calendar arithmetic for deadlines: Europe/Stockholm, DST-correct, past weekends and Swedish holidays.

Diagram scripts get these as whitelisted helpers; all of them take and give ISO strings so that task
data stays JSON.
"""
from __future__ import annotations

import calendar as _cal
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from stdnum.se import personnummer

from engine.clock import STOCKHOLM


def to_date(value) -> date:
    """A date from a date, datetime or ISO string (a datetime is read in Europe/Stockholm)."""
    if isinstance(value, datetime):
        return value.astimezone(STOCKHOLM).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return date.fromisoformat(text)
        return to_date(datetime.fromisoformat(text))
    raise ValueError(f"'{value}' är inget datum (ÅÅÅÅ-MM-DD)")


def add_days(value, days: int) -> str:
    return (to_date(value) + timedelta(days=int(days))).isoformat()


def add_months(value, months: int) -> str:
    """Calendar months; the day is clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    start = to_date(value)
    index = start.year * 12 + (start.month - 1) + int(months)
    year, month = divmod(index, 12)
    day = min(start.day, _cal.monthrange(year, month + 1)[1])
    return date(year, month + 1, day).isoformat()


def add_years(value, years: int) -> str:
    return add_months(value, 12 * int(years))


def anniversary(value, years: int = 1) -> str:
    """The date `years` after `value`; 29 February falls on 28 February in other years."""
    return add_years(value, years)


def days_between(start, end) -> int:
    return (to_date(end) - to_date(start)).days


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    days = set(holidays.Sweden(years=year, include_sundays=False))
    # Midsummer Eve, Christmas Eve and New Year's Eve are not public holidays by law, but
    # municipal offices are closed; a deadline must not fall on them.
    midsummer = next(d for d in days if d.month == 6 and d.weekday() == 5 and 20 <= d.day <= 26)
    days |= {midsummer - timedelta(days=1), date(year, 12, 24), date(year, 12, 31)}
    return frozenset(days)


def is_working_day(value) -> bool:
    day = to_date(value)
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(value) -> str:
    """The date itself, or the first later day that is neither a weekend nor a Swedish holiday."""
    day = to_date(value)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day.isoformat()


def end_of_day(value) -> str:
    """23:59:59 of that date in Europe/Stockholm, with the offset in force that day (DST-correct)."""
    return datetime.combine(to_date(value), time(23, 59, 59), tzinfo=STOCKHOLM).isoformat()


def monthly_report_deadline(period: str, day: int = 10) -> str:
    """End of day on `day` of the month after `period` ('YYYY-MM'), moved past weekends and holidays."""
    year, month = (int(part) for part in str(period)[:7].split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = min(int(day), _cal.monthrange(year, month)[1])
    return end_of_day(next_working_day(date(year, month, day)))


def age_on(pnr: str, on=None, *, today: date | None = None) -> int:
    """Age in whole years on a date (default today) from a personnummer."""
    born = personnummer.get_birth_date(personnummer.compact(pnr))
    day = to_date(on) if on else today
    if day is None:
        raise ValueError("age_on needs a date")
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
