"""Diagrams written by an attacker: each must be refused at deploy or park its case with a clear
message, within the time limit, without touching the machine or other cases."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

import engine
from engine.bpmn.sandbox import compile_code, run_guarded, GUARDS
from engine.deployments import deploy
from engine.errors import InvalidModel, ScriptError
from engine.models import Case, Deployment
from tests.bpmn_text import condition_process, script_process, timer_process

CANARY = "/tmp/kompis-hostile-canary"

# Each is refused when the diagram is deployed (the sandbox's compiler rejects it).
REFUSED_AT_DEPLOY = {
    "import": "import os\nos.system('touch " + CANARY + "')",
    "from_import": "from subprocess import call",
    "dunder_import": "__import__('os').system('id')",
    "subclasses_escape": "x = ().__class__.__base__.__subclasses__()",
    "globals_of_function": "f = lambda: 1\ng = f.__globals__",
    "builtins_name": "b = __builtins__",
    "mro_walk": "x = str.__mro__",
    "try_swallows_timeout": "try:\n    x = 1\nexcept Exception:\n    pass",
    "class_definition": "class A:\n    pass",
    "frame_via_generator": "g = (i for i in [1])\nf = g.gi_frame",
    "exec_statement_name": "exec('x = 1')",
    "eval_name": "y = eval('1+1')",
}

# Each compiles but fails when run: the case is parked, the machine untouched.
FAIL_AT_RUN = {
    "open_file": ("data = open('/etc/passwd').read()", "open"),
    "getattr_builtin": ("x = getattr([], 'append')", "getattr"),
    "type_builtin": ("t = type(1)", "type"),
    "vars_builtin": ("v = vars()", "vars"),
    "format_attribute_walk": ("s = '{0.__class__}'.format(1)", "format"),
    "huge_string": ("s = 'a' * (10 ** 9)", "för stort"),
    "huge_power": ("n = 2 ** (2 ** 40)", "för stort"),
    "huge_shift": ("n = 1 << (10 ** 9)", "för stort"),
    "huge_range": ("n = sum(range(10 ** 12))", "range"),
    "huge_list_repeat": ("l = [0] * (10 ** 8)", "för stort"),
    "deep_recursion": ("def f(n):\n    return f(n + 1)\nx = f(0)", "recursion"),
}


def _deploy_one(sessions, clock, text, key):
    with sessions.begin() as session:
        deploy(session, {f"{key}.bpmn": text}, f"{key}.bpmn", user="mallory", clock=clock)


@pytest.mark.parametrize("name", sorted(REFUSED_AT_DEPLOY))
def test_hostile_script_is_refused_at_deploy(name, sessions, clock):
    with pytest.raises(InvalidModel) as caught:
        _deploy_one(sessions, clock, script_process(REFUSED_AT_DEPLOY[name]), "scripted")
    [error] = caught.value.errors
    assert error.element_id == "Script" and error.line
    assert error.message.startswith("Skriptet:")
    with sessions() as session:
        assert session.scalars(select(Deployment)).all() == []


@pytest.mark.parametrize("name", sorted(FAIL_AT_RUN))
def test_hostile_script_parks_its_case(name, sessions, clock):
    script, expected = FAIL_AT_RUN[name]
    _deploy_one(sessions, clock, script_process(script), "scripted")
    with sessions.begin() as session:
        case = engine.start_case(session, "scripted", {}, user="mallory", clock=clock)
        assert case.status == "error"
        assert case.failure["element_id"] == "Script"
        assert expected.lower() in (case.failure["message"] + case.failure["detail"]).lower()


def test_endless_loop_is_stopped_within_two_seconds_and_other_cases_go_on(sessions, clock):
    _deploy_one(sessions, clock, script_process("while True:\n    x = 1"), "scripted")
    _deploy_one(sessions, clock, script_process("ok = True", key="fine"), "fine")
    began = time.monotonic()
    with sessions.begin() as session:
        looping = engine.start_case(session, "scripted", {}, user="mallory", clock=clock)
    elapsed = time.monotonic() - began
    assert looping.status == "error" and "avbröts efter 2 sekunder" in looping.failure["message"]
    assert elapsed < 4
    with sessions.begin() as session:
        assert engine.start_case(session, "fine", {}, user="anna", clock=clock).status == "running"


def test_os_system_in_a_gateway_condition_is_refused(sessions, clock):
    with pytest.raises(InvalidModel) as caught:
        _deploy_one(sessions, clock, condition_process("__import__('os').system('id') == 0"), "gated")
    assert caught.value.errors[0].element_id == "FYes"


def test_os_system_in_a_timer_expression_is_refused(sessions, clock):
    with pytest.raises(InvalidModel) as caught:
        _deploy_one(sessions, clock, timer_process("__import__('os').system('id')"), "timed")
    assert caught.value.errors[0].element_id == "Wait"


def test_os_system_in_a_dmn_cell_is_refused(sessions, clock):
    dmn = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="D" name="D" namespace="x">
  <decision id="evil" name="Evil"><decisionTable id="T">
    <input id="I"><inputExpression id="IE"><text>x</text></inputExpression></input>
    <output id="O" name="y"/>
    <rule id="R"><inputEntry id="E"><text>1</text></inputEntry>
      <outputEntry id="OE"><text>__import__('os').system('touch /tmp/kompis-hostile-canary')</text></outputEntry></rule>
  </decisionTable></decision>
</definitions>"""
    bpmn = script_process("x = 1").replace(
        '<bpmn:scriptTask id="Script" name="Beräkna"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>\n'
        '      <bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
        '<bpmn:businessRuleTask id="Script" name="Regel" camunda:decisionRef="evil"><bpmn:incoming>F1</bpmn:incoming>'
        '<bpmn:outgoing>F2</bpmn:outgoing></bpmn:businessRuleTask>')
    with pytest.raises(InvalidModel) as caught:
        with sessions.begin() as session:
            deploy(session, {"p.bpmn": bpmn, "evil.dmn": dmn}, "p.bpmn", user="mallory", clock=clock)
    assert caught.value.errors[0].element_id == "OE"
    assert caught.value.errors[0].file == "evil.dmn"


XXE = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D"><bpmn:process id="p">
<bpmn:documentation>&xxe;</bpmn:documentation></bpmn:process></bpmn:definitions>"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D"><bpmn:process id="p">
<bpmn:documentation>&lol3;</bpmn:documentation></bpmn:process></bpmn:definitions>"""


@pytest.mark.parametrize("text", [XXE, LAUGHS], ids=["xxe", "billion_laughs"])
def test_doctype_and_entities_are_refused(text, sessions, clock):
    with pytest.raises(InvalidModel) as caught:
        _deploy_one(sessions, clock, text, "p")
    assert "DOCTYPE" in caught.value.errors[0].message
    assert caught.value.errors[0].line == 2


def test_huge_file_is_refused_before_parsing(sessions, clock):
    text = script_process("x = 1").replace("Beräkna", "B" * (3 * 1024 * 1024))
    with pytest.raises(InvalidModel) as caught:
        _deploy_one(sessions, clock, text, "scripted")
    assert "större än gränsen" in caught.value.errors[0].message


def test_huge_script_source_is_refused(sessions, clock):
    with pytest.raises(InvalidModel) as caught:
        _deploy_one(sessions, clock, script_process("x = 1\n" * 5000), "scripted")
    assert "för lång" in caught.value.errors[0].message


def test_the_canary_was_never_written():
    import os

    assert not os.path.exists(CANARY)


def test_sandbox_keeps_plain_arithmetic_and_helpers_working():
    namespace = dict(GUARDS, total=0, items=[1, 2, 3])
    run_guarded(compile_code("for i in items:\n    total += i * 2\nlabel = 'x' * 3", "exec"), namespace)
    assert namespace["total"] == 12 and namespace["label"] == "xxx"
    with pytest.raises(ScriptError):
        compile_code("import os", "exec")
