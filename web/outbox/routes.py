"""/outbox: every notification the engine queued, its status and delivery attempts."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import func, select

from engine.models import Notification
from engine.notify import requeue
from web import database
from web.auth import roles_required

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
PER_PAGE = 50
STATUS_LABELS = {"pending": "Väntar", "sent": "Skickat", "failed": "Misslyckades"}


@bp.get("")
@roles_required("unit_manager")
def index():
    status = request.args.get("status") or None
    page = max(1, request.args.get("page", 1, type=int))
    query = select(Notification)
    if status in STATUS_LABELS:
        query = query.where(Notification.status == status)
    db = database.reader()
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                      .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return render_template("outbox.html", rows=rows, total=total, page=page, per_page=PER_PAGE, status=status,
                           labels=STATUS_LABELS)


@bp.post("/<int:notification_id>/requeue")
@roles_required("unit_manager")
def requeue_one(notification_id: int):
    db = database.session()
    if db.get(Notification, notification_id) is not None:
        requeue(db, notification_id, clock=database.clock())
        db.commit()
    return redirect(url_for("outbox.index", status="failed"))
