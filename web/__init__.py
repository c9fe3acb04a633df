"""The Flask application: thin routes over `engine/`. Only this package imports Flask."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, render_template

from engine import personnummer
from engine.clock import STOCKHOLM
from web import database, security


def create_app(config: dict | None = None) -> Flask:
    """Application factory: settings from the environment, overridden by `config`."""
    app = Flask(__name__)
    app.config.update(
        DATABASE_URL=os.environ.get("DATABASE_URL"),
        SECRET_KEY=os.environ.get("SECRET_KEY") or _development_secret(),
        KOMPIS_CLOCK=os.environ.get("KOMPIS_CLOCK", "real"),
    )
    app.config.update(security.DEFAULTS)
    if config:
        app.config.update(config)
    database.init_app(app)
    security.init_app(app)
    _register_blueprints(app)
    from web import api

    api.init_app(app)
    _register_templates(app)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


def _development_secret() -> str:
    """Without SECRET_KEY: a random key kept in instance/ (refused when KOMPIS_ENV=production)."""
    if os.environ.get("KOMPIS_ENV") == "production":
        raise RuntimeError("SECRET_KEY måste sättas när KOMPIS_ENV=production.")
    path = Path("instance") / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _register_blueprints(app: Flask) -> None:
    from web import i18n
    from web.auth.routes import bp as auth
    from web.cases.routes import bp as cases
    from web.inbox.routes import bp as inbox
    from web.modeler.routes import bp as modeler
    from web.outbox.routes import bp as outbox
    from web.registry.routes import bp as registry
    from web.tasks.routes import bp as tasks
    from web.vendor import bp as vendor

    i18n.init_app(app)
    for blueprint in (auth, inbox, tasks, cases, registry, outbox, vendor, modeler):
        app.register_blueprint(blueprint)


def _register_templates(app: Flask) -> None:
    from flask_babel import get_locale

    from web.auth import ROLE_LABELS, current_user

    @app.context_processor
    def _globals():
        return {"current_user": current_user(), "role_labels": ROLE_LABELS, "get_locale": get_locale}

    @app.template_filter("local_datetime")
    def local_datetime(value):
        return value.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M") if value else ""

    @app.template_filter("local_date")
    def local_date(value):
        return value.astimezone(STOCKHOLM).strftime("%Y-%m-%d") if value else ""

    @app.template_filter("masked_pnr")
    def masked_pnr(value):
        return personnummer.masked(value)

    @app.template_filter("reject_key")
    def reject_key(mapping, key):
        return {k: v for k, v in mapping.items() if k != key}

    @app.errorhandler(403)
    def forbidden(_error):
        return render_template("error.html", title="Åtkomst nekad",
                               message="Du har inte behörighet till den här sidan."), 403

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("error.html", title="Sidan finns inte",
                               message="Sidan du söker finns inte."), 404

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        return render_template("error.html", title="Formuläret har gått ut",
                               message="Ladda om sidan och försök igen."), 400

    @app.errorhandler(400)
    def bad_request(error):
        return render_template("error.html", title="Felaktig begäran",
                               message=getattr(error, "description", "Begäran kunde inte läsas.")), 400
