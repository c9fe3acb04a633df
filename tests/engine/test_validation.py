"""Validation before deploy: one test per rule, each naming the element and its line."""
from __future__ import annotations

import pytest

from engine.bpmn.validation import compile_bundle
from engine.errors import InvalidModel
from tests.bpmn_text import HEAD, condition_process, script_process, timer_process


def line_with(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def problems(files, main=None, forms=None, known_groups=None):
    main = main or next(iter(files))
    with pytest.raises(InvalidModel) as caught:
        compile_bundle(files, main, forms, known_groups)
    return caught.value.errors


def only(files, forms=None, known_groups=None):
    [error] = problems(files, forms=forms, known_groups=known_groups)
    return error


def test_a_valid_model_compiles():
    assert compile_bundle({"a.bpmn": script_process("x = 1")}, "a.bpmn").process_key == "scripted"


def test_user_task_without_form_key():
    text = script_process("x = 1").replace(' camunda:formKey="note"', "")
    error = only({"a.bpmn": text})
    assert (error.element_id, error.line) == ("Check", line_with(text, 'id="Check"'))
    assert "saknar formulär" in error.message


def test_user_task_with_unknown_form(forms):
    error = only({"a.bpmn": script_process("x = 1").replace('formKey="note"', 'formKey="nosuch"')}, forms=forms)
    assert error.element_id == "Check" and "Formuläret 'nosuch' finns inte" in error.message


def test_condition_with_syntax_error():
    error = only({"a.bpmn": condition_process("age >=")})
    assert error.element_id == "FYes"
    assert error.message == ("Villkoret: Otillåten eller felaktig kod: rad 1: SyntaxError: invalid syntax at "
                             "statement: 'age >='")


def test_unquoted_duration_literal():
    error = only({"a.bpmn": timer_process("P14D")})
    assert error.element_id == "Wait" and 'citattecken' in error.message


def test_invalid_duration_literal():
    error = only({"a.bpmn": timer_process('"P14X"')})
    assert error.element_id == "Wait" and "ISO 8601" in error.message


def test_time_date_without_timezone():
    error = only({"a.bpmn": timer_process('"2026-03-01T12:00:00"', kind="timeDate")})
    assert "tidszon" in error.message


def test_timer_helper_call_is_accepted():
    compile_bundle({"a.bpmn": timer_process('monthly_report_deadline("2026-05")', kind="timeDate")}, "a.bpmn")


def test_unknown_called_process():
    text = HEAD + """<bpmn:process id="p" isExecutable="true">
  <bpmn:startEvent id="S"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="Call"/>
  <bpmn:callActivity id="Call" calledElement="ghost"><bpmn:incoming>F1</bpmn:incoming></bpmn:callActivity>
</bpmn:process></bpmn:definitions>"""
    error = problems({"a.bpmn": text})[0]
    assert (error.element_id, error.line) == ("Call", line_with(text, 'id="Call"'))
    assert "'ghost' finns inte" in error.message


def test_unknown_decision():
    text = HEAD + """<bpmn:process id="p" isExecutable="true">
  <bpmn:startEvent id="S"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="Rule"/>
  <bpmn:businessRuleTask id="Rule" camunda:decisionRef="ghost"><bpmn:incoming>F1</bpmn:incoming></bpmn:businessRuleTask>
</bpmn:process></bpmn:definitions>"""
    error = problems({"a.bpmn": text})[0]
    assert error.element_id == "Rule" and "Beslutstabellen 'ghost' finns inte" in error.message


def test_dangling_flow_is_reported_with_a_line():
    text = script_process("x = 1").replace('targetRef="Check"', 'targetRef="Nowhere"')
    error = problems({"a.bpmn": text})[0]
    assert error.element_id and error.line


def test_malformed_xml_reports_the_line():
    text = script_process("x = 1").replace("</bpmn:process>", "</bpmn:proces>")
    error = only({"a.bpmn": text})
    assert error.line == line_with(text, "</bpmn:proces>") and error.message.startswith("Felaktig XML")


def test_reserved_engine_ids_are_refused():
    text = script_process("x = 1").replace('id="StartEvent"', 'id="Start"').replace('sourceRef="StartEvent"',
                                                                                   'sourceRef="Start"')
    error = problems({"a.bpmn": text})[0]
    assert error.element_id == "Start" and "reserverat" in error.message


def test_service_tasks_are_refused():
    text = script_process("x = 1").replace("bpmn:scriptTask", "bpmn:serviceTask")
    assert any("Serviceuppgifter" in e.message for e in problems({"a.bpmn": text}))


def test_priority_must_be_a_number():
    text = script_process("x = 1").replace('camunda:formKey="note"', 'camunda:formKey="note" camunda:priority="hög"')
    assert "Prioritet" in only({"a.bpmn": text}).message


def test_every_problem_is_listed_not_just_the_first():
    text = script_process("import os").replace(' camunda:formKey="note"', "")
    assert {e.element_id for e in problems({"a.bpmn": text})} == {"Script", "Check"}


def test_candidate_group_nobody_belongs_to(forms):
    text = script_process("x = 1").replace('camunda:candidateGroups="handlaggare"', 'camunda:candidateGroups="ekonomi"')
    error = only({"a.bpmn": text}, forms, known_groups={"handlaggare", "enhetschef"})
    assert error.element_id == "Check" and "'ekonomi' finns inte" in error.message
    assert "handlaggare" in error.message  # the groups that do exist are named
    assert compile_bundle({"a.bpmn": text}, "a.bpmn", forms, known_groups={"ekonomi"}).process_key == "scripted"


def test_lane_that_is_no_group(forms):
    text = condition_process("True").replace(
        '<bpmn:startEvent', '<bpmn:laneSet id="LS"><bpmn:lane id="L1" name="Mottagning">'
        '<bpmn:flowNodeRef>Yes</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet><bpmn:startEvent', 1)
    error = only({"a.bpmn": text}, forms, known_groups={"handlaggare"})
    assert error.element_id == "Yes" and error.message.startswith("Lanen 'Mottagning' finns inte")


def test_task_without_any_group_is_a_warning(forms):
    compiled = compile_bundle({"a.bpmn": condition_process("True")}, "a.bpmn", forms, known_groups={"handlaggare"})
    [warning] = compiled.warnings
    assert warning.element_id == "Yes" and warning.severity == "warning" and "ingen grupp" in warning.message


def test_form_carried_in_the_bundle_counts_as_existing(forms):
    text = script_process("x = 1").replace('camunda:formKey="note"', 'camunda:formKey="egen_anteckning"')
    assert only({"a.bpmn": text}, forms).message == "Formuläret 'egen_anteckning' finns inte."
    schema = '{"type": "object", "title": "Egen", "properties": {"text": {"type": "string"}}}'
    bundle = {"a.bpmn": text, "forms/egen_anteckning.json": schema}
    assert compile_bundle(bundle, "a.bpmn", forms).process_key == "scripted"


def test_broken_form_in_the_bundle_is_reported_with_its_file(forms):
    errors = problems({"a.bpmn": script_process("x = 1"), "forms/note.json": '{"type": "object",'}, forms=forms)
    # Both the file and the task that uses it are named.
    assert [(e.file, e.element_id, "inte giltig JSON" in e.message) for e in errors] == [
        ("forms/note.json", None, True), ("a.bpmn", "Check", True)]
    errors = problems({"a.bpmn": script_process("x = 1"), "forms/note.json": '{"type": "objekt"}'}, forms=forms)
    assert errors[0].file == "forms/note.json" and "JSON Schema" in errors[0].message


def test_unknown_file_kind_in_the_bundle():
    errors = problems({"a.bpmn": script_process("x = 1"), "notes.txt": "hej"})
    assert [(e.file, e.message.startswith("Okänd filtyp")) for e in errors] == [("notes.txt", True)]
