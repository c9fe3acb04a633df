"""/api/v1/volunteers, /clients, /assignments: registry lists with filters and paging (reads logged)."""
from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from engine.events import record_event
from engine.models import Assignment, Client, Volunteer
from web import database
from web.api import token_required
from web.api.schemas import AssignmentOut, ClientOut, RegistryArgs, VolunteerOut, page_of

blp = Blueprint("registry_api", __name__, url_prefix="/api/v1", description="Register")
READERS = ("caseworker", "unit_manager")


def _page(model, order, args, status_column=None):
    query = select(model)
    if args.get("status") and status_column is not None:
        query = query.where(status_column == args["status"])
    db = database.reader()
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    items = db.scalars(query.order_by(*order).offset((args["page"] - 1) * args["per_page"])
                       .limit(args["per_page"])).all()
    log = database.session()
    record_event(log, database.clock(), actor=g.api_user.username, kind="registry_viewed", case_id=None,
                 data={"list": model.__tablename__, "page": args["page"]})
    log.commit()
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/volunteers")
class Volunteers(MethodView):
    @token_required(*READERS)
    @blp.arguments(RegistryArgs, location="query")
    @blp.response(200, page_of(VolunteerOut))
    def get(self, args):
        """Volunteers (filter by status), longest waiting first."""
        return _page(Volunteer, (Volunteer.waiting_since.is_(None), Volunteer.waiting_since, Volunteer.id), args,
                     Volunteer.status)


@blp.route("/clients")
class Clients(MethodView):
    @token_required(*READERS)
    @blp.arguments(RegistryArgs, location="query")
    @blp.response(200, page_of(ClientOut))
    def get(self, args):
        """Clients by name."""
        return _page(Client, (Client.last_name, Client.first_name, Client.id), args)


@blp.route("/assignments")
class Assignments(MethodView):
    @token_required(*READERS)
    @blp.arguments(RegistryArgs, location="query")
    @blp.response(200, page_of(AssignmentOut))
    def get(self, args):
        """Assignments (filter by status), next report deadline first."""
        return _page(Assignment, (Assignment.next_report_due.is_(None), Assignment.next_report_due, Assignment.id),
                     args, Assignment.status)
