"""Build small BPMN documents in tests: one script, one condition or one timer in an otherwise
plain process, so each hostile or failing snippet gets its own diagram."""
from __future__ import annotations

from xml.sax.saxutils import escape

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs" targetNamespace="http://kompis.test">\n')


def script_process(script: str, key: str = "scripted") -> str:
    """start -> script task -> user task 'Kontrollera' -> end."""
    return HEAD + f"""  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Script"/>
    <bpmn:scriptTask id="Script" name="Beräkna"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Script" targetRef="Check"/>
    <bpmn:userTask id="Check" name="Kontrollera" camunda:formKey="note" camunda:candidateGroups="handlaggare">
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="F3" sourceRef="Check" targetRef="EndEvent"/>
    <bpmn:endEvent id="EndEvent"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def condition_process(condition: str, key: str = "gated", default: bool = True) -> str:
    """start -> gateway: condition -> user task 'Ja'; otherwise (default flow) -> end."""
    default_attr = ' default="FNo"' if default else ""
    return HEAD + f"""  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Gate"/>
    <bpmn:exclusiveGateway id="Gate" name="Villkor"{default_attr}><bpmn:incoming>F1</bpmn:incoming>
      <bpmn:outgoing>FYes</bpmn:outgoing><bpmn:outgoing>FNo</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="FYes" sourceRef="Gate" targetRef="Yes">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="FNo" sourceRef="Gate" targetRef="EndEvent">{'' if default else
      '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">False</bpmn:conditionExpression>'}</bpmn:sequenceFlow>
    <bpmn:userTask id="Yes" name="Ja" camunda:formKey="note"><bpmn:incoming>FYes</bpmn:incoming>
      <bpmn:outgoing>F3</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="F3" sourceRef="Yes" targetRef="EndEvent"/>
    <bpmn:endEvent id="EndEvent"><bpmn:incoming>FNo</bpmn:incoming><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def timer_process(expression: str, kind: str = "timeDuration", key: str = "timed") -> str:
    """start -> timer catch event -> user task 'Efter timern' -> end."""
    return HEAD + f"""  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Wait"/>
    <bpmn:intermediateCatchEvent id="Wait" name="Vänta"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TD"><bpmn:{kind}>{escape(expression)}</bpmn:{kind}></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="F2" sourceRef="Wait" targetRef="After"/>
    <bpmn:userTask id="After" name="Efter timern" camunda:formKey="note"><bpmn:incoming>F2</bpmn:incoming>
      <bpmn:outgoing>F3</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="F3" sourceRef="After" targetRef="EndEvent"/>
    <bpmn:endEvent id="EndEvent"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
