"""Users, passwords (argon2) and API tokens. Roles decide what a user may do; groups decide which
cases they may see (the diagrams' lanes and candidate groups)."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import InvalidData, KompisError, NotFound
from engine.models.users import ROLES, ApiToken, User

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._\-]{1,49}$")
_GROUP = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,49}$")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10


class LockedOut(KompisError):
    code = "locked_out"


def create_user(session: Session, username: str, *, role: str, clock: Clock, groups: list[str] | tuple = (),
                password: str | None = None, display_name: str = "") -> tuple[User, str]:
    """Add a user; returns (user, password) — a generated one if none was given. Raises InvalidData."""
    errors = {}
    if not _USERNAME.match(username or ""):
        errors["username"] = ["Användarnamnet får bara ha små bokstäver a–z, siffror, punkt, - och _ (2–50 tecken)."]
    if role not in ROLES:
        errors["role"] = [f"Rollen måste vara en av: {', '.join(ROLES)}."]
    bad_groups = [g for g in groups if not _GROUP.match(g)]
    if bad_groups:
        errors["group"] = [f"Ogiltigt gruppnamn: {', '.join(bad_groups)}."]
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"Lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken."]
    if not errors and session.scalars(select(User).where(User.username == username)).first():
        errors["username"] = [f"Användaren {username} finns redan."]
    if errors:
        raise InvalidData("Användaren kan inte skapas.", errors)
    password = password or secrets.token_urlsafe(12)
    user = User(username=username, display_name=display_name or username, password_hash=_hasher.hash(password),
                role=role, groups=sorted(set(groups)), active=True, failed_logins=0, created_at=clock.now())
    session.add(user)
    session.flush()
    return user, password


def authenticate(session: Session, username: str, password: str, *, clock: Clock) -> User | None:
    """The user if the password is right; counts failures and locks the account after five."""
    user = session.scalars(select(User).where(User.username == (username or "").strip().lower())).first()
    if user is None or not user.active:
        _hasher.hash("timing-equaliser")  # about as slow as a real check
        return None
    if user.locked_until and user.locked_until > clock.now():
        minutes = int((user.locked_until - clock.now()).total_seconds() // 60) + 1
        raise LockedOut(f"Kontot är låst efter för många felaktiga inloggningar. Försök igen om {minutes} minuter.")
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerifyMismatchError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = clock.now() + LOCKOUT, 0
        return None
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, username: str, *, clock: Clock, expires: timedelta | None = None) -> str:
    """A new bearer token for the user, returned once; only its hash is kept."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"Användaren {username} finns inte.")
    token = "kompis_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), prefix=token[:12], created_at=clock.now(),
                         expires_at=clock.now() + expires if expires else None))
    session.flush()
    return token


# Every API request asks this: one prepared statement for the token and its user.
_BY_TOKEN = (select(User).join(ApiToken, ApiToken.user_id == User.id)
             .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                    or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now")), User.active.is_(True)))


def user_for_token(session: Session, token: str, *, clock: Clock) -> User | None:
    """The active user of a token that is neither revoked nor expired, else None."""
    return session.scalars(_BY_TOKEN, {"token_hash": _token_hash(token or ""), "now": clock.now()}).first()


def revoke_token(session: Session, prefix: str, *, clock: Clock) -> int:
    rows = session.scalars(select(ApiToken).where(ApiToken.prefix == prefix, ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = clock.now()
    return len(rows)


def parse_expiry(text: str) -> timedelta:
    """'90d', '12h', '2w' -> timedelta."""
    match = re.fullmatch(r"(\d+)\s*([dhw])", (text or "").strip().lower())
    if not match:
        raise InvalidData("Ange giltighetstid som t.ex. 90d, 12h eller 2w.", {"expires": ["Ogiltig tid."]})
    amount, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=amount), "h": timedelta(hours=amount), "w": timedelta(weeks=amount)}[unit]
