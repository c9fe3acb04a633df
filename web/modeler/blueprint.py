"""The /models blueprint and the limits its modules share."""
from __future__ import annotations

from flask import Blueprint, current_app

from engine.bpmn.xml import MAX_MODEL_BYTES
from web.auth import roles_required

bp = Blueprint("modeler", __name__, url_prefix="/models")
owners_only = roles_required("process_owner")  # admins always pass

FORM_PREFIX, FORM_SUFFIX = "forms/", ".json"
NOTE_LIMIT = 500
# Requests of the JSON endpoints: the bundle with its forms. Each model file has its own limit
# (the engine's 2 MB unless KOMPIS_MODEL_MAX_BYTES says otherwise).
BODY_LIMIT = 4 * 1024 * 1024
MIGRATION_BATCH = 25
# Endpoints that answer JSON whatever happens (the editor and the migration page call them with fetch).
JSON_ENDPOINTS = {"modeler.validate_bundle", "modeler.deploy_bundle", "modeler.store_form",
                  "modeler.migration_step"}


def file_limit() -> int:
    return int(current_app.config.get("KOMPIS_MODEL_MAX_BYTES", MAX_MODEL_BYTES))


def body_limit() -> int:
    return int(current_app.config.get("KOMPIS_MODELER_MAX_BODY", BODY_LIMIT))
