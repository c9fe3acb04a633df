"""REST API under /api/v1: bearer tokens, marshmallow schemas, OpenAPI at /api/v1/openapi.json,
one error body everywhere: {"code", "message", "errors"}."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, g, jsonify, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, InvalidData, KompisError, NotFound, PermissionDenied
from engine.users import user_for_token
from web import database

api = Api()

STATUS = {NotFound: 404, Conflict: 409, InvalidData: 422, PermissionDenied: 403}


def error_body(status: int, code: str, message: str, errors=None):
    response = jsonify({"code": code, "message": message, "errors": errors or {}})
    response.status_code = status
    return response


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

    from web.api.clock import blp as clock_blp
    from web.security import csrf

    for blueprint in (clock_blp,):
        csrf.exempt(blueprint)  # bearer tokens, no cookies: CSRF does not apply
        api.register_blueprint(blueprint)

    @app.errorhandler(KompisError)
    def _kompis_error(exc: KompisError):
        return error_body(status_of(exc), exc.code, exc.message, getattr(exc, "errors", None))

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
