"""REST API under /api/v1: bearer tokens, marshmallow schemas, OpenAPI at /api/v1/openapi.json,
one error body everywhere: {"code", "message", "errors"}."""
from __future__ import annotations

import json
from functools import wraps

from flask import Flask, abort, g, jsonify, request
from flask_smorest import Api, Blueprint
from flask_smorest import abort as abort_with
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, ElementError, InvalidData, InvalidModel, KompisError, NotFound, PermissionDenied
from engine.users import user_for_token
from web import database
from web.api.schemas import ErrorOut

api = Api()
# Document the one error body we send ({"code", "message", "errors"}) for the default, 401, 403, 404,
# 405, 413, 422 and 429 answers, not flask-smorest's {"code": <int>, "status", …} which we never send.
api.ERROR_SCHEMA = ErrorOut

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


# Only its decorators are used: they write the 401/403 answers into each operation's OpenAPI doc.
_doc = Blueprint("api_doc", __name__)


def token_required(*roles: str):
    """Bearer token → g.api_user; `roles` (admins always) limit who may call. Also refuses input no
    database can store (see `_refuse_unstorable_input`)."""
    def decorator(view):
        view = _doc.alt_response(401, schema=ErrorOut, description="Ingen giltig token")(view)
        if roles:
            only = f"Bara {', '.join(roles)} och admin"
            view = _doc.alt_response(403, schema=ErrorOut, description=only)(view)

        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            token = header[7:].strip() if header.lower().startswith("bearer ") else ""
            lookup = database.for_lookup(writes=request.method not in ("GET", "HEAD", "OPTIONS"))
            user = user_for_token(lookup, token, clock=database.clock()) if token else None
            if user is None:
                abort(401)
            if roles and user.role not in roles and user.role != "admin":
                abort(403)
            g.api_user = user
            _refuse_unstorable_input()
            return view(*args, **kwargs)
        return wrapped
    return decorator


NUL = "\x00"
MAX_JSON_DEPTH = 64
NUL_MESSAGE = "Får inte innehålla NUL-tecken (\\u0000)."


def _refuse_unstorable_input() -> None:
    """PostgreSQL cannot store NUL in text or JSON, and JSON nested thousands deep or with a number
    of thousands of digits trips Python's own limits: each would be a 500 further in. Refused here,
    the same on every database: 400 for JSON that cannot be read, 422 naming the field otherwise."""
    errors: dict[str, list[str]] = {}
    params = list((request.view_args or {}).items()) + list(request.args.items(multi=True))
    for name, value in params:
        if NUL in name or (isinstance(value, str) and NUL in value):
            errors[name.replace(NUL, "")] = [NUL_MESSAGE]
    if request.is_json and request.content_length != 0:
        try:
            body = json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):  # malformed, not UTF-8, a number over 4,300 digits, too deep
            abort_with(400, messages={"json": ["Ogiltig JSON."]})
        for path, problem in _json_problems(body):
            if problem not in errors.setdefault(path, []):
                errors[path].append(problem)
    if errors:
        abort_with(422, messages={"json": errors})


def _json_problems(body):
    """(field, message) for every NUL in a key or string and for nesting deeper than MAX_JSON_DEPTH
    (walked without recursion, so no depth can break the walk itself)."""
    stack = [(body, "_schema", 0)]
    while stack:
        value, field, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            yield field, f"Högst {MAX_JSON_DEPTH} nivåer nästlade värden."
            continue
        if isinstance(value, str) and NUL in value:
            yield field, NUL_MESSAGE
        elif isinstance(value, dict):
            for key, item in value.items():
                name = key if depth == 0 else field
                if NUL in key:
                    yield name.replace(NUL, ""), NUL_MESSAGE
                stack.append((item, name.replace(NUL, ""), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, field, depth + 1) for item in value)


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="Kompis API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
    )
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})

    from web.api.cases import blp as cases_blp
    from web.api.clock import blp as clock_blp
    from web.api.migrations import blp as migrations_blp
    from web.api.models import blp as models_blp
    from web.api.registry import blp as registry_blp
    from web.api.tasks import blp as tasks_blp
    from web.security import csrf

    from web.security import API_LIMIT, limiter

    for blueprint in (models_blp, migrations_blp, cases_blp, tasks_blp, registry_blp, clock_blp):
        csrf.exempt(blueprint)  # bearer tokens, no cookies: CSRF does not apply
        limiter.limit(API_LIMIT)(blueprint)
        api.register_blueprint(blueprint)

    @app.get("/api/v1/docs")
    def api_docs():
        """Swagger UI from the npm package, no CDN; reads /api/v1/openapi.json."""
        from flask import render_template

        return render_template("api_docs.html")

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
                400: "Begäran kunde inte läsas.", 405: "Metoden stöds inte här.",
                413: "Begäran är för stor (högst 4 MB).", 422: "Begäran innehåller fel."}

    flask_handler = app.handle_http_exception

    def _api_http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            # Handlers the app registered for a specific error (CSRF, rate limit) answer pages;
            # everything else gets the Swedish error page, not flask-smorest's JSON.
            if type(exc) in app.error_handler_spec.get(None, {}).get(exc.code, {}):
                return flask_handler(exc)
            return _page_error(exc)
        return error_body(exc.code or 500, exc.name.lower().replace(" ", "_"),
                          messages.get(exc.code, exc.description), _field_errors(exc))

    app.handle_http_exception = _api_http_error

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _api_http_error(exc)
        app.logger.exception("unexpected error on %s", request.path)
        if request.path.startswith("/api/"):
            return error_body(500, "internal_error", "Ett oväntat fel inträffade; det är loggat.")
        from flask import render_template

        return render_template("error.html", title="Något gick fel",
                               message="Ett oväntat fel inträffade. Felet är loggat; försök igen om en stund."), 500


def _page_error(exc: HTTPException):
    """Web pages: the Swedish error page for each status (flask-smorest would answer JSON)."""
    from flask import render_template

    titles = {400: ("Felaktig begäran", "Begäran kunde inte läsas."),
              403: ("Åtkomst nekad", "Du har inte behörighet till den här sidan."),
              404: ("Sidan finns inte", "Sidan du söker finns inte."),
              405: ("Fel metod", "Sidan kan inte användas så."),
              413: ("För stor", "Det du skickade är för stort."),
              429: ("För många försök", "Vänta en minut och försök igen.")}
    title, message = titles.get(exc.code, ("Något gick fel", exc.description or ""))
    return render_template("error.html", title=title, message=message), exc.code


def _field_errors(exc: HTTPException):
    """webargs' {"json": {"field": [...]}, "query": {...}} → {"field": [...]}; a message about the
    whole body (malformed JSON, a list instead of an object) → {"_schema": [...]}."""
    errors = (getattr(exc, "data", None) or {}).get("messages", {})
    if not (isinstance(errors, dict) and errors and set(errors) <= {"json", "query", "form", "headers"}):
        return errors
    flat = {}
    for part in errors.values():
        if isinstance(part, dict):
            flat.update(part)
        else:
            flat.setdefault("_schema", []).extend(part if isinstance(part, list) else [part])
    return flat
