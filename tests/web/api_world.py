"""A small world for API tests: the approval process, one user (and token) per role, and two cases
about a named applicant: one at its review task, one reviewed and waiting for the register's answer.

Users are made with a cheap password hash: argon2 at its real cost would make the permission matrix
(a fresh world for every route × role) take minutes; the tests here sign in with tokens only."""
from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlalchemy import select

import engine
import engine.users
from engine.models import OpenTask
from engine.users import create_token, create_user

# The applicant every case is about: none of this may reach a caller who may not see the case.
APPLICANT = {"first_name": "Astrid", "last_name": "Lindqvist", "personnummer": "19640823-3234"}
PERSONAL_DATA = ("Lindqvist", "19640823-3234", "196408233234")

# role name in the tests -> (role, groups). "intake" started both cases and reviewed the second one.
PEOPLE = {
    "own_group": ("caseworker", ["handlaggare"]),
    "other_group": ("caseworker", ["annan"]),
    "unit_manager": ("unit_manager", []),
    "process_owner": ("process_owner", []),
    "admin": ("admin", []),
    "intake": ("caseworker", ["handlaggare"]),
}
CALLERS = ("own_group", "other_group", "unit_manager", "process_owner", "admin", "no_token")


@dataclass
class World:
    tokens: dict[str, str]
    case_id: int  # at its review task (lane "handlaggare"), nobody has claimed it
    task_id: str
    waiting_case_id: int  # reviewed by intake, waits for register_answer with key WAITING_KEY
    usernames: dict[str, str] = field(default_factory=dict)

    WAITING_KEY = "W-1"

    def headers(self, caller: str) -> dict[str, str]:
        return {} if caller == "no_token" else {"Authorization": f"Bearer {self.tokens[caller]}"}

    @property
    def ids(self) -> dict:
        return {"case": self.case_id, "task": self.task_id, "waiting_case": self.waiting_case_id,
                "waiting_key": self.WAITING_KEY}


def build_world(sessions, clock, deploy_fixture, monkeypatch) -> World:
    monkeypatch.setattr(engine.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    deploy_fixture("approval")
    tokens, usernames = {}, {}
    with sessions.begin() as session:
        for name, (role, groups) in PEOPLE.items():
            username = name.replace("_", "-")
            create_user(session, username, role=role, groups=groups, clock=clock)
            tokens[name], usernames[name] = create_token(session, username, clock=clock), username
        case = engine.start_case(session, "approval", {"applicant_id": "A-1", **APPLICANT}, user="intake",
                                 clock=clock)
        waiting = engine.start_case(session, "approval", {"applicant_id": World.WAITING_KEY, **APPLICANT},
                                    user="intake", clock=clock)
        case_id, waiting_id = case.id, waiting.id
    with sessions.begin() as session:
        task_id, reviewed = (session.scalar(select(OpenTask.id).where(OpenTask.case_id == i))
                             for i in (case_id, waiting_id))
        engine.claim_task(session, reviewed, user="intake", clock=clock)
        engine.complete_task(session, reviewed, {"approved": True, "points": 8}, user="intake", clock=clock)
    return World(tokens=tokens, case_id=case_id, task_id=task_id, waiting_case_id=waiting_id,
                 usernames=usernames)


def leaked(text: str) -> list[str]:
    """The applicant's personal data found in a response body."""
    return [secret for secret in PERSONAL_DATA if secret in text]
