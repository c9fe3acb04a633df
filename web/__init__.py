"""The Flask application: thin routes over `engine/`. Only this package imports Flask."""
from __future__ import annotations

import logging
import os

from flask import Flask

from web import database

log = logging.getLogger(__name__)


def create_app(config: dict | None = None) -> Flask:
    """Application factory: settings from the environment, overridden by `config`."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(
        DATABASE_URL=os.environ.get("DATABASE_URL"),
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev-only-not-secret"),
        KOMPIS_CLOCK=os.environ.get("KOMPIS_CLOCK", "real"),
        KOMPIS_DEPLOY_BUILTIN=True,
    )
    if config:
        app.config.update(config)
    database.init_app(app)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
