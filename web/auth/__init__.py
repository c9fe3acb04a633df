"""Sign-in, the signed-in user, and role checks shared by pages (and later the API)."""
from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from engine.models import User
from web import database

ROLE_LABELS = {"caseworker": _l("Handläggare"), "unit_manager": _l("Enhetschef"),
               "process_owner": _l("Processägare"), "admin": _l("Administratör")}


def current_user() -> User | None:
    if "user" not in g:
        user_id = session.get("user_id")
        user = database.reader().get(User, user_id) if user_id else None
        g.user = user if user is not None and user.active else None
    return g.user


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)
    return wrapped


def roles_required(*roles: str):
    """Only users with one of `roles` (admins always) reach the view; others get 403."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user().role not in roles and current_user().role != "admin":
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
