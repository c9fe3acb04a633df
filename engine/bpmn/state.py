"""Serialize a case's workflow without its spec, and restore it against the deployment's spec.

SpiffWorkflow's JSON carries the whole spec in every case (about half a small case's bytes). A case
row keeps only its own tasks and data; the spec is parsed once per deployment and shared.
"""
from __future__ import annotations

import json
import threading
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from engine.errors import KompisError


class SharedSpecWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subprocess_specs = dct.pop("_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(CAMUNDA_CONFIG)
_config[BpmnWorkflow] = SharedSpecWorkflowConverter
_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    # The serializer's registry flips a shared flag while encoding: one per thread.
    serializer = getattr(_local, "serializer", None)
    if serializer is None:
        serializer = _local.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
    return serializer


# Bumped whenever the stored shape changes; old shapes get a migration and a frozen fixture test.
STATE_VERSION = f"spiff-{SPIFF_SERIALIZER_VERSION}/kompis-1"


class UnsupportedStateVersion(KompisError):
    code = "unsupported_state_version"


def dump_state(workflow: BpmnWorkflow) -> str:
    """The case's state as compact JSON, spec excluded."""
    serializer = _serializer()
    serializer.registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)
        return json.dumps(dct, cls=serializer._encoder_cls, separators=(",", ":"), ensure_ascii=False)
    finally:
        serializer.registry._encoder_mode = False


def load_state(text: str, version: str, spec, subprocess_specs) -> BpmnWorkflow:
    """Restore a workflow; the caller must attach the sandboxed script engine afterwards."""
    if version != STATE_VERSION:
        raise UnsupportedStateVersion(
            f"Ärendets sparade tillstånd har versionen {version}; den här versionen av Kompis läser {STATE_VERSION}")
    dct = json.loads(text)
    dct["_specs"] = (spec, subprocess_specs)
    return _serializer().from_dict(dct)
