"""A process owner changes the real recruitment diagram while volunteers are at every stage of it,
moves the running cases onto the new version, and the caseworkers carry on where they were."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from engine import model_migration
from engine.deployments import REPO_PROCESSES, collect_bundle, deploy
from engine.models import OpenTask
from tests.scenarios.lifecycle import (
    answer_social_register,
    assess,
    case_data,
    check_police_extract,
    consent,
    decide,
    interest_registration,
    interview,
    register_interest,
    request_social_register,
    screen,
    timers_of,
)

CONSENT_V2 = "Registrera undertecknat samtycke"


def volunteers_at_every_stage(anna, erik) -> dict[str, int]:
    """Four recruitment cases: at screening, at consent (reminder timers running), in the parallel
    register checks (waiting for the social services' answer and the police extract), at the decision."""
    people = {stage: interest_registration(name, "Test", born=date(1980 + n, 3, 14), serial=f"{n}42")
              for n, (stage, name) in enumerate([("decision", "Dora"), ("checks", "Cilla"),
                                                 ("consent", "Bea"), ("screening", "Alf")])}
    cases = {}
    cases["decision"] = register_interest(anna, people["decision"])
    screen(anna, people["decision"])
    interview(anna)
    consent(anna)
    request_social_register(anna)
    answer_social_register(anna, case_data(anna, cases["decision"])["volunteer_id"])
    check_police_extract(anna)
    assess(anna)
    cases["checks"] = register_interest(anna, people["checks"])
    screen(anna, people["checks"])
    interview(anna)
    consent(anna)
    request_social_register(anna)
    cases["consent"] = register_interest(anna, people["consent"])
    screen(anna, people["consent"])
    interview(anna)
    cases["screening"] = register_interest(anna, people["screening"])
    return cases


def deploy_recruitment(sessions, clock, forms, change) -> int:
    files = collect_bundle(REPO_PROCESSES / "recruitment.bpmn")
    files["recruitment.bpmn"] = change(files["recruitment.bpmn"])
    with sessions.begin() as session:
        deployment, created = deploy(session, files, "recruitment.bpmn", user="petra", clock=clock, forms=forms)
    assert created
    return deployment.version


def open_titles(sessions, case_id: int) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(OpenTask.title).where(OpenTask.case_id == case_id)))


def test_renamed_task_version_takes_every_running_recruitment(sessions, clock, forms, anna, erik):
    cases = volunteers_at_every_stage(anna, erik)
    timers_before = {stage: sorted(t.due_at for t in timers_of(sessions, case_id)) for stage, case_id in cases.items()}
    assert timers_before["consent"] and timers_before["checks"]  # reminders and time-outs are running
    version = deploy_recruitment(sessions, clock, forms,
                                 lambda xml: xml.replace('name="Registrera samtycke"', f'name="{CONSENT_V2}"'))

    with sessions() as session:
        checks = model_migration.plan_migration(session, "recruitment", 1, version, clock=clock)
    assert {c.case_id: (c.movable, c.reasons) for c in checks} == {case_id: (True, []) for case_id in cases.values()}
    with sessions.begin() as session:
        run_id = model_migration.start_migration(session, "recruitment", 1, version, user="petra", clock=clock).id
    with sessions.begin() as session:
        state = model_migration.progress(model_migration.migrate_next(session, run_id, user="petra", clock=clock))
    assert (state["status"], state["migrated"], state["failed"]) == ("finished", 4, 0)

    for stage, case_id in cases.items():
        assert anna.case(case_id).version == version, stage
        anna.check_round_trip(case_id)
        # The timers that were running still fall due when they did.
        assert sorted(t.due_at for t in timers_of(sessions, case_id)) == timers_before[stage], stage
    assert open_titles(sessions, cases["consent"]) == {CONSENT_V2}

    # Everyone carries on where they were, on the new version.
    decide(erik)
    assert anna.case(cases["decision"]).status == "completed"
    answer_social_register(anna, case_data(anna, cases["checks"])["volunteer_id"])
    check_police_extract(anna)
    assess(anna)
    decide(erik)
    assert anna.case(cases["checks"]).status == "completed"
    anna.complete(CONSENT_V2, {"consent_decision": "signed", "consent_date": "2026-01-16", "consent_method": "paper"})
    assert "Begär uppgifter ur socialregistret" in open_titles(sessions, cases["consent"])


def test_new_reminder_on_the_decision_leaves_the_case_waiting_for_it_behind(sessions, clock, forms, anna, erik):
    cases = volunteers_at_every_stage(anna, erik)
    reminder = ('<bpmn:boundaryEvent id="Boundary_decision_remind" name="5 dagar" cancelActivity="false" '
                'attachedToRef="User_decision"><bpmn:outgoing>Flow_decision_remind</bpmn:outgoing>'
                '<bpmn:timerEventDefinition><bpmn:timeDuration>"P5D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
                '</bpmn:boundaryEvent><bpmn:endEvent id="End_decision_reminded"><bpmn:incoming>Flow_decision_remind'
                '</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="Flow_decision_remind" '
                'sourceRef="Boundary_decision_remind" targetRef="End_decision_reminded" />')
    version = deploy_recruitment(sessions, clock, forms,
                                 lambda xml: xml.replace("</bpmn:process>", reminder + "</bpmn:process>", 1))
    with sessions() as session:
        checks = {c.case_id: c for c in model_migration.plan_migration(session, "recruitment", 1, version,
                                                                       clock=clock)}
    waiting = checks[cases["decision"]]
    assert not waiting.movable and waiting.waiting_at == ["User_decision"]
    expected = (f"Vägen in till 'Besluta om godkännande' (User_decision) är ändrad i version {version} "
                "(t.ex. en ny gränshändelse); flytta ärendet när steget är klart.")
    assert waiting.reasons == [expected]
    assert all(checks[cases[stage]].movable for stage in ("screening", "consent", "checks"))

    with sessions.begin() as session:
        run_id = model_migration.start_migration(session, "recruitment", 1, version, user="petra", clock=clock).id
        model_migration.migrate_next(session, run_id, user="petra", clock=clock)
    # The cases that moved get the reminder when they reach the decision; the other decides on version 1.
    decide(erik)
    assert anna.case(cases["decision"]).status == "completed" and anna.case(cases["decision"]).version == 1
    answer_social_register(anna, case_data(anna, cases["checks"])["volunteer_id"])
    check_police_extract(anna)
    assess(anna)
    assert "Boundary_decision_remind" in {t.element_id for t in timers_of(sessions, cases["checks"])}
