"""One spelling of a personnummer everywhere: YYYYMMDD-NNNN, checked with python-stdnum (Luhn, date)."""
from __future__ import annotations

from stdnum.se import personnummer


def is_valid(value) -> bool:
    return bool(value) and personnummer.is_valid(str(value))


def canonical(value) -> str:
    """'8112189876', '811218-9876' and '198112189876' all become '19811218-9876'. Raises ValueError."""
    text = str(value or "")
    if not personnummer.is_valid(text):
        raise ValueError(f"ogiltigt personnummer: {value}")
    compact = personnummer.compact(text)
    born = personnummer.get_birth_date(compact)
    return f"{born:%Y%m%d}-{compact[-4:]}"


def masked(value) -> str:
    """For lists: only the last four digits shown."""
    text = str(value or "")
    return f"XXXXXXXX-{text[-4:]}" if len(text) >= 4 else ""
