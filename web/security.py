"""Security baseline for every response: CSRF on forms, cookie flags, idle timeout, headers."""
from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# In memory per process; with several web workers set KOMPIS_RATELIMIT_STORAGE (e.g. a Redis URL).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
LOGIN_LIMIT = "10 per minute"
API_LIMIT = "600 per minute"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


DEFAULTS = {
    "PERMANENT_SESSION_LIFETIME": timedelta(minutes=180),
    "SESSION_REFRESH_EACH_REQUEST": True,  # with the lifetime above: signed out after 180 idle minutes
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "kompis_session",
    "WTF_CSRF_TIME_LIMIT": None,  # the session's own lifetime bounds the token
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,  # model uploads are refused above 2 MB with a reason anyway
}


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", os.environ.get("KOMPIS_RATELIMIT_STORAGE", "memory://"))
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(_error):
        if request.path.startswith("/api/"):
            from web.api import error_body

            return error_body(429, "too_many_requests", "För många förfrågningar; vänta en stund.")
        return render_template("error.html", title="För många försök",
                               message="Vänta en minut och försök igen."), 429

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
