"""Find who a message is for: cases waiting for it, or the process a message start event begins."""
from __future__ import annotations

import threading

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.deployments import compiled_model
from engine.errors import NoWaitingCase
from engine.models import Case, Deployment, WaitingMessage

_start_messages: dict[tuple[int, str], frozenset[str]] = {}
_lock = threading.Lock()


def cases_waiting_for(session: Session, name: str, correlation_key: str | None) -> list[int]:
    """Ids of running cases waiting for this message with this key, oldest first."""
    key_match = (WaitingMessage.correlation_key.is_(None) if correlation_key is None
                 else WaitingMessage.correlation_key == str(correlation_key))
    rows = session.execute(
        select(WaitingMessage.case_id).join(Case, Case.id == WaitingMessage.case_id)
        .where(WaitingMessage.name == name, key_match, Case.status == "running")
        .group_by(WaitingMessage.case_id).order_by(WaitingMessage.case_id)).scalars().all()
    return list(rows)


def start_messages(deployment: Deployment) -> frozenset[str]:
    """Names of the messages that start this version of a process."""
    with _lock:
        cached = _start_messages.get((deployment.id, deployment.sha256))
    if cached is None:
        spec = compiled_model(deployment).spec
        cached = frozenset(
            ts.event_definition.name for ts in spec.task_specs.values()
            if isinstance(ts, StartEvent) and isinstance(getattr(ts, "event_definition", None),
                                                          MessageEventDefinition))
        with _lock:
            _start_messages[(deployment.id, deployment.sha256)] = cached
    return cached


def process_started_by(session: Session, name: str) -> str:
    """The key of the (latest deployed) process a message start event begins; NoWaitingCase if none."""
    latest = (select(Deployment.process_key, func.max(Deployment.version).label("v"))
              .group_by(Deployment.process_key).subquery())
    deployments = session.scalars(
        select(Deployment).join(latest, (latest.c.process_key == Deployment.process_key)
                                & (latest.c.v == Deployment.version)).order_by(Deployment.process_key)).all()
    for deployment in deployments:
        if name in start_messages(deployment):
            return deployment.process_key
    raise NoWaitingCase(f"Inget ärende väntar på meddelandet '{name}' med den nyckeln, "
                        "och ingen process startar med det.")
