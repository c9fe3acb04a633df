"""Comparing two versions: elements added, removed and changed in meaning (not in layout), and the
text diff of every file that changed."""
from __future__ import annotations

from engine.model_compare import compare_versions
from engine.models import Deployment
from tests.bpmn_text import script_process

LAYOUT = ('<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
          'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="Diagram"><bpmndi:BPMNPlane id="Plane" '
          'bpmnElement="scripted"><bpmndi:BPMNShape id="Check_di" bpmnElement="Check">'
          '<dc:Bounds x="{x}" y="80" width="100" height="80"/></bpmndi:BPMNShape></bpmndi:BPMNPlane>'
          '</bpmndi:BPMNDiagram></bpmn:definitions>')


def version(number: int, text: str, **extra_files) -> Deployment:
    return Deployment(process_key="scripted", version=number, main_file="s.bpmn",
                      files={"s.bpmn": text, **extra_files})


def with_layout(text: str, x: int) -> str:
    return text.replace("</bpmn:definitions>", LAYOUT.format(x=x))


def test_a_renamed_task_and_a_changed_script_are_changed_elements():
    old = version(1, script_process("x = 1"))
    new = version(2, script_process("x = 2").replace('name="Kontrollera"', 'name="Kontrollera noga"'))
    diff = compare_versions(old, new)
    assert (diff.added, diff.removed, diff.changed) == ([], [], ["Check", "Script"])
    assert '-    <bpmn:userTask id="Check" name="Kontrollera"' in diff.xml_diff
    assert '+    <bpmn:userTask id="Check" name="Kontrollera noga"' in diff.xml_diff
    assert diff.files_changed == ["s.bpmn"]


def test_added_and_removed_elements():
    old = version(1, script_process("x = 1"))
    new_text = script_process("x = 1").replace(
        '<bpmn:sequenceFlow id="F3" sourceRef="Check" targetRef="EndEvent"/>',
        '<bpmn:sequenceFlow id="F4" sourceRef="Check" targetRef="EndEvent"/>').replace(
        "<bpmn:outgoing>F3</bpmn:outgoing>", "<bpmn:outgoing>F4</bpmn:outgoing>").replace(
        "<bpmn:incoming>F3</bpmn:incoming>", "<bpmn:incoming>F4</bpmn:incoming>")
    diff = compare_versions(old, version(2, new_text))
    assert (diff.added, diff.removed) == (["F4"], ["F3"])
    assert diff.changed == ["Check", "EndEvent"]  # their flow references changed


def test_moving_a_shape_is_no_change_of_meaning():
    old = version(1, with_layout(script_process("x = 1"), 100))
    new = version(2, with_layout(script_process("x = 1"), 300))
    diff = compare_versions(old, new)
    assert (diff.added, diff.removed, diff.changed) == ([], [], [])
    assert diff.files_changed == ["s.bpmn"] and 'x="300"' in diff.xml_diff


def test_identical_versions_and_changed_side_files():
    text = script_process("x = 1")
    assert compare_versions(version(1, text), version(2, text)).identical
    diff = compare_versions(version(1, text), version(2, text, **{"forms/note.json": '{"type": "object"}'}))
    assert diff.files_changed == ["forms/note.json"] and not diff.xml_diff
    assert '+{"type": "object"}' in diff.file_diffs["forms/note.json"]


def test_a_diagram_saved_in_another_layout_diffs_only_where_it_changed():
    hand_written = script_process("x = 1")
    # The same process as an editor saves it: one line, attributes in another order.
    reformatted = " ".join(line.strip() for line in hand_written.splitlines()).replace(
        '<bpmn:userTask id="Check" name="Kontrollera" camunda:formKey="note"',
        '<bpmn:userTask camunda:formKey="note" name="Kontrollera noga" id="Check"')
    diff = compare_versions(version(1, hand_written), version(2, reformatted))
    changed_lines = [line for line in diff.xml_diff.splitlines()
                     if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed_lines) == 2 and "Kontrollera noga" in changed_lines[1]
    assert diff.changed == ["Check"]
