"""Bytes stored per finished case (state plus its event history), and a web worker's memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import LargeBinary, cast, func, select

from engine.models import Case, Event

FINISHED = ("completed", "cancelled")
EVENT_ROW_FIXED = 3 * 8  # id, case_id, at: the columns that are not text


def _size(db, column):
    """Bytes a value occupies: on PostgreSQL as stored (TOAST-compressed), on SQLite its UTF-8 length."""
    if db.dialect.name == "postgresql":
        return func.coalesce(func.pg_column_size(column), 0)
    return func.coalesce(func.length(cast(column, LargeBinary)), 0)


def bytes_per_finished_case(db) -> dict:
    finished = select(Case.id).where(Case.status.in_(FINISHED))
    with db.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(finished.subquery()))
        state = conn.scalar(select(func.sum(_size(db, Case.state))).where(Case.status.in_(FINISHED))) or 0
        events = conn.scalar(select(func.sum(_size(db, Event.data) + _size(db, Event.actor) + _size(db, Event.kind)
                                             + _size(db, Event.element_id) + _size(db, Event.task_id)
                                             + EVENT_ROW_FIXED))
                             .where(Event.case_id.in_(finished))) or 0
        largest = conn.execute(select(Case.process_key, func.avg(_size(db, Case.state)))
                               .where(Case.status.in_(FINISHED)).group_by(Case.process_key)).all()
    return {"finished_cases": count, "bytes_per_case": (state + events) / max(count, 1),
            "state_bytes_per_case": state / max(count, 1), "event_bytes_per_case": events / max(count, 1),
            "state_bytes_by_process": {k: float(v) for k, v in largest}}


def web_worker_memory(url: str, token: str, requests: int = 60) -> dict:
    """Resident memory of a fresh process serving the app (inbox lists, task pages) at this size."""
    out = subprocess.run([sys.executable, "-m", "bench.worker_memory", url, token, str(requests)],
                         capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": os.getcwd()},
                         cwd=os.getcwd())
    return json.loads(out.stdout.strip().splitlines()[-1])
