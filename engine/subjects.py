"""Who a case is about, kept on the case row so the inbox can show and search it without
deserializing anything: the client and/or the volunteer from the registry, else the case data."""
from __future__ import annotations

from sqlalchemy import bindparam, literal_column, select, union_all
from sqlalchemy.orm import Session

from engine.held_writes import READS_NOTHING_HELD
from engine.models import Case, Client, Volunteer

SUBJECT_KEYS = ("volunteer_id", "client_id", "assignment_id")
# Names a process may carry before the registry knows the person (e.g. an interest registration).
DATA_NAMES = (("first_name", "last_name", "personnummer"),
              ("client_first_name", "client_last_name", "client_personnummer"))


_CLIENTS, _VOLUNTEERS = Client.__table__, Volunteer.__table__
# Both people in one round trip, client first. Runs on every save: plain columns, not ORM objects.
_PEOPLE = union_all(
    select(literal_column("1").label("rank"), _CLIENTS.c.first_name, _CLIENTS.c.last_name, _CLIENTS.c.personnummer)
    .where(_CLIENTS.c.id == bindparam("client_id")),
    select(literal_column("2"), _VOLUNTEERS.c.first_name, _VOLUNTEERS.c.last_name, _VOLUNTEERS.c.personnummer)
    .where(_VOLUNTEERS.c.id == bindparam("volunteer_id"))).order_by("rank").execution_options(**READS_NOTHING_HELD)


def _as_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def refresh_subject(session: Session, case: Case, data: dict) -> None:
    """Update the case's subject references, display name, personnummer and search text."""
    for key in SUBJECT_KEYS:
        value = _as_id(data.get(key))
        if value is not None:
            setattr(case, key, value)
    people = []
    if case.client_id or case.volunteer_id:
        if any(isinstance(row, (Client, Volunteer)) for row in (*session.new, *session.dirty)):
            session.flush()  # a registry change made by this very command counts
        people = [(f"{first} {last}".strip(), number) for _, first, last, number in session.connection().execute(
            _PEOPLE, {"client_id": case.client_id, "volunteer_id": case.volunteer_id})]
    if not people:
        for first, last, number in DATA_NAMES:
            name = f"{data.get(first) or ''} {data.get(last) or ''}".strip()
            if name:
                people.append((name, data.get(number) if isinstance(data.get(number), str) else None))
                break
    if not people:
        return
    case.subject_name = " / ".join(name for name, _ in people)[:300]
    case.subject_pnr = people[0][1]
    case.search_text = " ".join(f"{name} {(pnr or '').replace('-', '')}" for name, pnr in people).lower()[:1000]
