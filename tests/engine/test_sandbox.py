"""The sandbox's watchdog stops runaway diagram code, not the trusted helpers it calls."""
from __future__ import annotations

import os
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


def test_the_memory_limit_reads_the_memory_of_a_forked_worker_not_its_parent():
    """gunicorn forks its workers: the open /proc/self/statm of the parent describes the parent."""
    from engine.bpmn import sandbox

    parent = sandbox._resident_bytes()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: grows by 300 MB, then reports what the limit would see
        try:
            grown = b"x" * (300 * 2**20)
            os.write(write, str(sandbox._resident_bytes()).encode())
            del grown
        finally:
            os._exit(0)
    os.close(write)
    child = int(os.read(read, 64))
    os.waitpid(pid, 0)
    assert child - parent > 250 * 2**20
