"""/api/v1/process-models/{key}: one version with its waiting cases, compare two versions, and move
running cases between versions (dry run, start, step in batches, roll back). Process owners and
admins; thin over engine.model_compare and engine.model_migration, which log every run."""
from __future__ import annotations

from flask import abort, g, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from engine import model_migration
from engine.deployments import element_counts, find_version, list_versions
from engine.model_compare import compare_versions
from engine.models import Deployment
from web import database
from web.api import token_required
from web.api.cases import MAX_ID
from web.api.schemas import (
    CompareArgs,
    CompareOut,
    DryRunOut,
    ErrorOut,
    MigrationIn,
    MigrationOut,
    StepArgs,
    VersionDetailOut,
    page_of,
)

blp = Blueprint("migrations_api", __name__, url_prefix="/api/v1/process-models",
                description="Versioner och flytt av ärenden")


def _version(db, key: str, version: int) -> Deployment:
    deployment = find_version(db, key, version)
    if deployment is None:
        abort(404)
    return deployment


def _run_out(db, run) -> dict:
    versions = {d.id: d.version for d in db.scalars(
        select(Deployment).where(Deployment.id.in_((run.from_deployment_id, run.to_deployment_id))))}
    return {"id": run.id, "process_key": run.process_key, "from_version": versions[run.from_deployment_id],
            "to_version": versions[run.to_deployment_id], "started_by": run.started_by,
            "created_at": run.created_at, **model_migration.progress(run)}


@blp.route(f"/<key>/versions/<int(max={MAX_ID}):version>")
class Version(MethodView):
    @token_required("process_owner")
    @blp.response(200, VersionDetailOut)
    @blp.alt_response(404, schema=ErrorOut)
    def get(self, key, version):
        """One version: who deployed it, its files, and how many cases wait at each element now."""
        db = database.reader()
        deployment = _version(db, key, version)
        running = next(n for d, n in list_versions(db, key) if d.id == deployment.id)
        return {"version": deployment.version, "sha256": deployment.sha256, "deployed_by": deployment.deployed_by,
                "deployed_at": deployment.deployed_at, "note": deployment.note, "running_cases": running,
                "files": sorted(deployment.files), "waiting": element_counts(db, deployment.id)}


@blp.route("/<key>/compare")
class Compare(MethodView):
    @token_required("process_owner")
    @blp.arguments(CompareArgs, location="query")
    @blp.response(200, CompareOut)
    @blp.alt_response(404, schema=ErrorOut)
    def get(self, args, key):
        """Elements added, removed and changed in meaning between two versions, and the main file's diff."""
        db = database.reader()
        diff = compare_versions(_version(db, key, args["from_version"]), _version(db, key, args["to_version"]))
        return {"added": diff.added, "removed": diff.removed, "changed": diff.changed,
                "files_changed": diff.files_changed, "xml_diff": diff.xml_diff}


@blp.route("/<key>/migrations")
class Migrations(MethodView):
    @token_required("process_owner")
    @blp.response(200, page_of(MigrationOut))
    def get(self, key):
        """Every run that moved this process' cases, newest first."""
        db = database.reader()
        items = [_run_out(db, run) for run in model_migration.list_migrations(db, key)]
        return {"items": items, "total": len(items), "page": 1, "per_page": max(1, len(items))}

    @token_required("process_owner")
    @blp.arguments(MigrationIn)
    @blp.response(201, MigrationOut)
    @blp.alt_response(200, schema=DryRunOut, description="dry_run: which cases can move, and why not")
    @blp.alt_response(404, schema=ErrorOut)
    @blp.alt_response(409, schema=ErrorOut, description="No case can move")
    @blp.alt_response(422, schema=ErrorOut)
    def post(self, args, key):
        """Start moving the running cases of `from` to the later version `to` (then call step until it is
        finished); with dry_run, only say which cases can move and why the others cannot."""
        db = database.session()
        if args["dry_run"]:
            checks = model_migration.plan_migration(db, key, args["from_version"], args["to_version"],
                                                    clock=database.clock())
            cases = [{"case_id": c.case_id, "title": c.title, "movable": c.movable, "reasons": c.reasons,
                      "waiting_at": c.waiting_at} for c in checks]
            # A Response passes flask-smorest's 201 schema untouched.
            answer = jsonify(DryRunOut().dump({"cases": cases, "movable": sum(c.movable for c in checks)}))
            answer.status_code = 200
            return answer
        run = model_migration.start_migration(db, key, args["from_version"], args["to_version"],
                                              user=g.api_user.username, clock=database.clock(), note=args["note"])
        out = _run_out(db, run)
        db.commit()
        return out


@blp.route(f"/<key>/migrations/<int(max={MAX_ID}):run_id>/step")
class Step(MethodView):
    @token_required("process_owner")
    @blp.arguments(StepArgs, location="query")
    @blp.response(200, MigrationOut)
    @blp.alt_response(404, schema=ErrorOut)
    @blp.alt_response(409, schema=ErrorOut, description="The run is finished or rolled back")
    def post(self, args, key, run_id):
        """Move the next `limit` cases of a run, each all-or-nothing."""
        db = database.session()
        run = model_migration.migrate_next(db, model_migration.get_migration(db, run_id, key).id, user=g.api_user.username,
                                           clock=database.clock(), limit=args["limit"])
        out = _run_out(db, run)
        db.commit()
        return out


@blp.route(f"/<key>/migrations/<int(max={MAX_ID}):run_id>/rollback")
class Rollback(MethodView):
    @token_required("process_owner")
    @blp.response(200, MigrationOut)
    @blp.alt_response(404, schema=ErrorOut)
    @blp.alt_response(409, schema=ErrorOut, description="Already rolled back")
    def post(self, key, run_id):
        """Put every moved case that has not changed since back on its old version."""
        db = database.session()
        run = model_migration.rollback_migration(db, model_migration.get_migration(db, run_id, key).id, user=g.api_user.username,
                                                 clock=database.clock())
        out = _run_out(db, run)
        db.commit()
        return out
