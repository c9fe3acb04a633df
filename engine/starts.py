"""What a caseworker can start by hand: processes marked `camunda:isStartableInTasklist="true"`, and
messages that start a process when a message form (`forms/message_<name>.json`) lets a person enter one."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn.validation import BPMN_NS, CAMUNDA_NS, executable_process_ids
from engine.bpmn.xml import parse_xml
from engine.forms import FormStore
from engine.messages import start_messages
from engine.models import Deployment


@dataclass(frozen=True)
class StartOption:
    process_key: str
    title: str
    message: str | None = None  # a message start: the form registers this message
    form_key: str | None = None


def latest_deployments(session: Session) -> list[Deployment]:
    latest = (select(Deployment.process_key, func.max(Deployment.version).label("v"))
              .group_by(Deployment.process_key).subquery())
    return list(session.scalars(select(Deployment).join(
        latest, (latest.c.process_key == Deployment.process_key) & (latest.c.v == Deployment.version))
        .order_by(Deployment.process_key)))


def start_options(session: Session, forms: FormStore) -> list[StartOption]:
    """Everything startable by hand, in process order."""
    options = []
    for deployment in latest_deployments(session):
        tree = parse_xml(deployment.bpmn_xml, deployment.main_file)
        [key] = executable_process_ids(tree)[:1] or [deployment.process_key]
        process = tree.getroot().find(f"{{{BPMN_NS}}}process[@id='{key}']")
        name = process.get("name") or key
        for message in sorted(start_messages(deployment)):
            form_key = f"message_{message}"
            if forms.exists(form_key):
                options.append(StartOption(deployment.process_key, forms.get(form_key).title, message, form_key))
        if process.get(f"{{{CAMUNDA_NS}}}isStartableInTasklist") == "true":
            options.append(StartOption(deployment.process_key, name))
    return options


def message_form_key(name: str) -> str:
    return f"message_{name}"
