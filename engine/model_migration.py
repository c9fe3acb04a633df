"""Move running cases from one deployed version of a process to a later one, and back.

A case's stored state names the task spec of every task in its tree, and the spec comes from its
version. Moving a case means pointing each task at the matching spec of the new version (matched by
element id, the way SpiffWorkflow's SpecDiff aligns them), then predicting again what follows each
step the case is at now. A case moves only when that is safe:

- every element it waits at exists in the new version and is the same kind of element;
- every element it has passed exists there too (its history must still make sense);
- the way into the element it waits at is the same (a new boundary event on a waiting task, say,
  would need a structure the running task does not have);
- the moved state saves and loads again against the new version with the same open steps.

A run moves the movable cases in batches, each case all-or-nothing (a SAVEPOINT), and keeps each
case's previous state so the run can be rolled back for every case that has not changed since.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.state import STATE_VERSION, _serializer, dump_state, load_state
from engine.cases import _load, _lock_case
from engine.clock import Clock
from engine.deployments import compiled_model
from engine.derived import _group_of, sync_derived_rows
from engine.errors import Conflict, InvalidData, NotFound
from engine.events import record_event
from engine.models import Case, Deployment, OpenTask
from engine.models.cases import RUNNING
from engine.models.migrations import (
    FINISHED,
    ITEM_FAILED,
    ITEM_KEPT,
    ITEM_MIGRATED,
    ITEM_PENDING,
    ITEM_ROLLED_BACK,
    ROLLED_BACK,
    MigrationItem,
    MigrationRun,
)
from engine.models.migrations import RUNNING as RUN_RUNNING
from engine.runtime import Runtime

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
HAPPENED = ACTIVE | TaskState.COMPLETED | TaskState.CANCELLED


class MigrationRefused(Conflict):
    code = "migration_refused"


@dataclass
class CaseCheck:
    """Whether one case can move, and if not, why (in Swedish, for the process owner)."""

    case_id: int
    title: str
    movable: bool
    reasons: list[str] = field(default_factory=list)
    waiting_at: list[str] = field(default_factory=list)


def _versions(session: Session, process_key: str, from_version: int, to_version: int):
    rows = {d.version: d for d in session.scalars(
        select(Deployment).where(Deployment.process_key == process_key,
                                 Deployment.version.in_((from_version, to_version))))}
    for version in (from_version, to_version):
        if version not in rows:
            raise NotFound(f"Version {version} av '{process_key}' finns inte.")
    if to_version <= from_version:
        raise InvalidData("Ärenden kan bara flyttas till en senare version.",
                          {"to": [f"Välj en version efter {from_version}."]})
    return rows[from_version], rows[to_version]


def _label(spec) -> str:
    name = getattr(spec, "bpmn_name", None)
    return f"'{name}' ({spec.name})" if name and name != spec.name else f"'{spec.name}'"


def _is_pure(task) -> bool:
    """Happened, not merely predicted (FUTURE counts as definite in SpiffWorkflow, but it has not run)."""
    return task.has_state(HAPPENED)


def _workflows(workflow, new_model):
    """(workflow, its new spec or None) for the case and each of its sub-processes."""
    pairs = [(workflow, new_model.spec)]
    for sub in workflow.subprocesses.values():
        pairs.append((sub, new_model.subprocess_specs.get(sub.spec.name)))
    return pairs


def _target(diff: SpecDiff, new_spec, spec):
    """The new version's spec for an old one: SpecDiff's alignment, or by name for the specs it does not
    walk (the tree's root)."""
    if spec in diff.alignment:
        return diff.alignment[spec]
    return new_spec.task_specs.get(spec.name)


@lru_cache(maxsize=64)
def _cached_spec_diff(old_spec, new_spec, registry) -> SpecDiff:
    return SpecDiff(registry, old_spec, new_spec)


def _spec_diff(registry, old_spec, new_spec) -> SpecDiff:
    # Specs are parsed once per deployed version and shared, so one diff serves every case of a run
    # (it serializes every task spec to compare them: most of a case's check without the cache).
    return _cached_spec_diff(old_spec, new_spec, registry)


def _problems(workflow, new_model, version: int) -> tuple[list[str], dict]:
    """Why the case cannot move, and each workflow's SpecDiff when it can."""
    registry = _serializer().registry
    reasons, diffs = [], {}
    for wf, new_spec in _workflows(workflow, new_model):
        if new_spec is None:
            reasons.append(f"Delprocessen '{wf.spec.name}' som ärendet är i finns inte i version {version}.")
            continue
        diff = diffs[id(wf)] = _spec_diff(registry, wf.spec, new_spec)
        for task in wf.tasks.values():
            if not _is_pure(task):
                continue  # predictions are made again after the move
            target = _target(diff, new_spec, task.task_spec)
            if target is None:
                if task.has_state(ACTIVE):
                    reasons.append(f"Väntar i {_label(task.task_spec)}, som inte finns i version {version}.")
                elif task.task_spec.bpmn_id is not None:
                    reasons.append(f"Har passerat {_label(task.task_spec)}, som inte finns i version {version} "
                                   "(ärendets historik skulle inte gå att läsa).")
                else:
                    reasons.append(f"Motorns steg '{task.task_spec.name}' finns inte i version {version}.")
                continue
            if not task.has_state(ACTIVE):
                continue
            if target.name != task.task_spec.name:
                # SpecDiff matches a replaced element by its place in the flow; that is fine for history,
                # but a caseworker's open task must not silently become another task with another form.
                reasons.append(f"Väntar i {_label(task.task_spec)}, som inte finns i version {version} "
                               f"(på samma plats står nu {_label(target)}).")
                continue
            if type(target) is not type(task.task_spec):
                reasons.append(f"{_label(task.task_spec)} är en annan sorts element i version {version}.")
                continue
            parent = task.parent
            if parent is None or not _is_pure(parent):
                continue
            # Structure the engine adds (a boundary event's split, say) must be there in both versions;
            # an ordinary step before this one may change, that is only history.
            structural = parent.task_spec.bpmn_id is None or any(s.bpmn_id is None for s in target.inputs)
            if structural:
                parent_target = _target(diff, new_spec, parent.task_spec)
                if parent_target is None or parent_target not in target.inputs:
                    reasons.append(f"Vägen in till {_label(task.task_spec)} är ändrad i version {version} "
                                   "(t.ex. en ny gränshändelse); flytta ärendet när steget är klart.")
    return list(dict.fromkeys(reasons)), diffs


def _repoint(workflow, new_model, diffs) -> None:
    workflow.subprocess_specs = new_model.subprocess_specs
    for wf, new_spec in _workflows(workflow, new_model):
        diff = diffs[id(wf)]
        wf.spec = new_spec
        for task in wf.tasks.values():
            target = _target(diff, new_spec, task.task_spec)
            if target is not None:
                task.task_spec = target
        # What follows each step the case is at now is predicted again from the new diagram.
        for task in list(wf.tasks.values()):
            if task.id in wf.tasks and task.has_state(ACTIVE) and not _has_active_descendant(task):
                task._drop_children(force=True)
                task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)
        stale = [t for t in wf.tasks.values() if new_spec.task_specs.get(t.task_spec.name) is not t.task_spec]
        if stale:
            raise MigrationRefused(f"Steget {_label(stale[0].task_spec)} kunde inte kopplas till den nya versionen.")


def _has_active_descendant(task) -> bool:
    return any(child.has_state(ACTIVE) or _has_active_descendant(child) for child in task.children)


def _open_steps(workflow) -> set[tuple[str, str]]:
    steps = set()
    for wf in [workflow, *workflow.subprocesses.values()]:
        steps |= {(str(t.id), t.task_spec.name) for t in wf.tasks.values() if t.has_state(ACTIVE)}
    return steps


def _waiting_at(workflow) -> list[str]:
    return sorted({name for _, name in _open_steps(workflow)})


def _moved_state(workflow, new_deployment: Deployment) -> tuple[list[str], str | None]:
    """Reasons the case cannot move, or the state it has on the new version."""
    new_model = compiled_model(new_deployment)
    reasons, diffs = _problems(workflow, new_model, new_deployment.version)
    if reasons:
        return reasons, None
    before = _open_steps(workflow)
    try:
        _repoint(workflow, new_model, diffs)
        text = dump_state(workflow)
        after = _open_steps(load_state(text, STATE_VERSION, new_model.spec, new_model.subprocess_specs))
    except MigrationRefused as exc:
        return [exc.message], None
    except Exception as exc:  # noqa: BLE001 - anything SpiffWorkflow raises means: do not move this case
        return [f"Ärendet kunde inte flyttas: {exc}"], None
    if {i for i, _ in after} != {i for i, _ in before}:
        return ["De öppna stegen blev inte desamma efter flytten."], None
    return [], text


def plan_migration(session: Session, process_key: str, from_version: int, to_version: int, *,
                   clock: Clock) -> list[CaseCheck]:
    """The dry run: for every running case on `from_version`, whether it can move and why not.
    Nothing is written. Raises NotFound, InvalidData."""
    old, new = _versions(session, process_key, from_version, to_version)
    runtime = Runtime(session=session, clock=clock, actor="system")
    checks = []
    for case in session.scalars(select(Case).where(Case.deployment_id == old.id, Case.status == RUNNING)
                                .order_by(Case.id)):
        workflow = _load(case, runtime)
        waiting = _waiting_at(workflow)
        reasons, _ = _moved_state(workflow, new)
        # Process owners see no personal data: a case is named by its number, never by its title.
        checks.append(CaseCheck(case.id, f"Ärende {case.id}", not reasons, reasons, waiting))
    return checks


def start_migration(session: Session, process_key: str, from_version: int, to_version: int, *, user: str,
                    clock: Clock, note: str = "") -> MigrationRun:
    """Plan a run for every movable case; move them with `migrate_next`. Raises NotFound, InvalidData,
    Conflict (nothing can move)."""
    old, new = _versions(session, process_key, from_version, to_version)
    checks = plan_migration(session, process_key, from_version, to_version, clock=clock)
    movable = [c for c in checks if c.movable]
    if not movable:
        raise Conflict(f"Inget ärende på version {from_version} kan flyttas till version {to_version}.")
    run = MigrationRun(process_key=process_key, from_deployment_id=old.id, to_deployment_id=new.id,
                       status=RUN_RUNNING, started_by=user, created_at=clock.now(), note=note[:500])
    run.items = [MigrationItem(case_id=c.case_id, status=ITEM_PENDING, message="") for c in movable]
    session.add(run)
    session.flush()
    record_event(session, clock, actor=user, kind="migration_started", case_id=None,
                 data={"run_id": run.id, "process_key": process_key, "from_version": from_version,
                       "to_version": to_version, "cases": len(movable),
                       "refused": len(checks) - len(movable)})
    return run


def get_migration(session: Session, run_id: int, process_key: str | None = None) -> MigrationRun:
    """A run (of `process_key`, when given). Raises NotFound."""
    run = session.get(MigrationRun, run_id)
    if run is None or (process_key is not None and run.process_key != process_key):
        raise NotFound(f"Flytten {run_id} finns inte.")
    return run


def list_migrations(session: Session, process_key: str) -> list[MigrationRun]:
    return list(session.scalars(select(MigrationRun).where(MigrationRun.process_key == process_key)
                                .order_by(MigrationRun.id.desc())))


def _refresh_open_tasks(session: Session, case: Case, workflow) -> None:
    """Kept open tasks take the new version's title, group, form and instructions (claims and drafts stay)."""
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    for row in session.scalars(select(OpenTask).where(OpenTask.case_id == case.id)):
        task = ready.get(row.id)
        if task is None:
            continue
        spec = task.task_spec
        extensions = spec.extensions or {}
        row.name, row.title, row.lane = spec.name, spec.bpmn_name or spec.name, spec.lane
        row.group, row.documentation = _group_of(task), spec.documentation
        row.form_key = extensions.get("formKey") or row.form_key
        priority = extensions.get("priority")
        row.priority = int(priority) if priority and str(priority).isdigit() else 50


def _move_case(session: Session, item: MigrationItem, run: MigrationRun, runtime: Runtime) -> None:
    case = _lock_case(session, item.case_id)
    if case.deployment_id != run.from_deployment_id or case.status != RUNNING:
        raise MigrationRefused("Ärendet är inte längre ett aktivt ärende på den gamla versionen.")
    old, new = case.deployment, session.get(Deployment, run.to_deployment_id)
    workflow = _load(case, runtime)
    previous_state, previous_version = case.state, case.serializer_version
    reasons, text = _moved_state(workflow, new)
    if reasons:
        raise MigrationRefused(" ".join(reasons))
    new_model = compiled_model(new)
    workflow = load_state(text, STATE_VERSION, new_model.spec, new_model.subprocess_specs)
    case.deployment = new
    case.state, case.serializer_version, case.updated_at = text, STATE_VERSION, runtime.clock.now()
    session.flush()
    sync_derived_rows(session, case, workflow, runtime.clock.now())
    _refresh_open_tasks(session, case, workflow)
    item.previous_state, item.previous_serializer_version = previous_state, previous_version
    item.lock_version_after, item.migrated_at = case.lock_version, runtime.clock.now()
    record_event(session, runtime.clock, actor=runtime.actor, kind="case_migrated", case_id=case.id,
                 data={"run_id": run.id, "from_version": old.version, "to_version": new.version})


def migrate_next(session: Session, run_id: int, *, user: str, clock: Clock, limit: int = 25) -> MigrationRun:
    """Move up to `limit` pending cases of a run, each all-or-nothing. Raises NotFound, Conflict."""
    run = get_migration(session, run_id)
    if run.status != RUN_RUNNING:
        raise Conflict("Flytten är redan klar." if run.status == FINISHED else "Flytten är återställd.")
    runtime = Runtime(session=session, clock=clock, actor=user)
    pending = [i for i in run.items if i.status == ITEM_PENDING][:max(1, limit)]
    for item in pending:
        savepoint = session.begin_nested()
        try:
            _move_case(session, item, run, runtime)
            savepoint.commit()
            item.status, item.message = ITEM_MIGRATED, ""
        except Exception as exc:  # noqa: BLE001 - one case failing must not stop the others
            savepoint.rollback()
            item.status = ITEM_FAILED
            item.message = getattr(exc, "message", None) or f"Oväntat fel: {exc}"
    if all(i.status != ITEM_PENDING for i in run.items):
        run.status, run.finished_at = FINISHED, clock.now()
        record_event(session, clock, actor=user, kind="migration_finished", case_id=None,
                     data={"run_id": run.id, **progress(run)})
    session.flush()
    return run


def _restore_case(session: Session, item: MigrationItem, run: MigrationRun, runtime: Runtime) -> None:
    case = _lock_case(session, item.case_id)
    if case.lock_version != item.lock_version_after or case.deployment_id != run.to_deployment_id:
        raise MigrationRefused("Ärendet har ändrats efter flytten och ligger kvar på den nya versionen.")
    case.deployment = session.get(Deployment, run.from_deployment_id)
    case.state, case.serializer_version = item.previous_state, item.previous_serializer_version
    case.updated_at = runtime.clock.now()
    session.flush()
    workflow = _load(case, runtime)
    sync_derived_rows(session, case, workflow, runtime.clock.now())
    _refresh_open_tasks(session, case, workflow)
    record_event(session, runtime.clock, actor=runtime.actor, kind="case_migration_rolled_back", case_id=case.id,
                 data={"run_id": run.id, "version": case.deployment.version})


def rollback_migration(session: Session, run_id: int, *, user: str, clock: Clock) -> MigrationRun:
    """Put every moved case that has not changed since back on its old version; the others stay
    (marked kept, with the reason). Raises NotFound, Conflict."""
    run = get_migration(session, run_id)
    if run.status == ROLLED_BACK:
        raise Conflict("Flytten är redan återställd.")
    runtime = Runtime(session=session, clock=clock, actor=user)
    for item in run.items:
        if item.status == ITEM_PENDING:
            item.status, item.message = ITEM_FAILED, "Flytten avbröts innan ärendet flyttades."
        if item.status != ITEM_MIGRATED:
            continue
        savepoint = session.begin_nested()
        try:
            _restore_case(session, item, run, runtime)
            savepoint.commit()
            item.status, item.message = ITEM_ROLLED_BACK, ""
        except Exception as exc:  # noqa: BLE001
            savepoint.rollback()
            item.status = ITEM_KEPT
            item.message = getattr(exc, "message", None) or f"Oväntat fel: {exc}"
    run.status, run.rolled_back_at = ROLLED_BACK, clock.now()
    record_event(session, clock, actor=user, kind="migration_rolled_back", case_id=None,
                 data={"run_id": run.id, **progress(run)})
    session.flush()
    return run


def progress(run: MigrationRun) -> dict:
    """Counts for a progress bar: done = no longer pending."""
    counts = {status: 0 for status in (ITEM_PENDING, ITEM_MIGRATED, ITEM_FAILED, ITEM_ROLLED_BACK, ITEM_KEPT)}
    for item in run.items:
        counts[item.status] = counts.get(item.status, 0) + 1
    total = len(run.items)
    return {"status": run.status, "total": total, "done": total - counts[ITEM_PENDING],
            "migrated": counts[ITEM_MIGRATED], "failed": counts[ITEM_FAILED],
            "rolled_back": counts[ITEM_ROLLED_BACK], "kept": counts[ITEM_KEPT]}
