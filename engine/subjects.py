"""Who a case is about, kept on the case row so the inbox can show and search it without
deserializing anything: the client and/or the volunteer from the registry, else the case data."""
from __future__ import annotations

from itertools import chain

from sqlalchemy import bindparam, event, literal_column, select, union_all
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


_REGISTRY_WRITES = "kompis.registry_writes"
READ_AT = "read_at"  # in engine.derived's StoredRows: registry_writes() when the people were read


def registry_writes(session: Session) -> int:
    """How many flushes of this session have written a client or a volunteer."""
    return session.info.get(_REGISTRY_WRITES, 0)


@event.listens_for(Session, "after_flush")
def _count_registry_writes(session, _flush_context):
    if any(isinstance(row, (Client, Volunteer)) for row in chain(session.new, session.dirty, session.deleted)):
        session.info[_REGISTRY_WRITES] = registry_writes(session) + 1


def _pending_registry_change(session: Session) -> bool:
    return any(isinstance(row, (Client, Volunteer)) for row in (*session.new, *session.dirty))


def _read_with_rows(session: Session, case: Case, stored) -> list | None:
    """The people as read with the case's query rows (engine.derived), if that read still holds:
    the case refers to the same people and nothing in this session has written the registry since."""
    if stored is None or stored[READ_AT] != registry_writes(session) or _pending_registry_change(session):
        return None
    people = []
    for kind, person_id in (("client", case.client_id), ("volunteer", case.volunteer_id)):  # client first
        row = stored[kind].get(None)
        if (row.row_id if row is not None else None) != person_id:
            return None
        if row is not None:
            people.append((f"{row.name} {row.key}".strip(), row.form_key))
    return people


def refresh_subject(session: Session, case: Case, data: dict, stored=None) -> None:
    """Update the case's subject references, display name, personnummer and search text. `stored`:
    the case's rows read under its lock, with the people it referred to then."""
    for key in SUBJECT_KEYS:
        value = _as_id(data.get(key))
        if value is not None:
            setattr(case, key, value)
    people = []
    if case.client_id or case.volunteer_id:
        people = _read_with_rows(session, case, stored)
        if people is None:
            if _pending_registry_change(session):
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
