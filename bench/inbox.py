"""The inbox's first page: 50 tasks of one group in due-date order, read from open_tasks only.

Measured as the query itself (what `engine.inbox` hands the web layer, executed on a read-only
session: the goal), the tab's total counted by `engine.inbox.count_statement`, and the API list
(the web layer's own count wrapped around the query, and JSON).
"""
from __future__ import annotations

import time

from sqlalchemy import select

from bench.common import timing
from engine.clock import SystemClock
from engine.inbox import InboxFilter, count_statement, inbox_query
from engine.models import User

PER_PAGE = 50


def first_page_query(readers, username: str, n: int = 200) -> dict:
    with readers() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        session.expunge(user)
    clock = SystemClock()
    timings, rows = [], 0
    for _ in range(n):
        began = time.perf_counter()
        with readers() as session:
            rows = len(session.execute(inbox_query(user, InboxFilter(scope="group"), clock.now())
                                       .limit(PER_PAGE)).all())
        timings.append(time.perf_counter() - began)
    return {**timing(timings), "rows": rows}


def tab_count(readers, username: str, n: int = 50) -> dict:
    """The tab's total as `engine.inbox.count_statement` counts it (open_tasks' index alone)."""
    with readers() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        session.expunge(user)
    timings, total = [], 0
    for _ in range(n):
        began = time.perf_counter()
        with readers() as session:
            total = session.scalar(count_statement(user, InboxFilter(scope="group"), SystemClock().now()))
        timings.append(time.perf_counter() - began)
    return {**timing(timings), "total": total}


def api_list(client, token: str, n: int = 100) -> dict:
    timings, total = [], None
    for i in range(n):
        began = time.perf_counter()
        response = client.get("/api/v1/tasks?scope=group&per_page=50", headers={"Authorization": f"Bearer {token}"},
                              environ_overrides={"REMOTE_ADDR": f"127.3.{i // 250}.{i % 250 + 1}"})
        timings.append(time.perf_counter() - began)
        total = response.get_json()["total"]
    return {**timing(timings), "total": total}

