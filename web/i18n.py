"""Swedish by default, English selectable. Message ids are the Swedish texts; the English
catalogue lives in web/translations (compiled by `make setup`)."""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, request, session
from flask_babel import Babel

LANGUAGES = ("sv", "en")
babel = Babel()
bp = Blueprint("i18n", __name__)


def _locale() -> str:
    return session.get("lang") if session.get("lang") in LANGUAGES else "sv"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "sv")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm")
    babel.init_app(app, locale_selector=_locale)
    app.register_blueprint(bp)


@bp.post("/lang/<code>")
def choose(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    target = request.referrer or "/"
    return redirect(target if target.startswith(request.host_url) or target.startswith("/") else "/")
