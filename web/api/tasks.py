"""/api/v1/tasks: the inbox over the API, a task with its form, claim / unclaim / assign / complete."""
from __future__ import annotations

from uuid import UUID

from flask import abort, g
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

import engine
from engine.access import can_view_case, open_case
from engine.bpmn.state import load_state
from engine.deployments import compiled_model, forms_for
from engine.errors import InvalidData, TaskNotOpen, UnknownTask
from engine.inbox import MANAGER_ROLES, InboxFilter, count_statement, inbox_query
from engine.models import Case, Event, User
from engine.runtime import default_forms
from web import database
from web.api import token_required
from web.api.schemas import (
    AssignIn,
    CaseOut,
    CompleteIn,
    ErrorOut,
    TaskDetailOut,
    TaskListArgs,
    TaskOut,
    page_of,
)

blp = Blueprint("tasks_api", __name__, url_prefix="/api/v1/tasks", description="Uppgifter")


def _may_work(user, task) -> bool:
    return user.role in MANAGER_ROLES or task.group in (user.groups or []) or task.assignee == user.username


def _open_task(task_id: str, *, lock_case: bool = False):
    """The open task if the caller may work it: 404 for an id that is no task (ids are UUIDs), 403 for
    another group's task, open or not (who completed it is only for those who may see its case).
    `lock_case`: for a command that locks the case, read with the lock (engine.get_open_task)."""
    try:
        UUID(task_id)
    except ValueError:
        raise UnknownTask(f"Uppgiften {task_id} finns inte.") from None
    db = database.session()
    try:
        task = engine.get_open_task(db, task_id, lock_case=lock_case)
    except TaskNotOpen:
        case_id = db.scalar(select(Event.case_id).where(Event.task_id == task_id).limit(1))
        if case_id is None or not can_view_case(db, g.api_user, case_id):
            abort(403)
        raise
    if not _may_work(g.api_user, task):
        abort(403)
    return task


def _case_out(case: Case) -> dict:
    return {"id": case.id, "process_key": case.process_key, "version": case.version, "status": case.status}


@blp.route("")
class Tasks(MethodView):
    @token_required()
    @blp.arguments(TaskListArgs, location="query")
    @blp.response(200, page_of(TaskOut))
    def get(self, args):
        """Open tasks: scope mine | group | all (managers), filters and paging."""
        flt = InboxFilter(scope=args["scope"], process_key=args.get("process_key"), name=args.get("name"),
                          overdue=args["overdue"], due_before=args.get("due_before"), q=args.get("q"))
        db = database.reader()
        query = inbox_query(g.api_user, flt, database.clock().now())
        total = db.scalar(count_statement(g.api_user, flt, database.clock().now()))  # from open_tasks' indexes, not the page query
        rows = db.execute(query.offset((args["page"] - 1) * args["per_page"]).limit(args["per_page"])).all()
        return {"items": [task for task, _ in rows], "total": total, "page": args["page"],
                "per_page": args["per_page"]}


@blp.route("/<task_id>")
class TaskResource(MethodView):
    @token_required()
    @blp.response(200, TaskDetailOut)
    @blp.alt_response(403, schema=ErrorOut)
    @blp.alt_response(404, schema=ErrorOut)
    @blp.alt_response(409, schema=ErrorOut)
    def get(self, task_id):
        """One open task with its form's JSON Schema and current data (the read is logged)."""
        task = _open_task(task_id)
        db = database.session()
        open_case(db, g.api_user, task.case_id, clock=database.clock(), what=f"api:task:{task.name}")
        db.commit()
        case = database.reader().get(Case, task.case_id)
        model = compiled_model(case.deployment)
        workflow = load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs)
        spiff_task = workflow.get_task_from_id(UUID(task.id))
        form = forms_for(case.deployment, default_forms()).get(task.form_key).schema if task.form_key else None
        fields = {name: getattr(task, name) for name in TaskOut().fields}
        return {**fields, "documentation": task.documentation, "form": form,
                "data": dict(spiff_task.data) if spiff_task else {}, "draft": task.draft}


def _command(action):
    db = database.session()
    result = action(db)
    db.commit()
    return result


@blp.route("/<task_id>/claim")
class Claim(MethodView):
    @token_required()
    @blp.response(200, TaskOut)
    @blp.alt_response(403, schema=ErrorOut)
    @blp.alt_response(404, schema=ErrorOut)
    @blp.alt_response(409, schema=ErrorOut)
    def post(self, task_id):
        """Take the task."""
        _open_task(task_id)
        return _command(lambda db: engine.claim_task(db, task_id, user=g.api_user.username, clock=database.clock()))


@blp.route("/<task_id>/unclaim")
class Unclaim(MethodView):
    @token_required()
    @blp.response(200, TaskOut)
    @blp.alt_response(403, schema=ErrorOut)
    @blp.alt_response(404, schema=ErrorOut)
    @blp.alt_response(409, schema=ErrorOut)
    def post(self, task_id):
        """Give the task back to its group."""
        _open_task(task_id)
        return _command(lambda db: engine.unclaim_task(db, task_id, user=g.api_user.username, clock=database.clock(),
                                                       force=g.api_user.role in MANAGER_ROLES))


@blp.route("/<task_id>/assign")
class Assign(MethodView):
    @token_required("unit_manager")
    @blp.arguments(AssignIn)
    @blp.response(200, TaskOut)
    @blp.alt_response(404, schema=ErrorOut)
    @blp.alt_response(409, schema=ErrorOut)
    def post(self, body, task_id):
        """Give the task to a named user (managers); null gives it back to its group."""
        _open_task(task_id)
        if body["user"] and not database.reader().scalar(
                select(User.id).where(User.username == body["user"], User.active.is_(True))):
            raise InvalidData("Uppgiften kan inte tilldelas.",
                              {"user": [f"Ingen aktiv användare heter {body['user']}."]})
        return _command(lambda db: engine.assign_task(db, task_id, body["user"], user=g.api_user.username,
                                                      clock=database.clock()))


@blp.route("/<task_id>/complete")
class Complete(MethodView):
    @token_required()
    @blp.arguments(CompleteIn)
    @blp.response(200, CaseOut)
    @blp.alt_response(403, schema=ErrorOut)
    @blp.alt_response(404, schema=ErrorOut)
    @blp.alt_response(409, schema=ErrorOut)
    @blp.alt_response(422, schema=ErrorOut)
    def post(self, body, task_id):
        """Complete the task with form data: 422 with errors per field, 409 when no longer open."""
        task = _open_task(task_id, lock_case=True)  # held: the identity map keeps only what is referenced
        return _command(lambda db: _case_out(engine.complete_task(
            db, task.id, body["data"], user=g.api_user.username, clock=database.clock(), claim=True)))
