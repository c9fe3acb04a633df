"""/ : the start page, the caseworker's inbox of open tasks in their groups."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from engine.models import OpenTask
from web import database
from web.auth import current_user, login_required

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    user = current_user()
    query = select(OpenTask).order_by(OpenTask.due_at.is_(None), OpenTask.due_at, OpenTask.created_at).limit(50)
    if user.role not in ("admin", "unit_manager"):
        query = query.where((OpenTask.group.in_(user.groups or [])) | (OpenTask.assignee == user.username))
    tasks = database.reader().scalars(query).all()
    return render_template("inbox.html", tasks=tasks, now=database.clock().now())
