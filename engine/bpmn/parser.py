"""SpiffWorkflow's Camunda parser, taught to read the Camunda 7 attributes Kompis uses.

CamundaParser reads `camunda:formKey`; the inbox also needs candidate groups, assignee, due date and
priority. They are put in the task spec's `extensions`, which the serializer already keeps.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent, StartEvent
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

USER_TASK_ATTRIBUTES = ("formKey", "candidateGroups", "candidateUsers", "assignee", "dueDate", "priority")


def _camunda_properties(parser) -> dict:
    nodes = parser.xpath(".//bpmn:extensionElements/camunda:properties/camunda:property")
    return {node.get("name"): node.get("value") for node in nodes}


class KompisUserTaskParser(UserTaskParser):
    def parse_extensions(self, node=None):
        extensions = _camunda_properties(self)
        for name in USER_TASK_ATTRIBUTES:
            value = self.node.get(f"{{{CAMUNDA_MODEL_NS}}}{name}")
            if value is not None:
                extensions[name] = value
        return extensions


class _PropertiesMixin:
    def parse_extensions(self, node=None):
        return _camunda_properties(self)


class KompisStartEventParser(_PropertiesMixin, CamundaStartEventParser):
    pass


class KompisCatchEventParser(_PropertiesMixin, CamundaIntermediateCatchEventParser):
    pass


class KompisBoundaryEventParser(_PropertiesMixin, CamundaBoundaryEventParser):
    pass


class KompisParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (KompisUserTaskParser, UserTask),
        full_tag("startEvent"): (KompisStartEventParser, StartEvent),
        full_tag("intermediateCatchEvent"): (KompisCatchEventParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (KompisBoundaryEventParser, BoundaryEvent),
    }
