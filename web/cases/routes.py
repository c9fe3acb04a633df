"""/cases/<id>: who it is about, open tasks, the timeline, documents, and the diagram with the
active elements highlighted and the path taken marked. Every view of it is logged."""
from __future__ import annotations

from uuid import uuid4

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

import engine
from engine.access import can_view_case, open_case
from engine.bpmn.state import load_state
from engine.deployments import compiled_model
from engine.errors import InvalidData, KompisError, PermissionDenied
from engine.runtime import default_forms
from engine.starts import message_form_key, start_options
from engine.inbox import MANAGER_ROLES
from engine.models import Case, Client, Document, Event, OpenTask, Volunteer, WaitingMessage, WaitingTimer
from web import database
from web.auth import current_user, login_required
from web.task_forms import parse_submission, render_form

bp = Blueprint("cases", __name__, url_prefix="/cases")
STARTERS = ("caseworker", "unit_manager", "admin")

EVENT_LABELS = {
    "case_started": "Ärendet startade", "task_completed": "Uppgift slutförd", "task_claimed": "Uppgift tagen",
    "task_unclaimed": "Uppgift lämnad tillbaka", "task_assigned": "Uppgift tilldelad",
    "task_withdrawn": "Uppgift avbröts", "draft_saved": "Utkast sparat", "message_received": "Meddelande mottaget",
    "timer_fired": "Tidsgräns passerad", "case_failed": "Fel i ärendet", "case_retried": "Steget kördes om",
    "case_cancelled": "Ärendet avbröts", "case_viewed": "Ärendet visades", "volunteer_status": "Status ändrad",
    "assignment_status": "Uppdragets status ändrad", "payment_basis": "Betalningsunderlag",
    "volunteer_registered": "Kontaktperson registrerad", "client_registered": "Den enskilde registrerad",
    "assignment_created": "Uppdrag skapat", "assignment_updated": "Uppdragsvillkor sparade",
    "message_undelivered": "Meddelande utan mottagare",
}


def _case_for(user, case_id: int, what: str) -> Case:
    db = database.session()
    case = db.get(Case, case_id)
    if case is None:
        abort(404)
    try:
        open_case(db, user, case_id, clock=database.clock(), what=what)
    except PermissionDenied:
        abort(403)
    db.commit()
    return case


def _path(case: Case) -> tuple[list[str], list[str]]:
    """(completed element ids, active element ids) from the case's engine state."""
    model = compiled_model(case.deployment)
    workflow = load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs)
    done, active = set(), set()
    for task in workflow.get_tasks():
        name = task.task_spec.name
        if task.state == TaskState.COMPLETED:
            done.add(name)
        elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED, TaskState.ERROR):
            active.add(name)
    return sorted(done - active), sorted(active)


@bp.get("/<int:case_id>")
@login_required
def show(case_id: int):
    user = current_user()
    case = _case_for(user, case_id, "case")
    db = database.reader()
    done, active = _path(case)
    events = db.scalars(select(Event).where(Event.case_id == case_id, Event.kind != "case_viewed")
                        .order_by(Event.at, Event.id)).all()
    return render_template(
        "case.html", case=case, tasks=db.scalars(select(OpenTask).where(OpenTask.case_id == case_id)).all(),
        timers=db.scalars(select(WaitingTimer).where(WaitingTimer.case_id == case_id)).all(),
        messages=db.scalars(select(WaitingMessage).where(WaitingMessage.case_id == case_id)).all(),
        events=events, labels=EVENT_LABELS, done=done, active=active,
        documents=db.scalars(select(Document).where(Document.case_id == case_id)).all(),
        message_forms={m.name: default_forms().get(message_form_key(m.name)).title for m in
                       db.scalars(select(WaitingMessage).where(WaitingMessage.case_id == case_id))
                       if default_forms().exists(message_form_key(m.name))},
        volunteer=db.get(Volunteer, case.volunteer_id) if case.volunteer_id else None,
        client=db.get(Client, case.client_id) if case.client_id else None,
        is_manager=user.role in MANAGER_ROLES)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Start a process by hand, or register a message that starts one (a paper interest registration)."""
    user = current_user()
    if user.role not in STARTERS:
        abort(403)
    options = start_options(database.reader(), default_forms())
    chosen = next((o for o in options if o.process_key == request.values.get("process")
                   and (o.message or "") == (request.values.get("message") or "")), None)
    if chosen is None or (chosen.message is None and request.method == "GET"):
        return render_template("case_new.html", options=options)
    db = database.session()
    clock = database.clock()
    if chosen.message is None:
        case = engine.start_case(db, chosen.process_key, {}, user=user.username, clock=clock)
        db.commit()
        return redirect(_next_page(case.id))
    form = default_forms().get(chosen.form_key)
    values, errors = {}, {}
    if request.method == "POST":
        values = parse_submission(form.schema, request.form)
        try:
            payload = form.validate(values)
            key = "handlaggare:" + (payload.get("personnummer") or uuid4().hex[:12])
            [case] = engine.correlate_message(db, chosen.message, key, payload, user=user.username, clock=clock)
            db.commit()
            flash(_("Ärendet är registrerat."), "info")
            return redirect(_next_page(case.id))
        except InvalidData as exc:
            db.rollback()
            errors = exc.errors
    return render_template("message_form.html", title=form.title, description=form.schema.get("description"),
                           form_html=render_form(form.schema, values, errors), case=None), (422 if errors else 200)


def _next_page(case_id: int) -> str:
    """The case's first open task when there is one, else the case page."""
    # The request's read-only session may hold a snapshot from before this request's commit.
    task_id = database.session().scalar(select(OpenTask.id).where(OpenTask.case_id == case_id).limit(1))
    return url_for("tasks.show", task_id=task_id) if task_id else url_for("cases.show", case_id=case_id)


@bp.route("/<int:case_id>/messages/<name>", methods=["GET", "POST"])
@login_required
def register_message(case_id: int, name: str):
    """Enter a message the case waits for that came on paper (an answer from another municipality)."""
    user = current_user()
    case = _case_for(user, case_id, f"message:{name}")
    store = default_forms()
    waiting = database.reader().scalar(select(WaitingMessage.id).where(WaitingMessage.case_id == case_id,
                                                                       WaitingMessage.name == name))
    if waiting is None or not store.exists(message_form_key(name)):
        flash(_("Ärendet väntar inte på det meddelandet."), "error")
        return redirect(url_for("cases.show", case_id=case_id))
    form = store.get(message_form_key(name))
    values, errors = {}, {}
    if request.method == "POST":
        values = parse_submission(form.schema, request.form)
        db = database.session()
        try:
            engine.deliver_message(db, case.id, name, form.validate(values), user=user.username,
                                   clock=database.clock())
            db.commit()
            flash(_("Meddelandet är registrerat."), "info")
            return redirect(url_for("cases.show", case_id=case_id))
        except InvalidData as exc:
            db.rollback()
            errors = exc.errors
    return render_template("message_form.html", title=form.title, description=form.schema.get("description"),
                           form_html=render_form(form.schema, values, errors), case=case), (422 if errors else 200)


@bp.get("/<int:case_id>/diagram.bpmn")
@login_required
def diagram(case_id: int):
    db = database.reader()
    case = db.get(Case, case_id)
    if case is None:
        abort(404)
    if not can_view_case(db, current_user(), case_id):
        abort(403)
    return Response(case.deployment.bpmn_xml, mimetype="application/xml")


@bp.get("/<int:case_id>/documents/<int:document_id>")
@login_required
def document(case_id: int, document_id: int):
    _case_for(current_user(), case_id, f"document:{document_id}")
    doc = database.reader().get(Document, document_id)
    if doc is None or doc.case_id != case_id:
        abort(404)
    return Response(doc.content, mimetype=doc.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{doc.filename}"'})


def _manager_action(case_id: int, action, done_message: str):
    user = current_user()
    if user.role not in MANAGER_ROLES:
        abort(403)
    db = database.session()
    try:
        action(db, user)
        db.commit()
        flash(done_message, "info")
    except KompisError as exc:
        db.rollback()
        flash(exc.message, "error")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/<int:case_id>/retry")
@login_required
def retry(case_id: int):
    return _manager_action(case_id, lambda db, user: engine.retry_case(
        db, case_id, user=user.username, clock=database.clock()), _("Steget kördes om."))


@bp.post("/<int:case_id>/cancel")
@login_required
def cancel(case_id: int):
    reason = (request.form.get("reason") or "").strip()[:500]
    return _manager_action(case_id, lambda db, user: engine.cancel_case(
        db, case_id, user=user.username, clock=database.clock(), reason=reason), _("Ärendet är avbrutet."))
