"""Turn an exception from an engine step into something a caseworker or process owner can act on."""
from __future__ import annotations

from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException

from engine.errors import ScriptError


def _root_cause(exc: BaseException) -> BaseException:
    # SpiffWorkflow wraps the real error without keeping it; Python's chaining still has it.
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


def explain(exc: BaseException) -> str:
    """A plain Swedish sentence for the failure."""
    cause = _root_cause(exc)
    if isinstance(cause, ScriptError):
        return cause.message
    if isinstance(cause, NameError):
        text = str(cause)
        name = getattr(cause, "name", None) or (text.split("'")[1] if "'" in text else text)
        return f"Värdet '{name}' saknas i ärendets data."
    if isinstance(cause, (KeyError, IndexError)):
        return f"Ett värde saknas i ärendets data: {cause}."
    if isinstance(cause, ZeroDivisionError):
        return "Division med noll i en beräkning."
    if isinstance(cause, (TypeError, ValueError)):
        return f"Fel typ av värde i en beräkning: {cause}."
    message = str(exc.args[0]) if getattr(exc, "args", None) else str(exc)
    if "No conditions satisfied" in message or "no default" in message.lower():
        return "Inget av grindens villkor stämde och grinden saknar standardflöde."
    if isinstance(exc, (SpiffWorkflowException, WorkflowException)):
        return f"Steget misslyckades: {message}"
    return f"Steget misslyckades: {type(cause).__name__}: {cause}"


def describe(exc: BaseException) -> dict:
    """The failure as stored on the case: element, message, line, task id."""
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(exc, "task_spec", None)
    return {
        "element_id": getattr(spec, "name", None),
        "element_name": getattr(spec, "bpmn_name", None),
        "message": explain(exc),
        "line": getattr(exc, "line_number", None) or None,
        "task_id": str(task.id) if task is not None else None,
        "detail": f"{type(exc).__name__}: {exc}"[:2000],
    }
