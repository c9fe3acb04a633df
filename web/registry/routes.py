"""Registry pages: the volunteer pool, clients, assignments. Lists only; changes happen in processes."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from engine.calendar import monthly_report_deadline
from engine.models import Assignment, Case, Client, Volunteer
from engine.models.registry import VOLUNTEER_STATUSES
from web import database
from engine.events import record_event
from web.auth import current_user, login_required

bp = Blueprint("registry", __name__)
PER_PAGE = 50
STATUS_LABELS = {"applicant": _l("Sökande"), "approved_waiting": _l("Godkänd, väntar"),
                 "assigned": _l("Har uppdrag"), "paused": _l("Pausad"), "left": _l("Avslutad"),
                 "rejected": _l("Ej godkänd"), "planned": _l("Planerat"), "active": _l("Aktivt"),
                 "ended": _l("Avslutat")}
VOLUNTEER_SORTS = {"waiting": (Volunteer.waiting_since.is_(None), Volunteer.waiting_since),
                   "name": (Volunteer.last_name, Volunteer.first_name), "area": (Volunteer.area, Volunteer.last_name),
                   "status": (Volunteer.status, Volunteer.last_name)}


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int))


def _log_read(what: str) -> None:
    """Registry lists show personal data: every view goes to the event log."""
    db = database.session()
    record_event(db, database.clock(), actor=current_user().username, kind="registry_viewed", case_id=None,
                 data={"list": what, "page": _page(), "args": request.args.to_dict()})
    db.commit()


@bp.get("/volunteers")
@login_required
def volunteers():
    _log_read("volunteers")
    status = request.args.get("status", "approved_waiting")
    sort = request.args.get("sort", "waiting")
    query = select(Volunteer)
    if status in VOLUNTEER_STATUSES:
        query = query.where(Volunteer.status == status)
    db = database.reader()
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.scalars(query.order_by(*VOLUNTEER_SORTS.get(sort, VOLUNTEER_SORTS["waiting"]), Volunteer.id)
                      .offset((_page() - 1) * PER_PAGE).limit(PER_PAGE)).all()
    counts = dict(db.execute(select(Volunteer.status, func.count()).group_by(Volunteer.status)).all())
    return render_template("volunteers.html", rows=rows, total=total, status=status, sort=sort, counts=counts,
                           statuses=VOLUNTEER_STATUSES, labels=STATUS_LABELS, today=database.clock().today(),
                           page=_page(), per_page=PER_PAGE)


@bp.get("/clients")
@login_required
def clients():
    _log_read("clients")
    db = database.reader()
    active = (select(Assignment.client_id, func.count().label("n")).where(Assignment.status == "active")
              .group_by(Assignment.client_id).subquery())
    rows = db.execute(select(Client, func.coalesce(active.c.n, 0)).outerjoin(active, active.c.client_id == Client.id)
                      .order_by(Client.last_name, Client.first_name).offset((_page() - 1) * PER_PAGE)
                      .limit(PER_PAGE)).all()
    total = db.scalar(select(func.count()).select_from(Client))
    return render_template("clients.html", rows=rows, total=total, page=_page(), per_page=PER_PAGE)


@bp.get("/assignments")
@login_required
def assignments():
    _log_read("assignments")
    status = request.args.get("status", "active")
    volunteer, client = aliased(Volunteer), aliased(Client)
    query = (select(Assignment, volunteer, client).join(volunteer, volunteer.id == Assignment.volunteer_id)
             .join(client, client.id == Assignment.client_id))
    if status in ("planned", "active", "ended"):
        query = query.where(Assignment.status == status)
    db = database.reader()
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.execute(query.order_by(Assignment.started_on.is_(None), Assignment.started_on, Assignment.id)
                      .offset((_page() - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return render_template("assignments.html", rows=rows, total=total, status=status, labels=STATUS_LABELS,
                           page=_page(), per_page=PER_PAGE,
                           next_reports=_next_report_deadlines(db, [a.id for a, _, _ in rows]))


def _next_report_deadlines(db, assignment_ids: list[int]) -> dict[int, datetime]:
    """The deadline of each assignment's earliest month still waiting for its report: the month cases
    (follow_up_period) carry "<assignment>:<YYYY-MM>" as business key."""
    if not assignment_ids:
        return {}
    earliest = db.execute(select(Case.assignment_id, func.min(Case.business_key))
                          .where(Case.process_key == "follow_up_period", Case.status == "running",
                                 Case.assignment_id.in_(assignment_ids))
                          .group_by(Case.assignment_id)).all()
    return {aid: datetime.fromisoformat(monthly_report_deadline(key.split(":")[1]))
            for aid, key in earliest if key and ":" in key}
