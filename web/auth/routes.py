"""/login and /logout."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine.users import LockedOut, authenticate
from web.security import LOGIN_LIMIT, limiter
from web import database

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    parsed = urlparse(target or "")
    if parsed.scheme or parsed.netloc or not (target or "").startswith("/"):
        return url_for("inbox.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    error = None
    if request.method == "POST":
        db = database.session()
        try:
            user = authenticate(db, request.form.get("username", ""), request.form.get("password", ""),
                                clock=database.clock())
        except LockedOut as exc:
            user, error = None, exc.message
        db.commit()  # failed-login counters and lock-outs are kept
        if user is not None:
            session.clear()
            session.permanent = True
            session["user_id"] = user.id
            return redirect(_safe_next(request.args.get("next")))
        error = error or _("Fel användarnamn eller lösenord.")
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login"))
