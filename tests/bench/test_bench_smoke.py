"""The benchmarks run end to end at a tiny size, so they never rot (no timing is asserted)."""
from __future__ import annotations

import json

from bench import engine_step, timers


def test_engine_step_benchmark_prints_its_table_and_writes_json(capsys):
    engine_step.main(["--n", "5"])
    out = capsys.readouterr().out
    assert "raw SpiffWorkflow step" in out and "Kompis complete_task" in out
    results = json.loads((engine_step.HERE / "results" / "engine_step_sqlite.json").read_text())
    assert all(row["n"] == 5 for row in results.values())


def test_timer_benchmark_fires_every_timer_once(capsys):
    timers.main(["--n", "20"])
    assert "timers/s, one scheduler" in capsys.readouterr().out
    results = json.loads((timers.HERE / "results" / "timers_sqlite.json").read_text())
    assert results["one_scheduler"]["fired"] == 20 and results["one_scheduler"]["duplicates"] == 0
    assert results["lateness_s"]["max"] < 5
