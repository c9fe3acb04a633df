"""REST API under /api/v1: bearer tokens, marshmallow schemas, OpenAPI at /api/v1/openapi.json,
one error body everywhere: {"code", "message", "errors"}."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, g, jsonify, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, ElementError, InvalidData, InvalidModel, KompisError, NotFound, PermissionDenied
from engine.users import user_for_token
from web import database

api = Api()

STATUS = {NotFound: 404, Conflict: 409, InvalidData: 422, InvalidModel: 422, PermissionDenied: 403}


def error_body(status: int, code: str, message: str, errors=None):
    response = jsonify({"code": code, "message": message, "errors": errors or {}})
    response.status_code = status
    return response


def render_error_page(exc: KompisError):
    from flask import render_template

    return render_template("error.html", title="Det gick inte", message=exc.message), status_of(exc)


def status_of(exc: KompisError) -> int:
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 400


def token_required(*roles: str):
    """Bearer token → g.api_user; `roles` (admins always) limit who may call."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            token = header[7:].strip() if header.lower().startswith("bearer ") else ""
            user = user_for_token(database.reader(), token, clock=database.clock()) if token else None
            if user is None:
                abort(401)
            if roles and user.role not in roles and user.role != "admin":
                abort(403)
            g.api_user = user
            return view(*args, **kwargs)
        return wrapped
    return decorator


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="Kompis API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
    )
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})

    from web.api.cases import blp as cases_blp
    from web.api.clock import blp as clock_blp
    from web.api.models import blp as models_blp
    from web.api.registry import blp as registry_blp
    from web.api.tasks import blp as tasks_blp
    from web.security import csrf

    from web.security import API_LIMIT, limiter

    for blueprint in (models_blp, cases_blp, tasks_blp, registry_blp, clock_blp):
        csrf.exempt(blueprint)  # bearer tokens, no cookies: CSRF does not apply
        limiter.limit(API_LIMIT)(blueprint)
        api.register_blueprint(blueprint)

    @app.errorhandler(KompisError)
    def _kompis_error(exc: KompisError):
        errors = getattr(exc, "errors", None)
        if isinstance(errors, list):
            errors = [e.as_dict() if isinstance(e, ElementError) else e for e in errors]
        if not request.path.startswith("/api/"):
            return render_error_page(exc)
        return error_body(status_of(exc), exc.code, exc.message, errors)

    messages = {401: "Inloggning krävs: skicka en giltig token (Authorization: Bearer …).",
                403: "Du har inte behörighet till detta.", 404: "Finns inte.",
                405: "Metoden stöds inte här.", 422: "Begäran innehåller fel."}

    original = app.handle_http_exception

    def _api_http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return original(exc)
        errors = (getattr(exc, "data", None) or {}).get("messages", {})
        if isinstance(errors, dict) and set(errors) <= {"json", "query", "form", "headers"} and errors:
            errors = {k: v for part in errors.values() for k, v in part.items()}
        return error_body(exc.code or 500, exc.name.lower().replace(" ", "_"),
                          messages.get(exc.code, exc.description), errors)

    app.handle_http_exception = _api_http_error
