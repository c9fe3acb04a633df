"""How /models answers errors: JSON for the endpoints the editor and the migration page call with
fetch (never an HTML 500 there), the Swedish error page for the pages."""
from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from engine.errors import Conflict, ElementError, KompisError, NotFound, PermissionDenied
from web import database
from web.modeler.blueprint import JSON_ENDPOINTS, body_limit, bp


class BadBundle(Exception):
    def __init__(self, status: int, message: str, errors: list[ElementError] | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or []


def wants_json() -> bool:
    return request.endpoint in JSON_ENDPOINTS or request.is_json or \
        request.accept_mimetypes.best == "application/json"


def json_error(status: int, message: str, errors: list | None = None):
    return jsonify({"ok": False, "message": message,
                    "errors": [e.as_dict() if isinstance(e, ElementError) else e for e in errors or []],
                    "warnings": []}), status


@bp.errorhandler(BadBundle)
def _bad_bundle(exc: BadBundle):
    return json_error(exc.status, exc.message, exc.errors)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc):
    limit = min(body_limit(), current_app.config.get("MAX_CONTENT_LENGTH") or body_limit())
    message = _("Begäran är för stor (högst %(limit)s byte).", limit=limit)
    if wants_json():
        return json_error(413, message)
    return render_template("error.html", title=_("För stor fil"), message=message), 413


@bp.app_errorhandler(RequestEntityTooLarge)
def _too_large_elsewhere(_exc):
    """Flask's own request limit (MAX_CONTENT_LENGTH) is hit before any view runs. web/api answers
    HTTP errors itself and lets only error types the app registered reach a handler, so this
    app-level entry is what lets the JSON answer above be found for /models. Every other page keeps
    the Swedish error page it had (web/api's titles)."""
    return render_template("error.html", title="För stor", message="Det du skickade är för stort."), 413


@bp.errorhandler(CSRFError)
def _csrf(_exc):
    message = _("Sidan har gått ut: ladda om den och försök igen.")
    if wants_json():
        return json_error(400, message)
    return render_template("error.html", title=_("Formuläret har gått ut"), message=message), 400


def _status_of(exc: KompisError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, PermissionDenied):
        return 403
    return 422


@bp.errorhandler(KompisError)
def _engine_error(exc: KompisError):
    database.session().rollback()
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict):  # InvalidData: per field
        errors = [{"element_id": None, "line": None, "message": f"{k}: {'; '.join(v)}", "file": None}
                  for k, v in errors.items()]
    if wants_json():
        return json_error(_status_of(exc), exc.message, errors)
    return render_template("error.html", title=_("Det gick inte"), message=exc.message), _status_of(exc)


@bp.errorhandler(403)
def _forbidden(exc):
    if wants_json():
        return json_error(403, _("Du har inte behörighet till den här sidan."))
    return render_template("error.html", title=_("Åtkomst nekad"),
                           message=_("Du har inte behörighet till den här sidan.")), 403


@bp.errorhandler(404)
def _not_found(exc):
    if wants_json():
        return json_error(404, _("Processen eller versionen finns inte."))
    return render_template("error.html", title=_("Sidan finns inte"), message=_("Sidan du söker finns inte.")), 404


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    """Never an HTML 500 page from a JSON endpoint; other HTTP errors keep their status."""
    if isinstance(exc, HTTPException):
        if wants_json() and exc.code and exc.code >= 400:
            return json_error(exc.code, exc.description or exc.name)
        return exc
    current_app.logger.exception("modeler: unexpected error")
    database.session().rollback()
    message = _("Ett oväntat fel inträffade (%(error)s).", error=type(exc).__name__)
    if wants_json():
        return json_error(500, message)
    return render_template("error.html", title=_("Oväntat fel"), message=message), 500
