"""A caseworker driving the engine the way the inbox does, checking after every step that the
stored case restores and re-serializes to exactly the same state (SpiffWorkflow's own test habit)."""
from __future__ import annotations

from sqlalchemy import select

import engine
from engine.bpmn.state import dump_state, load_state
from engine.deployments import compiled_model
from engine.models import Case, OpenTask


class Caseworker:
    def __init__(self, sessions, clock, name: str = "anna", group: str = "handlaggare"):
        self.sessions, self.clock, self.name, self.group = sessions, clock, name, group

    def inbox(self) -> list[OpenTask]:
        with self.sessions() as session:
            return session.scalars(select(OpenTask).where(OpenTask.group == self.group)
                                   .order_by(OpenTask.due_at, OpenTask.created_at)).all()

    def task(self, title: str) -> OpenTask:
        matches = [t for t in self.inbox() if t.title == title]
        assert matches, f"no open task '{title}' in {[t.title for t in self.inbox()]}"
        return matches[0]

    def start(self, process_key: str, data: dict, **kwargs) -> int:
        with self.sessions.begin() as session:
            case_id = engine.start_case(session, process_key, data, user=self.name, clock=self.clock, **kwargs).id
        self.check_round_trip(case_id)
        return case_id

    def complete(self, title: str, data: dict) -> int:
        task = self.task(title)
        with self.sessions.begin() as session:
            engine.claim_task(session, task.id, user=self.name, clock=self.clock)
        with self.sessions.begin() as session:
            case_id = engine.complete_task(session, task.id, data, user=self.name, clock=self.clock).id
        self.check_round_trip(case_id)
        return case_id

    def message(self, name: str, key: str, payload: dict) -> list[int]:
        with self.sessions.begin() as session:
            ids = [c.id for c in engine.correlate_message(session, name, key, payload, user="api",
                                                           clock=self.clock)]
        for case_id in ids:
            self.check_round_trip(case_id)
        return ids

    def fire_timers(self):
        return engine.fire_due_timers(self.sessions, clock=self.clock)

    def case(self, case_id: int) -> Case:
        with self.sessions() as session:
            return session.get(Case, case_id)

    def check_round_trip(self, case_id: int) -> None:
        case = self.case(case_id)
        model = compiled_model(case.deployment)
        workflow = load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs)
        assert dump_state(workflow) == case.state
