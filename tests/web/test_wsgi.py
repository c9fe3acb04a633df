"""The production entry point (`gunicorn 'web.wsgi:app'`): an app built from the environment, in a
process tuned for long running."""
from __future__ import annotations

import gc
import importlib
import sys

from engine.gc_tuning import YOUNG_GENERATION
from web import database as web_database


def test_the_wsgi_module_serves_the_app_from_the_environment(db_url, monkeypatch):
    threshold = gc.get_threshold()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SECRET_KEY", "wsgi-test")
    sys.modules.pop("web.wsgi", None)
    try:
        wsgi = importlib.import_module("web.wsgi")
        assert wsgi.app.config["DATABASE_URL"] == db_url
        response = wsgi.app.test_client().get("/healthz")
        assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
        assert gc.get_threshold()[0] == YOUNG_GENERATION
    finally:
        sys.modules.pop("web.wsgi", None)
        gc.unfreeze()
        gc.set_threshold(*threshold)
        web_database.dispose_all()
