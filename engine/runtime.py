"""What one engine command runs with: the session, the clock, who acts, and follow-up work.

Helpers called from diagram scripts (start another case, send a message, notify someone) must not
touch the database while SpiffWorkflow is mid-step; they queue work here, done after the case is saved,
still inside the same transaction.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.forms import FormStore

_default_forms: FormStore | None = None


def default_forms() -> FormStore:
    global _default_forms
    if _default_forms is None:
        _default_forms = FormStore()
    return _default_forms


def set_default_forms(store: FormStore | None) -> None:
    """Point the engine at another forms folder (tests, a municipality's own forms)."""
    global _default_forms
    _default_forms = store


@dataclass
class Runtime:
    session: Session
    clock: Clock
    actor: str
    forms: FormStore = field(default_factory=default_forms)
    after_save: list[Callable[[], None]] = field(default_factory=list)
    depth: int = 0

    def defer(self, work: Callable[[], None]) -> None:
        self.after_save.append(work)

    def run_deferred(self) -> None:
        while self.after_save:
            self.after_save.pop(0)()
