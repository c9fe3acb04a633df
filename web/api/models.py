"""/api/v1/process-models: list, versions, deploy a new version (BPMN XML body)."""
from __future__ import annotations

from flask import abort, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from engine.deployments import deploy, known_groups, list_versions
from engine.errors import ElementError, InvalidModel
from engine.models import Case, Deployment
from engine.runtime import default_forms
from web import database
from web.api import token_required
from web.api.schemas import DeployArgs, ErrorOut, ModelOut, VersionOut, page_of

blp = Blueprint("models_api", __name__, url_prefix="/api/v1/process-models", description="Processmodeller")
MAX_UPLOAD = 2 * 1024 * 1024


@blp.route("")
class Models(MethodView):
    @token_required()
    @blp.response(200, page_of(ModelOut))
    def get(self):
        """Every process key with its latest version and how many cases run."""
        db = database.reader()
        latest = db.execute(select(Deployment.process_key, func.max(Deployment.version))
                            .group_by(Deployment.process_key).order_by(Deployment.process_key)).all()
        running = dict(db.execute(select(Case.process_key, func.count()).where(Case.status == "running")
                                  .group_by(Case.process_key)).all())
        items = [{"process_key": key, "latest_version": version, "running_cases": running.get(key, 0)}
                 for key, version in latest]
        return {"items": items, "total": len(items), "page": 1, "per_page": max(1, len(items))}


def _bundle_for(process_key: str, xml: str) -> dict[str, str]:
    """The upload plus the decision tables and called processes of every other latest version."""
    db = database.reader()
    latest = (select(Deployment.process_key, func.max(Deployment.version).label("v"))
              .group_by(Deployment.process_key).subquery())
    files = {}
    for deployment in db.scalars(select(Deployment).join(latest, (latest.c.process_key == Deployment.process_key)
                                                         & (latest.c.v == Deployment.version))):
        if deployment.process_key != process_key:
            files.update({name: text for name, text in deployment.files.items()
                          if name != f"{process_key}.bpmn"})
    files[f"{process_key}.bpmn"] = xml
    return files


@blp.route("/<key>/versions")
class Versions(MethodView):
    @token_required()
    @blp.response(200, page_of(VersionOut))
    @blp.alt_response(404, schema=ErrorOut)
    def get(self, key):
        """Every version of a process, oldest first, with its running cases."""
        rows = list_versions(database.reader(), key)
        if not rows:
            abort(404)
        items = [{"version": d.version, "sha256": d.sha256, "deployed_by": d.deployed_by,
                  "deployed_at": d.deployed_at, "note": d.note, "running_cases": n} for d, n in rows]
        return {"items": items, "total": len(items), "page": 1, "per_page": max(1, len(items))}

    @token_required("process_owner")
    @blp.arguments(DeployArgs, location="query")
    @blp.response(201, VersionOut)
    @blp.alt_response(413, schema=ErrorOut, description="Over the 4 MB request limit")
    @blp.alt_response(422, schema=ErrorOut, description="Every element error, or a file over 2 MB")
    @blp.doc(requestBody={"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}})
    def post(self, args, key):
        """Deploy BPMN XML (the request body) as a new version; 422 lists every element error."""
        raw = request.get_data(cache=False)
        if len(raw) > MAX_UPLOAD:
            raise InvalidModel("Filen är för stor.", [ElementError(None, None, f"Högst {MAX_UPLOAD} byte.")])
        try:
            xml = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidModel("Filen är inte UTF-8.", [ElementError(None, None, "Filen är inte UTF-8.")]) from None
        db = database.session()
        deployment, _ = deploy(db, _bundle_for(key, xml), f"{key}.bpmn", user=g.api_user.username,
                               clock=database.clock(), note=args["note"][:500], forms=default_forms(),
                               known_groups=known_groups(db))
        if deployment.process_key != key:
            db.rollback()
            raise InvalidModel("Processens id stämmer inte med adressen.", [ElementError(
                deployment.process_key, None, f"Processens id är '{deployment.process_key}', adressen säger '{key}'.")])
        db.commit()
        return {"version": deployment.version, "sha256": deployment.sha256, "deployed_by": deployment.deployed_by,
                "deployed_at": deployment.deployed_at, "note": deployment.note, "running_cases": 0}
