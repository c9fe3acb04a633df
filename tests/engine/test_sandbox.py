"""The sandbox's watchdog stops runaway diagram code, not the trusted helpers it calls."""
from __future__ import annotations

import time

import pytest

from engine.bpmn.scripting import SandboxEnvironment
from engine.errors import ScriptTimeout


def test_a_slow_helper_does_not_count_against_the_time_limit():
    environment = SandboxEnvironment({"render": lambda: time.sleep(2.3) or "klar"})
    data = {}
    environment.execute("result = render()", data)
    assert data == {"result": "klar"}


def test_a_loop_inside_a_function_the_diagram_defines_is_still_stopped():
    environment = SandboxEnvironment({})
    began = time.monotonic()
    with pytest.raises(ScriptTimeout):
        environment.execute("def spin():\n    while True:\n        pass\nspin()", {})
    assert time.monotonic() - began < 3


def test_a_loop_in_a_lambda_passed_to_a_builtin_is_stopped():
    environment = SandboxEnvironment({})
    with pytest.raises(ScriptTimeout):
        environment.execute("x = sorted(range(100000), key=lambda i: sum(j for j in range(100000)))", {})
