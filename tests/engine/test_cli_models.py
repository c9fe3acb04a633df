"""`kompis models validate|deploy FILE` and `kompis db upgrade`: element-level errors, non-zero exit."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import engine
from engine.clock import SystemClock
from engine.models import Case, Deployment
from tests.bpmn_text import script_process
from tests.engine.test_model_migration import chain
from web.cli import cli


@pytest.fixture
def runner(db_url, sessions, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    return CliRunner()


def test_validate_lists_each_error_with_element_and_line(runner, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text(script_process("import os").replace(' camunda:formKey="note"', ""))
    result = runner.invoke(cli, ["models", "validate", str(bad)])
    assert result.exit_code == 1
    assert "Modellen har 2 fel" in result.output
    assert "bad.bpmn:6 [Script] Skriptet:" in result.output
    assert "[Check] Användaruppgiften saknar formulär" in result.output


def test_validate_accepts_a_good_model(runner, tmp_path):
    good = tmp_path / "good.bpmn"
    good.write_text(script_process("x = 1"))
    result = runner.invoke(cli, ["models", "validate", str(good)])
    assert result.exit_code == 0, result.output
    assert "'scripted' är giltig" in result.output


def test_validate_missing_file(runner):
    result = runner.invoke(cli, ["models", "validate", "/nonexistent.bpmn"])
    assert result.exit_code == 1 and "finns inte" in result.output


def test_deploy_stores_a_version_and_refuses_a_broken_one(runner, tmp_path, sessions):
    path = tmp_path / "p.bpmn"
    path.write_text(script_process("x = 1"))
    result = runner.invoke(cli, ["models", "deploy", str(path), "--note", "Första"])
    assert result.exit_code == 0, result.output
    assert "Driftsatte scripted version 1" in result.output
    path.write_text("<bpmn:definitions")
    result = runner.invoke(cli, ["models", "deploy", str(path)])
    assert result.exit_code == 1 and "Felaktig XML" in result.output
    with sessions() as session:
        assert session.scalars(select(Deployment.note)).all() == ["Första"]


@pytest.mark.parametrize("clock", ["real", "simulated"])
def test_db_upgrade_on_an_empty_database_creates_the_schema(tmp_path, monkeypatch, clock):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("KOMPIS_CLOCK", clock)  # the simulated clock's first reading once locked SQLite
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Databasen är uppdaterad" in result.output and "Driftsatte recruitment version 1." in result.output
    from sqlalchemy import inspect
    from engine.db import make_engine

    engine = make_engine(url)
    assert {"cases", "open_tasks", "waiting_timers", "waiting_messages", "events", "deployments"} <= \
        set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrate_dry_run_then_move_then_roll_back(runner, tmp_path, sessions):
    model = tmp_path / "steps.bpmn"
    model.write_text(chain("A", "B"))
    assert runner.invoke(cli, ["models", "deploy", str(model)]).exit_code == 0
    assert runner.invoke(cli, ["models", "migrate", "steps", "--from", "1", "--to", "2"]).exit_code == 1  # no v2
    with sessions.begin() as session:
        case_id = engine.start_case(session, "steps", {}, user="anna", clock=SystemClock()).id
    model.write_text(chain("A", "New", "B"))
    assert runner.invoke(cli, ["models", "deploy", str(model)]).exit_code == 0

    dry = runner.invoke(cli, ["models", "migrate", "steps", "--from", "1", "--to", "2", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"ärende {case_id} (A): kan flyttas" in dry.output and "1 av 1 ärenden" in dry.output
    with sessions() as session:
        assert session.get(Case, case_id).version == 1

    moved = runner.invoke(cli, ["models", "migrate", "steps", "--from", "1", "--to", "2", "--user", "petra"])
    assert moved.exit_code == 0, moved.output
    assert "1 flyttade, 0 misslyckades" in moved.output
    with sessions() as session:
        assert session.get(Case, case_id).version == 2
    run_id = moved.output.split("kompis models rollback ")[1].split(")")[0]

    back = runner.invoke(cli, ["models", "rollback", run_id])
    assert back.exit_code == 0 and "1 ärenden tillbaka" in back.output
    with sessions() as session:
        assert session.get(Case, case_id).version == 1
    again = runner.invoke(cli, ["models", "rollback", run_id])
    assert again.exit_code == 1 and "redan återställd" in again.output
