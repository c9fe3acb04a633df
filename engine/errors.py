"""Every error the engine raises on purpose. `web/` maps these to HTTP once; the CLI prints them."""
from __future__ import annotations

from dataclasses import dataclass, field


class KompisError(Exception):
    """Base class: the message is written for the person who caused it."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(KompisError):
    code = "not_found"


class UnknownProcess(NotFound):
    code = "unknown_process"


class UnknownCase(NotFound):
    code = "unknown_case"


class UnknownTask(NotFound):
    code = "unknown_task"


class NoWaitingCase(NotFound):
    """A message arrived that no case waits for and no process starts with."""

    code = "no_waiting_case"


class Conflict(KompisError):
    """The request was valid but the case has moved on; reload and try again."""

    code = "conflict"


class TaskNotOpen(Conflict):
    code = "task_not_open"


class StaleCase(Conflict):
    code = "stale_case"


class CaseNotRunning(Conflict):
    code = "case_not_running"


class PermissionDenied(KompisError):
    code = "permission_denied"


@dataclass
class FieldError:
    field: str
    message: str


class InvalidData(KompisError):
    """Submitted data failed validation; `errors` maps a field path to its messages."""

    code = "invalid_data"

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class UnknownForm(KompisError):
    code = "unknown_form"


@dataclass
class ElementError:
    """One problem in a model file, pointing at the element a process owner must fix."""

    element_id: str | None
    line: int | None
    message: str
    file: str | None = None
    severity: str = "error"

    def as_dict(self) -> dict:
        return {"element_id": self.element_id, "line": self.line, "message": self.message,
                "file": self.file, "severity": self.severity}

    def __str__(self) -> str:
        where = self.file or ""
        if self.line:
            where += f":{self.line}"
        element = f" [{self.element_id}]" if self.element_id else ""
        return f"{where}{element} {self.message}".strip()


class InvalidModel(KompisError):
    """A BPMN/DMN file cannot be deployed; `errors` lists each offending element."""

    code = "invalid_model"

    def __init__(self, message: str, errors: list[ElementError] | None = None):
        super().__init__(message)
        self.errors = errors or []


@dataclass
class ScriptFailure:
    element_id: str
    message: str
    line: int | None = None


class ScriptError(KompisError):
    """A script, condition or expression in a diagram failed or broke the sandbox rules."""

    code = "script_error"


class ScriptTimeout(ScriptError):
    code = "script_timeout"


class ClockError(KompisError):
    code = "clock_error"


@dataclass
class CaseFailure:
    """What a failed step left behind on a case: shown to the caseworker, cleared on retry."""

    element_id: str | None
    element_name: str | None
    message: str
    task_id: str | None = None
    details: dict = field(default_factory=dict)
