"""Front-end packages installed by npm at setup, served from node_modules (never copied into the repo)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_file

ROOT = Path(__file__).resolve().parents[2] / "node_modules"
ASSETS = {
    "bpmn-navigated-viewer.js": "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "bpmn-modeler.js": "bpmn-js/dist/bpmn-modeler.production.min.js",
    "bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
    "diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
    "bpmn-font.css": "bpmn-js/dist/assets/bpmn-font/css/bpmn.css",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@bp.get("/<name>")
def asset(name: str):
    relative = ASSETS.get(name)
    if relative is None or not (ROOT / relative).is_file():
        abort(404)
    return send_file(ROOT / relative, max_age=3600)
