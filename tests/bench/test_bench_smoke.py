"""The benchmarks run end to end at a tiny size, so they never rot (no timing is asserted)."""
from __future__ import annotations

import json
import re

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


def test_the_whole_benchmark_runs_at_scale_100_and_reports_every_goal(capsys):
    from bench import run

    results = run.main(["--scale", "100"])
    out = capsys.readouterr().out
    for measure in ("complete a user task, web app", "inbox first page", "start cases", "due timers fired",
                    "ten-year assignment", "stored bytes per finished case", "web worker resident memory"):
        assert measure in out
    assert results["population"]["open_tasks"] >= 100
    assert set(results["web_complete"]["statuses"]) == {"200"}  # measured in a new worker, as JSON
    # The raw step and the completions are taken in turns, the first few of each left out.
    assert results["web_complete"]["n"] == results["raw_step"]["n"] >= 5
    assert results["web_complete"]["warm_up"]["n"] == 2 and "a new worker's first completions" in out
    assert results["timers_one"]["duplicates"] == 0 and results["timers_one"]["missed"] == 0
    # The month's deadlines: every timer of that part fell due at the same instant, and all fired once.
    at_once = results["timers_at_once"]
    assert (at_once["fired"], at_once["due_instants"], at_once["duplicates"], at_once["missed"]) == (100, 1, 0, 0)
    assert results["timers_one"]["due_instants"] > 1 and "all due at one instant" in out
    # Two worker processes really started their share, and the raw ceilings are printed beside.
    assert results["starts_two"]["started"] == 50 and results["starts_two"]["processes"] == 2
    assert "two processes at once" in out
    for ceiling, kompis, raw in (("start", "starts", "starts_raw"), ("firing", "timers_one", "timers_raw")):
        share = results[kompis]["per_second"] / results[raw]["per_second"]  # Kompis's share of the ceiling
        assert re.search(rf"raw SpiffWorkflow {ceiling} of the same diagram.* \d+ \({share:.0%}\)", out)
    assert json.loads((run.RESULTS / "bench_sqlite_100.json").read_text())["scale"] == 100
