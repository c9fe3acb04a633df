"""Security baseline for every response: CSRF on forms, cookie flags, idle timeout, headers."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


DEFAULTS = {
    "PERMANENT_SESSION_LIFETIME": timedelta(minutes=180),
    "SESSION_REFRESH_EACH_REQUEST": True,  # with the lifetime above: signed out after 180 idle minutes
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "kompis_session",
    "WTF_CSRF_TIME_LIMIT": None,  # the session's own lifetime bounds the token
}


def init_app(app: Flask) -> None:
    csrf.init_app(app)

    @app.before_request
    def _secure_cookie_over_https():
        app.config["SESSION_COOKIE_SECURE"] = request.is_secure

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html" or request.path.startswith("/api/"):
            # Pages and API answers carry personal data: never cached.
            response.headers["Cache-Control"] = "no-store"
        return response
