"""/models: the process owner's pages. Process list, the editor (bpmn-js modeler with the Camunda
properties panel, dmn-js, form editor with a live preview), validate and deploy (JSON), a version
with its waiting cases per element, compare two versions, and moving running cases to a later
version. Process owners and admins only. Thin over engine.deployments, engine.model_compare and
engine.model_migration; every deploy and migration is logged by the engine. The blueprint and its
limits are in blueprint.py, its error answers in errors.py, reading a sent bundle in bundle.py."""
from __future__ import annotations

import json
from pathlib import PurePosixPath

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from markupsafe import Markup
from sqlalchemy import select

from engine.bpmn.xml import parse_xml
from engine.deployments import deploy, element_counts, find_version, known_groups, list_versions, validate
from engine.errors import ElementError, InvalidModel
from engine.model_compare import compare_versions
from engine.model_migration import (
    get_migration,
    list_migrations,
    migrate_next,
    plan_migration,
    progress,
    rollback_migration,
    start_migration,
)
from engine.models import Deployment
from engine.runtime import default_forms
from web import database
from web.auth import current_user
from web.modeler import errors as _error_handlers  # noqa: F401 - registers the blueprint's error handlers
from web.modeler.blueprint import (
    FORM_PREFIX,
    FORM_SUFFIX,
    MIGRATION_BATCH,
    NOTE_LIMIT,
    body_limit,
    bp,
    file_limit,
    owners_only,
)
from web.modeler.bundle import as_dicts, form_keys, key_problem, read_bundle, store_form_text
from web.modeler.errors import json_error
from web.task_forms import render_form

# ------------------------------------------------------------------ helpers

def _versions_of(key: str) -> list[tuple[Deployment, int]]:
    rows = list_versions(database.reader(), key)
    if not rows:
        abort(404)
    return rows


def _version(key: str, version: int) -> Deployment:
    deployment = find_version(database.reader(), key, version)
    if deployment is None:
        abort(404)
    return deployment


def _latest(key: str) -> Deployment:
    return _versions_of(key)[-1][0]



# ------------------------------------------------------------------ pages

@bp.get("")
@owners_only
def index():
    db = database.reader()
    keys = db.scalars(select(Deployment.process_key).group_by(Deployment.process_key)
                      .order_by(Deployment.process_key)).all()
    processes = [(key, list_versions(db, key)) for key in keys]
    return render_template("models/index.html", processes=processes)


@bp.get("/<key>")
@owners_only
def editor(key: str):
    rows = _versions_of(key)
    wanted = request.args.get("version", type=int)
    deployment = next((d for d, _n in rows if d.version == wanted), None) if wanted else rows[-1][0]
    if deployment is None:
        abort(404)
    files = dict(deployment.files)
    bundled = {n[len(FORM_PREFIX):-len(FORM_SUFFIX)] for n in files
               if n.startswith(FORM_PREFIX) and n.endswith(FORM_SUFFIX)}
    store_forms = {}
    for form_key in form_keys(files[deployment.main_file], deployment.main_file):
        if form_key not in bundled:
            text = store_form_text(form_key)
            if text is not None:
                store_forms[form_key] = text
    dmn_files = sorted(n for n in files if n.endswith(".dmn"))
    data = {
        "key": key, "version": deployment.version, "main_file": deployment.main_file, "files": files,
        "store_forms": store_forms, "max_bytes": file_limit(), "locale": str(get_locale()),
        "urls": {
            "validate": url_for(".validate_bundle", key=key), "deploy": url_for(".deploy_bundle", key=key),
            "preview": url_for(".form_preview"),
            "form_template": url_for(".store_form", name="__KEY__"),
            "version_template": url_for(".version", key=key, version=0).replace("/0", "/__N__"),
        },
    }
    return render_template("models/editor.html", key=key, deployment=deployment, versions=rows, data=data,
                           dmn_files=dmn_files, latest=rows[-1][0])


@bp.get("/<key>/versions/<int:version>")
@owners_only
def version(key: str, version: int):
    rows = _versions_of(key)
    deployment = next((d for d, _n in rows if d.version == version), None)
    if deployment is None:
        abort(404)
    running = next(n for d, n in rows if d.version == version)
    counts = element_counts(database.reader(), deployment.id)
    names = _element_names(deployment)
    waiting = sorted(((names.get(i, i), i, n) for i, n in counts.items() if n), key=lambda r: (-r[2], r[1]))
    return render_template("models/version.html", key=key, deployment=deployment, versions=rows, running=running,
                           diagram={"xml": deployment.bpmn_xml, "counts": counts}, waiting=waiting,
                           sizes={n: len(t.encode("utf-8")) for n, t in deployment.files.items()})


def _element_names(deployment: Deployment) -> dict[str, str]:
    try:
        tree = parse_xml(deployment.bpmn_xml, deployment.main_file)
    except InvalidModel:
        return {}
    return {n.get("id"): n.get("name") for n in tree.getroot().iter() if n.get("id") and n.get("name")}


@bp.get("/<key>/versions/<int:version>/files/<path:name>")
@owners_only
def version_file(key: str, version: int, name: str):
    deployment = _version(key, version)
    if name not in deployment.files:
        abort(404)
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    download = PurePosixPath(name).name
    return Response(deployment.files[name], mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{download}"'})


@bp.get("/<key>/compare")
@owners_only
def compare(key: str):
    rows = _versions_of(key)
    old_v, new_v = request.args.get("from", type=int), request.args.get("to", type=int)
    if old_v is None or new_v is None:
        latest = rows[-1][0].version
        old_v = old_v if old_v is not None else max(1, latest - 1)
        new_v = new_v if new_v is not None else latest
        return redirect(url_for(".compare", key=key, **{"from": old_v, "to": new_v}))
    old, new = _version(key, old_v), _version(key, new_v)
    diff = compare_versions(old, new)
    return render_template("models/compare.html", key=key, old=old, new=new, diff=diff, versions=rows,
                           old_diagram={"xml": old.bpmn_xml, "removed": diff.removed, "changed": diff.changed},
                           new_diagram={"xml": new.bpmn_xml, "added": diff.added, "changed": diff.changed},
                           diff_lines=_diff_lines(diff.xml_diff),
                           other_diffs={n: _diff_lines(t) for n, t in diff.file_diffs.items()
                                        if n != new.main_file})


def _diff_lines(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.splitlines():
        kind = ("meta" if line.startswith(("+++", "---")) else "hunk" if line.startswith("@@")
                else "add" if line.startswith("+") else "del" if line.startswith("-") else "same")
        out.append((kind, line))
    return out


@bp.get("/<key>/migrate")
@owners_only
def migrate(key: str):
    rows = _versions_of(key)
    old_v, new_v = request.args.get("from", type=int), request.args.get("to", type=int)
    latest = rows[-1][0].version
    if old_v is None or new_v is None:
        return redirect(url_for(".migrate", key=key, **{"from": old_v or max(1, latest - 1), "to": new_v or latest}))
    old, new = _version(key, old_v), _version(key, new_v)
    checks, problem = [], None
    if new.version <= old.version:
        problem = _("Ärenden kan bara flyttas till en senare version.")
    else:
        checks = plan_migration(database.reader(), key, old.version, new.version, clock=database.clock())
    run = None
    run_id = request.args.get("run", type=int)
    if run_id is not None:
        run = get_migration(database.reader(), run_id, key)
    runs = [(r, progress(r), _version_numbers(r)) for r in list_migrations(database.reader(), key)]
    return render_template("models/migrate.html", key=key, old=old, new=new, checks=checks, problem=problem,
                           versions=rows, run=run, run_progress=progress(run) if run else None, runs=runs,
                           movable=sum(1 for c in checks if c.movable))


def _version_numbers(run) -> tuple[int | None, int | None]:
    db = database.reader()
    old, new = db.get(Deployment, run.from_deployment_id), db.get(Deployment, run.to_deployment_id)
    return (old.version if old else None, new.version if new else None)


# ------------------------------------------------------------------ JSON endpoints

@bp.post("/<key>/validate")
@owners_only
def validate_bundle(key: str):
    _versions_of(key)
    files, main_file, _note = read_bundle()
    errors: list[ElementError] = []
    warnings: list[ElementError] = []
    mismatch = key_problem(key, files, main_file)
    try:
        compiled = validate(files, main_file, forms=default_forms(), known_groups=known_groups(database.reader()))
        warnings = list(compiled.warnings)
    except InvalidModel as exc:
        errors = list(exc.errors) or [ElementError(None, None, exc.message, main_file)]
    if mismatch:
        errors.insert(0, mismatch)
    return jsonify({"ok": not errors, "errors": as_dicts(errors), "warnings": as_dicts(warnings)})


@bp.post("/<key>/deploy")
@owners_only
def deploy_bundle(key: str):
    _versions_of(key)
    files, main_file, note = read_bundle()
    mismatch = key_problem(key, files, main_file)
    if mismatch:
        return json_error(422, _("Filen gäller en annan process."), [mismatch])
    db = database.session()
    try:
        deployment, created = deploy(db, files, main_file, user=current_user().username, clock=database.clock(),
                                     note=note, forms=default_forms(), known_groups=known_groups(db))
    except InvalidModel as exc:
        db.rollback()
        return json_error(422, exc.message, list(exc.errors) or [ElementError(None, None, exc.message, main_file)])
    if deployment.process_key != key:  # cannot happen after the check above; never store it under another key
        db.rollback()
        return json_error(422, _("Filen gäller en annan process."))
    db.commit()
    return jsonify({"ok": True, "version": deployment.version, "created": created,
                    "url": url_for(".version", key=key, version=deployment.version)}), (201 if created else 200)


@bp.get("/forms/<name>.json")
@owners_only
def store_form(name: str):
    """The shared form (forms folder) of a form key, for a user task added in the editor."""
    text = store_form_text(name)
    if text is None:
        return json_error(404, _("Formuläret '%(key)s' finns inte.", key=name))
    return jsonify({"key": name, "text": text})


_JSON_MESSAGES = {
    "Expecting value": "ett värde saknas",
    "Expecting ',' delimiter": "ett kommatecken saknas",
    "Expecting ':' delimiter": "ett kolon saknas",
    "Expecting property name enclosed in double quotes": "fältnamn måste stå inom dubbla citattecken",
    "Unterminated string starting at": "en text saknar avslutande citattecken",
    "Extra data": "det står något efter formulärets slut",
    "Invalid control character at": "otillåtet tecken (t.ex. radbrytning) i en text",
    "Invalid \\escape": "ogiltig \\-sekvens",
}


@bp.post("/forms/preview")
@owners_only
def form_preview():
    """The form as the caseworker will see it (web/task_forms.py, as on the task page), or why not."""
    if request.content_length is not None and request.content_length > body_limit():
        return _preview_problem(_("Formuläret är för stort."), 413)
    body = request.get_json(silent=True)
    text = body.get("schema") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return _preview_problem(_("Begäran måste vara JSON med formulärets text i schema."), 400)
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = _JSON_MESSAGES.get(exc.msg, exc.msg)
        return _preview_problem(_("Formuläret är inte giltig JSON: %(reason)s (rad %(line)s, kolumn %(column)s).",
                                  reason=reason, line=exc.lineno, column=exc.colno))
    if not isinstance(schema, dict):
        return _preview_problem(_("Formuläret måste vara ett JSON-objekt ({ … })."))
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or _("roten")
        return _preview_problem(_("Formuläret är inte ett giltigt JSON Schema (vid %(where)s): %(message)s",
                                  where=where, message=exc.message))
    if not isinstance(schema.get("properties", {}), dict):
        return _preview_problem(_("properties måste vara ett objekt med ett fält per nyckel."))
    try:
        html = render_form(schema, {}, {})
    except Exception as exc:  # noqa: BLE001 - a schema the renderer cannot draw is the owner's to fix
        return _preview_problem(_("Formuläret kan inte visas: %(error)s", error=str(exc) or type(exc).__name__))
    return render_template("models/form_preview.html", schema=schema, form_html=html)


def _preview_problem(message: str, status: int = 422):
    return render_template("models/form_preview.html", problem=message), status


@bp.post("/<key>/migrations")
@owners_only
def start_run(key: str):
    _versions_of(key)
    source = request.get_json(silent=True) if request.is_json else request.form
    source = source if isinstance(source, dict) or hasattr(source, "get") else {}
    try:
        old_v, new_v = int(source.get("from")), int(source.get("to"))
    except (TypeError, ValueError):
        return json_error(400, _("Ange från- och till-version."))
    db = database.session()
    run = start_migration(db, key, old_v, new_v, user=current_user().username, clock=database.clock(),
                          note=str(source.get("note") or "")[:NOTE_LIMIT])
    db.commit()
    if request.is_json:
        return jsonify({"run_id": run.id, **progress(run),
                        "step_url": url_for(".migration_step", key=key, run_id=run.id)}), 201
    return redirect(url_for(".migrate", key=key, run=run.id, **{"from": old_v, "to": new_v}))


@bp.post("/<key>/migrations/<int:run_id>/step")
@owners_only
def migration_step(key: str, run_id: int):
    db = database.session()
    run = get_migration(db, run_id, key)
    if run.status == "running":
        run = migrate_next(db, run_id, user=current_user().username, clock=database.clock(),
                           limit=int(current_app.config.get("KOMPIS_MIGRATION_BATCH", MIGRATION_BATCH)))
        db.commit()
    return jsonify(progress(run))


@bp.post("/<key>/migrations/<int:run_id>/rollback")
@owners_only
def rollback_run(key: str, run_id: int):
    db = database.session()
    run = get_migration(db, run_id, key)
    run = rollback_migration(db, run.id, user=current_user().username, clock=database.clock())
    db.commit()
    counts = progress(run)
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(counts)
    flash(_("Flytten är återställd: %(n)s ärenden tillbaka på den gamla versionen, %(kept)s kvar på den nya.",
            n=counts["rolled_back"], kept=counts["kept"]), "info")
    old_v, new_v = _version_numbers(run)
    return redirect(url_for(".migrate", key=key, **{"from": old_v, "to": new_v}))


def running_total(rows) -> int:
    return sum(n for _d, n in rows)


@bp.app_template_filter("running_total")
def _running_total(rows) -> int:
    return running_total(rows)


@bp.app_template_global("json_block")
def json_block(value) -> Markup:
    """JSON for a <script type="application/json"> block (never executed; <, > and & escaped)."""
    text = json.dumps(value, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))

