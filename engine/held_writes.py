"""Hold a batch's row writes and send each kind of statement once, as one executemany.

A batch of timer firings writes the same few statements for every case it wakes (the case row, the
timer gone, the next task or timer). Sent one by one that is three or four round trips per case;
held until the batch ends (or until anything else is about to run on the connection) they go out
as one executemany per statement, which psycopg sends as one pipeline: a round trip per kind of
statement for the whole batch.

What keeps it correct:
- Any other statement on the connection (a read, an ORM flush, a SAVEPOINT, a commit) first sends
  what is held, so nothing ever reads around a held write. The exception is a read marked
  `READS_NOTHING_HELD` (e.g. who a case is about, from the registry tables that held writes
  never touch): otherwise one such read per case would send the batch case by case.
- Held writes go out in phases: case rows, then deletes, then updates, then inserts; within a phase
  in the order each statement was first held. A case's own writes never need another order (a save
  deletes a query row before it adds its successor), and different cases' rows are different rows.
  A case held a second time sends everything held first.
- A write that must hit exactly its rows (the case row's lock_version guard) is checked when it is
  sent, for all its rows at once.
- A case's row held with its id (`write(..., case_id=...)`) can be changed until it is sent
  (`held_row`): a new case's INSERT, held at the start, is sent with the state its first steps left.
  Being in the first phase it goes out before every row that refers to the case.
- On an exception inside the block the held writes are dropped: use the block only where a failure
  rolls the whole transaction back.

On PostgreSQL what is held goes out as one psycopg pipeline: every statement is sent before any
answer is awaited, so a command's five writes (the case, its old and new task, its notification,
its events) cost one round trip instead of five. Inside a pipeline psycopg knows a statement's
rowcount only after the pipeline ends, and SQLAlchemy reads it at once, so these statements are
compiled once by SQLAlchemy and run on the driver's own cursors; the cursor events are still
dispatched, so whatever counts statements still sees them.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

CASE, DELETE, UPDATE, INSERT = range(4)  # the phases, sent in this order
_KEY = "kompis.held_writes"
_INDEPENDENT = "kompis_reads_nothing_held"
READS_NOTHING_HELD = {_INDEPENDENT: True}  # .execution_options(**READS_NOTHING_HELD) on such a read


@dataclass
class _Held:
    groups: dict = field(default_factory=dict)  # (phase, statement) -> [params], first-held order
    must_match: dict = field(default_factory=dict)  # (phase, statement) -> error raised on a short rowcount
    cases: set = field(default_factory=set)
    case_rows: dict = field(default_factory=dict)  # (statement, case id) -> the row held for that case

    def take(self) -> list:
        order = sorted(self.groups, key=lambda key: key[0])  # stable: first-held order within a phase
        taken = [(key[1], self.groups[key], self.must_match.get(key)) for key in order]
        self.groups, self.must_match, self.cases, self.case_rows = {}, {}, set(), {}
        return taken


def write(session: Session, phase: int, statement, rows: list[dict], *, case_id: int | None = None,
          must_match=None) -> None:
    """Run `statement` for each of `rows`, now or, inside `held_writes`, with the batch's others.
    `must_match`: an exception (instance) raised unless every row matched one database row."""
    connection = session.connection()
    held = connection.info.get(_KEY)
    if held is None:
        _run(connection, statement, rows, must_match)
        return
    if case_id is not None:
        if case_id in held.cases:
            _send(connection, held)
        held.cases.add(case_id)
        if len(rows) == 1:
            held.case_rows[(statement, case_id)] = rows[0]
    key = (phase, statement)
    held.groups.setdefault(key, []).extend(rows)
    if must_match is not None:
        held.must_match[key] = must_match


def held_row(session: Session, statement, case_id: int) -> dict | None:
    """The row `write` holds for `statement` and the case, while it is still unsent: changing it
    changes what will be written (a new case's INSERT then carries its state after its first steps)."""
    held = session.connection().info.get(_KEY)
    return None if held is None else held.case_rows.get((statement, case_id))


@contextmanager
def held_writes(session: Session):
    """Hold the block's `write` calls and send them when it ends (see the module's rules)."""
    connection = session.connection()
    if _KEY in connection.info:  # nested: the outer block sends
        yield
        return
    held = connection.info[_KEY] = _Held()
    try:
        yield
        _send(connection, held)
    finally:
        del connection.info[_KEY]


def _run(connection: Connection, statement, rows: list[dict], must_match) -> None:
    result = connection.execute(statement, rows if len(rows) > 1 else rows[0])
    if must_match is not None and result.rowcount != len(rows):
        raise must_match


def _send(connection: Connection, held: _Held) -> None:
    taken = held.take()
    if len(taken) > 1 and connection.dialect.name == "postgresql":
        prepared = [_prepared(connection, statement, rows) for statement, rows, _ in taken]
        if None not in prepared:
            _run_pipelined(connection, taken, prepared)
            return
    for statement, rows, must_match in taken:
        _run(connection, statement, rows, must_match)


@dataclass(frozen=True)
class _Prepared:
    """A statement as the driver takes it: SQL text and what turns a row into its parameters."""
    compiled: object
    processors: tuple  # (parameter name, bind processor)

    def parameters(self, row: dict) -> dict:
        values = self.compiled.construct_params(row)
        for name, process in self.processors:
            values[name] = process(values[name])
        return values


_PREPARED: dict = {}  # (statement, dialect name, the rows' keys) -> _Prepared, or None: not pipelinable


def _prepared(connection: Connection, statement, rows: list[dict]) -> _Prepared | None:
    key = (statement, connection.dialect.name, tuple(rows[0]))
    if key not in _PREPARED:
        _PREPARED[key] = _compile(connection.dialect, statement, list(rows[0]))
    return _PREPARED[key]


def _compile(dialect, statement, keys: list[str]) -> _Prepared | None:
    # As for an executemany: no RETURNING of a new primary key, which nothing held reads.
    compiled = statement.compile(dialect=dialect, column_keys=keys, for_executemany=True)
    # Python-side column defaults, expanding IN lists and RETURNING need SQLAlchemy's execution
    # context: such a statement goes the ordinary way (none of Kompis' held writes is one).
    if (compiled.insert_prefetch or compiled.update_prefetch or compiled.literal_execute_params
            or compiled.post_compile_params or compiled.effective_returning):
        return None
    processors = []
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((compiled.escaped_bind_names.get(name, name), process))
    return _Prepared(compiled, tuple(processors))


def _run_pipelined(connection: Connection, taken: list, prepared: list[_Prepared]) -> None:
    """Send every statement in one pipeline; check the rowcounts once the answers are in."""
    driver = connection.connection.driver_connection
    sent = []
    sql = params = None
    try:
        with driver.pipeline():
            for (_, rows, must_match), statement in zip(taken, prepared):
                sql, params = statement.compiled.string, [statement.parameters(row) for row in rows]
                many = len(params) > 1
                cursor = driver.cursor()
                connection.dispatch.before_cursor_execute(connection, cursor, sql, params, None, many)
                if many:
                    cursor.executemany(sql, params)
                else:
                    cursor.execute(sql, params[0])
                sent.append((cursor, sql, params, many, len(rows), must_match))
    except connection.dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy's own execution would: its exception classes, and a lost connection is dropped.
        lost = connection.dialect.is_disconnect(exc, driver, None)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, connection.dialect.loaded_dbapi.Error,
                                  connection_invalidated=lost, dialect=connection.dialect) from exc
    for cursor, sql, params, many, count, must_match in sent:
        connection.dispatch.after_cursor_execute(connection, cursor, sql, params, None, many)
        matched = cursor.rowcount
        cursor.close()
        if must_match is not None and matched != count:
            raise must_match


@event.listens_for(Engine, "before_execute")
def _send_before_anything_else(connection, clauseelement, multiparams, params, execution_options):
    held = connection.info.get(_KEY)
    if held is None or not held.groups:
        return
    if not (isinstance(clauseelement, Executable) and clauseelement.get_execution_options().get(_INDEPENDENT)):
        _send(connection, held)  # take() empties it first: the sends themselves pass straight through


@event.listens_for(Engine, "commit")
def _send_before_commit(connection):
    held = connection.info.get(_KEY)
    if held is not None and held.groups:
        _send(connection, held)


@event.listens_for(Engine, "rollback")
def _drop_on_rollback(connection):
    held = connection.info.get(_KEY)
    if held is not None:
        held.take()
