"""Reading and writing the case row on the command path with prepared statements.

Every command loads one case row and writes it back. Through the ORM's unit of work that costs about
a millisecond each on this hardware, more than the engine step itself; a plain UPDATE guarded by
the row's lock_version does the same in a tenth of it. The Case object stays an ordinary ORM
instance: after the write its attributes are marked as stored, so a later flush sends nothing twice
and checks against the new lock_version.
"""
from __future__ import annotations

from sqlalchemy import bindparam, func, insert, inspect, select, update
from sqlalchemy.orm import Session, defer, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class, set_committed_value

from engine.errors import StaleCase
from engine.held_writes import CASE, held_row, write
from engine.models import Case, Deployment, OpenTask

_CASES = Case.__table__
# What a command may change on a case; written together, whatever changed.
MUTABLE = ("deployment_id", "status", "business_key", "title", "volunteer_id", "client_id", "assignment_id",
           "subject_name", "subject_pnr", "search_text", "state", "serializer_version", "failure",
           "updated_at", "ended_at")

# A command needs its version's id and hash (the parsed spec is cached by them), never the version's
# files: tens of KB of BPMN read and parsed again on every command otherwise (PostgreSQL: ~10 ms).
WITHOUT_MODEL_FILES = joinedload(Case.deployment).defer(Deployment.files)
_BY_ID = (select(Case).where(Case.id == bindparam("case_id")).options(WITHOUT_MODEL_FILES)
          .execution_options(populate_existing=True))
_LOCKED_BY_ID = _BY_ID.with_for_update(of=Case)
# A request that works a task reads the task (who may work it) and then locks its case: one
# statement for both saves the command a round trip (~0.4 ms on PostgreSQL here, a tenth of an API
# completion).
_TASK_AND_LOCKED_CASE = (select(OpenTask, Case).join(Case, Case.id == OpenTask.case_id)
                         .where(OpenTask.id == bindparam("task_id")).options(WITHOUT_MODEL_FILES)
                         .with_for_update(of=Case).execution_options(populate_existing=True))
_LOCKED_AHEAD = "kompis.cases_locked_ahead"
_WRITE = (update(_CASES)
          .where(_CASES.c.id == bindparam("w_id"), _CASES.c.lock_version == bindparam("w_lock"))
          .values({column: bindparam("w_" + column) for column in MUTABLE} | {"lock_version": bindparam("w_next")}))
_INSERT = insert(_CASES).returning(_CASES.c.id)
_INSERT_WITH_ID = insert(_CASES)
# On PostgreSQL a new case's id is drawn from the table's sequence by the read that comes before
# its INSERT (the process's latest version). The INSERT then waits among the command's held writes
# and goes out with them, already holding the case's state after its first steps: one round trip
# and one statement fewer per start than INSERT ... RETURNING id now and UPDATE at the end.
NEW_CASE_ID = func.nextval(func.pg_get_serial_sequence("cases", "id"))
_VERSION_WITHOUT_FILES = [defer(Deployment.files)]
_NEW_CASE = manager_of_class(Case).new_instance
_STALE = "Ärendet ändrades av någon annan samtidigt. Ladda om och försök igen."


def load_case(session: Session, case_id: int, *, lock: bool = False) -> Case | None:
    """The case as stored now (with its version, without the version's files), row-locked if `lock`.
    A lock taken ahead with the case's task (`task_with_locked_case`) in this transaction serves the
    first locking read that follows, in its place."""
    if lock:
        case = _locked_ahead(session).pop(case_id, None)
        if case is not None:
            return case
    return session.scalars(_LOCKED_BY_ID if lock else _BY_ID, {"case_id": case_id}).first()


def task_with_locked_case(session: Session, task_id: str) -> OpenTask | None:
    """The open task as stored now, its case row locked and loaded for the command that follows
    (None: no such open task, nothing locked)."""
    row = session.execute(_TASK_AND_LOCKED_CASE, {"task_id": task_id}).first()
    if row is None:
        return None
    task, case = row
    _locked_ahead(session)[case.id] = case  # held here: the identity map alone keeps it only weakly
    return task


def _locked_ahead(session: Session) -> dict:
    """Cases locked ahead in the session's innermost transaction: a SAVEPOINT rolled back releases its
    row locks, so what one took is never served outside it, nor anything after a commit."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    held = session.info.get(_LOCKED_AHEAD)
    if held is None or held[0] is not transaction:
        held = session.info[_LOCKED_AHEAD] = (transaction, {})
    return held[1]


def case_from_row(session: Session, row: dict) -> Case:
    """A persistent Case of this session from a cases row read along with something else (the
    scheduler's claim), without reading it again. Its version comes from the session, or is read
    once per session without its files."""
    existing = session.identity_map.get(session.identity_key(Case, row["id"]))
    if existing is not None:
        return load_case(session, row["id"])  # refreshed, like every command's read
    # A batch of timers mostly shares a few versions: found in the session without session.get's
    # option handling (a twentieth of a millisecond per case).
    deployment = session.identity_map.get(session.identity_key(Deployment, row["deployment_id"]))
    if deployment is None:
        deployment = session.get(Deployment, row["deployment_id"], options=_VERSION_WITHOUT_FILES)
    return _as_stored(session, row, deployment)


def insert_case(session: Session, deployment: Deployment, *, case_id: int | None = None, **values) -> Case:
    """Store a new case row and return it as a persistent Case of this session. With `case_id`
    (drawn by NEW_CASE_ID) the INSERT is a held write (engine.held_writes) that write_case amends."""
    row = {column: None for column in MUTABLE} | {"deployment_id": deployment.id, "lock_version": 1} | values
    if case_id is None:
        row["id"] = session.connection().execute(_INSERT, row).scalar_one()
    else:
        row["id"] = case_id
        write(session, CASE, _INSERT_WITH_ID, [row], case_id=case_id)
    return _as_stored(session, dict(row), deployment)


def _as_stored(session: Session, row: dict, deployment: Deployment) -> Case:
    """The Case of a row that is in the database as given: persistent in `session`, nothing to flush."""
    # The values go into the instance's dict as a query's loading puts them: Case(**row) sent each
    # of the 25 columns through the ORM's change events (a tenth of a millisecond per timer fired).
    case = _NEW_CASE()
    case.__dict__.update(row)
    case.__dict__["deployment"] = deployment
    make_transient_to_detached(case)
    session.add(case)
    return case


def write_case(session: Session, case: Case) -> None:
    """Write the case's columns if nobody changed the row since it was read. Raises StaleCase."""
    if case.deployment is not None:
        case.deployment_id = case.deployment.id
    unsent = held_row(session, _INSERT_WITH_ID, case.id)
    if unsent is not None:  # a new case not yet sent: its INSERT takes what the UPDATE would write
        unsent.update({column: getattr(case, column) for column in MUTABLE},
                      lock_version=case.lock_version + 1)
    else:
        row = {"w_" + column: getattr(case, column) for column in MUTABLE}
        row |= {"w_id": case.id, "w_lock": case.lock_version, "w_next": case.lock_version + 1}
        # Inside engine.held_writes the guard is checked when the batch is sent: a short rowcount
        # there fails the whole batch, which is rolled back as one.
        write(session, CASE, _WRITE, [row], case_id=case.id, must_match=StaleCase(_STALE))
    set_committed_value(case, "lock_version", case.lock_version + 1)
    # Every column a command may change was just written: the instance is now as stored. Without
    # this the session would still count it as modified, send it again and walk it in every later
    # flush. `_commit_all` is what the ORM itself runs on an instance after flushing it.
    inspect(case)._commit_all(case.__dict__, session.identity_map)
