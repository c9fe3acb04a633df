"""/ : the inbox with its tabs (Mina, Min grupp, Alla), filters, search, sort and paging."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from engine.inbox import (
    DUE_SOON,
    InboxFilter,
    count_statement,
    filter_choices,
    inbox_query,
    scopes_for,
    tab_counts,
)
from engine.models import User
from web import database
from web.auth import current_user, login_required

bp = Blueprint("inbox", __name__)
PER_PAGE = 50


def _filter_from_request(default_scope: str) -> InboxFilter:
    args = request.args
    return InboxFilter(scope=args.get("scope") or default_scope, process_key=args.get("process") or None,
                       name=args.get("type") or None, assignee=args.get("assignee") or None,
                       overdue=args.get("overdue") == "1", due_soon=args.get("soon") == "1",
                       q=(args.get("q") or "").strip()[:100] or None, sort=args.get("sort") or "due")


@bp.get("/")
@login_required
def index():
    user = current_user()
    db = database.reader()
    now = database.clock().now()
    flt = _filter_from_request("group" if user.groups else "mine")
    if flt.scope not in scopes_for(user):
        flt.scope = "group"
    page = max(1, request.args.get("page", 1, type=int))
    query = inbox_query(user, flt, now)
    total = db.scalar(count_statement(user, flt, now))  # from open_tasks' indexes, not the page query
    rows = db.execute(query.offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    colleagues = db.scalars(select(User).where(User.active.is_(True)).order_by(User.username)).all()
    return render_template("inbox.html", rows=rows, total=total, page=page, per_page=PER_PAGE, flt=flt,
                           counts=tab_counts(db, user), scopes=scopes_for(user), choices=filter_choices(db, user),
                           now=now, soon=now + DUE_SOON, colleagues=colleagues,
                           can_reassign=user.role in ("unit_manager", "admin"))
