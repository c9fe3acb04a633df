"""/api/v1/cases and /api/v1/messages: start, show (open tasks and history), cancel; correlate messages."""
from __future__ import annotations

from flask import abort, g
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

import engine
from engine.access import can_view_case, open_case
from engine.bpmn.state import load_state
from engine.deployments import compiled_model
from engine.errors import NoWaitingCase, PermissionDenied
from engine.messages import cases_waiting_for
from engine.models import Case, Event, OpenTask
from web import database
from web.api import token_required
from web.api.schemas import CancelIn, CaseDetailOut, CaseOut, CaseStartIn, ErrorOut, MessageIn, MessageOut

blp = Blueprint("cases_api", __name__, url_prefix="/api/v1", description="Ärenden och meddelanden")
STARTERS = ("caseworker", "unit_manager")
MAX_ID = 2**31 - 1  # ids are 32-bit; a larger one is simply not found (SQLite cannot even bind it)


def _out(case: Case) -> dict:
    return {"id": case.id, "process_key": case.process_key, "version": case.version, "status": case.status}


@blp.route("/cases")
class Cases(MethodView):
    @token_required(*STARTERS)
    @blp.arguments(CaseStartIn)
    @blp.response(201, CaseOut)
    @blp.alt_response(404, schema=ErrorOut)
    @blp.alt_response(409, schema=ErrorOut)
    @blp.alt_response(422, schema=ErrorOut)
    def post(self, body):
        """Start the latest version of a process with data."""
        db = database.session()
        case = engine.start_case(db, body["process_key"], body["data"], user=g.api_user.username,
                                 clock=database.clock(), business_key=body.get("business_key"))
        db.commit()
        return _out(case)


@blp.route(f"/cases/<int(max={MAX_ID}):case_id>")
class CaseResource(MethodView):
    @token_required()
    @blp.response(200, CaseDetailOut)
    @blp.alt_response(403, schema=ErrorOut)
    @blp.alt_response(404, schema=ErrorOut)
    def get(self, case_id):
        """Status, data, open tasks and history of a case (the read is logged)."""
        db = database.session()
        case = db.get(Case, case_id)
        if case is None:
            abort(404)
        open_case(db, g.api_user, case_id, clock=database.clock(), what="api:case")
        db.commit()
        reader = database.reader()
        model = compiled_model(case.deployment)
        workflow = load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs)
        data = workflow.data if case.status == "completed" else (workflow.last_task.data if workflow.last_task else {})
        return {**_out(case), "business_key": case.business_key, "subject_name": case.subject_name,
                "failure": case.failure, "data": dict(data),
                "open_tasks": reader.scalars(select(OpenTask).where(OpenTask.case_id == case_id)).all(),
                "history": reader.scalars(select(Event).where(Event.case_id == case_id, Event.kind != "case_viewed")
                                          .order_by(Event.at, Event.id)).all()}


@blp.route(f"/cases/<int(max={MAX_ID}):case_id>/cancel")
class CancelCase(MethodView):
    @token_required("unit_manager")
    @blp.arguments(CancelIn)
    @blp.response(200, CaseOut)
    @blp.alt_response(404, schema=ErrorOut)
    @blp.alt_response(409, schema=ErrorOut)
    def post(self, body, case_id):
        """Cancel a running case (managers)."""
        db = database.session()
        case = engine.cancel_case(db, case_id, user=g.api_user.username, clock=database.clock(),
                                  reason=body["reason"])
        db.commit()
        return _out(case)


@blp.route("/messages")
class Messages(MethodView):
    @token_required()
    @blp.arguments(MessageIn)
    @blp.response(202, MessageOut)
    @blp.alt_response(403, schema=ErrorOut, description="Processägare skickar inte meddelanden")
    @blp.alt_response(404, schema=ErrorOut, description="Inget ärende som du får se väntar på meddelandet")
    @blp.alt_response(422, schema=ErrorOut)
    def post(self, body):
        """Deliver a message by name and correlation key (or start the process it starts)."""
        if g.api_user.role == "process_owner":
            raise PermissionDenied("Processägare skickar inte meddelanden till ärenden.")
        db = database.session()
        waiting = cases_waiting_for(db, body["name"], body["correlation_key"])
        if any(not can_view_case(db, g.api_user, case_id) for case_id in waiting):
            # Need-to-know: a caseworker may not write into, nor learn of, a case they may not see.
            # Answered exactly as if nothing waited: even that a case exists is personal data.
            raise NoWaitingCase(f"Inget ärende väntar på meddelandet '{body['name']}' med den nyckeln, "
                                "och ingen process startar med det.")
        cases = engine.correlate_message(db, body["name"], body["correlation_key"], body["payload"],
                                         user=g.api_user.username, clock=database.clock())
        db.commit()
        return {"cases": [case.id for case in cases]}
