"""/tasks/<id>: the task page (form, instructions, who it is about), and claim / unclaim / assign /
save draft / complete. Thin over engine.cases."""
from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

import engine
from engine.access import open_case
from engine.bpmn.state import load_state
from engine.deployments import compiled_model, forms_for
from engine.errors import Conflict, InvalidData, KompisError, NotFound, PermissionDenied, TaskNotOpen
from engine.inbox import MANAGER_ROLES
from engine.models import Case, Client, OpenTask, Volunteer
from engine.runtime import default_forms
from web import database
from web.auth import current_user, login_required
from web.task_forms import parse_submission, render_form

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
# The matching task: a ranked list plus the fields that say "offer this person".
QUICK_PICK_FIELDS = {"candidates", "selected_volunteer_id", "pick_action"}


def _may_work(user, task: OpenTask) -> bool:
    return user.role in MANAGER_ROLES or task.group in (user.groups or []) or task.assignee == user.username


def _gone(exc: KompisError, task_id: str):
    """A task that is no longer open: say so plainly, never an error page."""
    return render_template("task_gone.html", message=exc.message, task_id=task_id), 409


def _task_data(case: Case, task_id: str) -> dict:
    model = compiled_model(case.deployment)
    workflow = load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs)
    task = workflow.get_task_from_id(UUID(task_id))
    return dict(task.data) if task is not None else {}


def _page(task: OpenTask, case: Case, values: dict, errors: dict | None = None, status: int = 200):
    form = forms_for(case.deployment, default_forms()).get(task.form_key)
    db = database.reader()
    volunteer = db.get(Volunteer, case.volunteer_id) if case.volunteer_id else None
    client = db.get(Client, case.client_id) if case.client_id else None
    html = render_form(form.schema, values, errors or {})
    return render_template("task.html", task=task, case=case, form=form, form_html=html, errors=errors or {},
                           volunteer=volunteer, client=client, quick_picks=_quick_picks(form.schema, values)), status


def _quick_picks(schema: dict, values: dict) -> list[dict]:
    """Candidates a caseworker may offer with one click (the matching task's ranked list, conflicts out)."""
    if not QUICK_PICK_FIELDS <= set(schema.get("properties", {})):
        return []
    return [c for c in values.get("candidates") or [] if isinstance(c, dict) and not c.get("conflicts")]


def _apply_quick_pick(schema: dict, data: dict) -> dict:
    chosen = request.form.get("quick_pick")
    if chosen and QUICK_PICK_FIELDS <= set(schema.get("properties", {})):
        data = {**data, "pick_action": "offer", "selected_volunteer_id": int(chosen) if chosen.isdigit() else chosen}
    return data


@bp.get("/<task_id>")
@login_required
def show(task_id: str):
    user = current_user()
    db = database.session()
    try:
        task = engine.get_open_task(db, task_id)
    except (TaskNotOpen, NotFound) as exc:
        if isinstance(exc, NotFound):
            abort(404)
        return _gone(exc, task_id)
    if not _may_work(user, task):
        abort(403)
    open_case(db, user, task.case_id, clock=database.clock(), what=f"task:{task.name}")
    db.commit()
    case = database.reader().get(Case, task.case_id)
    values = {**_task_data(case, task_id), **(task.draft or {})}
    return _page(task, case, values)


@bp.post("/<task_id>")
@login_required
def submit(task_id: str):
    user = current_user()
    db = database.session()
    try:
        task = engine.get_open_task(db, task_id, lock_case=True)  # the case for the command below
    except TaskNotOpen as exc:
        return _gone(exc, task_id)
    except NotFound:
        abort(404)
    if not _may_work(user, task):
        abort(403)
    case = db.get(Case, task.case_id)
    form = forms_for(case.deployment, default_forms()).get(task.form_key)
    data = _apply_quick_pick(form.schema, parse_submission(form.schema, request.form))
    clock = database.clock()
    try:
        if request.form.get("action") == "draft":
            engine.save_draft(db, task_id, data, user=user.username, clock=clock)
            db.commit()
            flash(_("Utkastet är sparat."), "info")
            return redirect(url_for("tasks.show", task_id=task_id))
        engine.complete_task(db, task_id, data, user=user.username, clock=clock, claim=True)
        db.commit()
    except InvalidData as exc:
        db.rollback()
        case = database.reader().get(Case, task.case_id)
        flash(_("Formuläret innehåller fel. Rätta de markerade fälten."), "error")
        # Read-only fields and choices come from the case; what the person typed goes on top.
        return _page(task, case, {**_task_data(case, task_id), **data}, exc.errors, status=422)
    except TaskNotOpen as exc:
        db.rollback()
        return _gone(exc, task_id)
    except (Conflict, PermissionDenied) as exc:
        db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    flash(_("”%(title)s” är slutförd.", title=task.title), "info")
    return redirect(url_for("inbox.index"))


def _list_action(task_id: str, action) -> object:
    user = current_user()
    db = database.session()
    try:
        task = engine.get_open_task(db, task_id)
        if not _may_work(user, task):
            abort(403)
        action(db, task, user)
        db.commit()
    except KompisError as exc:
        db.rollback()
        flash(exc.message, "error")
    return redirect(request.referrer or url_for("inbox.index"))


@bp.post("/<task_id>/claim")
@login_required
def claim(task_id: str):
    return _list_action(task_id, lambda db, task, user: engine.claim_task(
        db, task.id, user=user.username, clock=database.clock()))


@bp.post("/<task_id>/unclaim")
@login_required
def unclaim(task_id: str):
    return _list_action(task_id, lambda db, task, user: engine.unclaim_task(
        db, task.id, user=user.username, clock=database.clock(), force=user.role in MANAGER_ROLES))


@bp.post("/<task_id>/assign")
@login_required
def assign(task_id: str):
    if current_user().role not in MANAGER_ROLES:
        abort(403)
    return _list_action(task_id, lambda db, task, user: engine.assign_task(
        db, task.id, request.form.get("user") or None, user=user.username, clock=database.clock()))
