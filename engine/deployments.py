"""The model registry: deploy immutable versions, find the latest, load a version's spec once."""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from sqlalchemy import distinct, func, select, union_all
from sqlalchemy.orm import Session

from engine.bpmn.validation import CompiledModel, compile_bundle, decision_ids, is_dmn, process_ids
from engine.bpmn.xml import parse_xml
from engine.clock import Clock
from engine.errors import InvalidModel, UnknownProcess
from engine.events import record_event
from engine.forms import BundleForms, FormStore
from engine.models import Case, Deployment, OpenTask, User, WaitingMessage, WaitingTimer

REPO_PROCESSES = Path(__file__).resolve().parent.parent / "processes"

_spec_cache: dict[tuple[int, str], CompiledModel] = {}
_spec_lock = threading.Lock()


def bundle_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode("utf-8") + b"\0")
    return digest.hexdigest()


def _as_text(content: bytes | str) -> str:
    if isinstance(content, bytes):
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidModel("Filen är inte UTF-8-kodad.") from None
    return content


def collect_bundle(main_path: Path) -> dict[str, str]:
    """The main file plus the DMN and called-process files beside it that it needs (transitively)."""
    main_path = Path(main_path)
    files = {main_path.name: _as_text(main_path.read_bytes())}
    siblings: dict[str, tuple[Path, object]] = {}
    for path in sorted(main_path.parent.iterdir()):
        if path.suffix in (".bpmn", ".dmn") and path.name != main_path.name and path.is_file():
            try:
                siblings[path.name] = (path, parse_xml(path.read_bytes(), path.name))
            except InvalidModel:
                continue  # a broken sibling matters only if it is needed; then it shows as missing
    pending = [files[main_path.name]]
    while pending:
        tree = parse_xml(pending.pop(), main_path.name)
        wanted_processes = {n.get("calledElement") for n in tree.iter("{*}callActivity")}
        wanted_decisions = {n.get("{http://camunda.org/schema/1.0/bpmn}decisionRef")
                            for n in tree.iter("{*}businessRuleTask")}
        for name, (path, sibling) in siblings.items():
            if name in files:
                continue
            provides = set(decision_ids(sibling)) if is_dmn(sibling) else set(process_ids(sibling))
            if provides & (wanted_processes | wanted_decisions):
                files[name] = _as_text(path.read_bytes())
                if not is_dmn(sibling):
                    pending.append(files[name])
    return files


def validate(files: dict[str, bytes | str], main_file: str, forms=None,
             known_groups: set[str] | None = None) -> CompiledModel:
    """Check a bundle; raise InvalidModel with element-level errors (warnings on the result)."""
    return compile_bundle({n: _as_text(c) for n, c in files.items()}, main_file, forms, known_groups)


def known_groups(session: Session) -> set[str] | None:
    """The groups a task may be given to: those of active users. None before anyone has an account
    (the built-in processes are deployed before the first user exists)."""
    rows = session.scalars(select(User.groups).where(User.active.is_(True))).all()
    if not rows:
        return None
    return {group for groups in rows for group in (groups or [])}


def deploy(session: Session, files: dict[str, bytes | str], main_file: str, *, user: str, clock: Clock,
           note: str = "", forms=None, known_groups: set[str] | None = None) -> tuple[Deployment, bool]:
    """Store a new immutable version; return (deployment, created). Identical content is not redeployed.

    Raises InvalidModel; nothing is stored then.
    """
    texts = {n: _as_text(c) for n, c in files.items()}
    compiled = compile_bundle(texts, main_file, forms, known_groups)
    digest = bundle_hash(texts)
    latest = latest_deployment(session, compiled.process_key, required=False)
    if latest is not None and latest.sha256 == digest:
        return latest, False
    version = (latest.version + 1) if latest else 1
    deployment = Deployment(process_key=compiled.process_key, version=version, main_file=main_file,
                            files=texts, sha256=digest, deployed_by=user, deployed_at=clock.now(), note=note)
    session.add(deployment)
    session.flush()
    with _spec_lock:
        _spec_cache[(deployment.id, digest)] = compiled
    record_event(session, clock, actor=user, kind="model_deployed", case_id=None,
                 data={"process_key": compiled.process_key, "version": version, "note": note, "sha256": digest})
    return deployment, True


def deploy_builtin_processes(session: Session, *, clock: Clock, directory: Path = REPO_PROCESSES,
                             forms=None) -> list[Deployment]:
    """On first start, deploy every file in processes/ whose process has no version yet."""
    created = []
    for path in sorted(Path(directory).glob("*.bpmn")):
        keys = process_ids(parse_xml(path.read_bytes(), path.name))
        if keys and latest_deployment(session, keys[0], required=False) is not None:
            continue
        deployment, was_created = deploy(session, collect_bundle(path), path.name, user="system", clock=clock,
                                         note="Inbyggd version från processes/", forms=forms)
        if was_created:
            created.append(deployment)
    return created


def latest_deployment(session: Session, process_key: str, *, required: bool = True) -> Deployment | None:
    """The newest version of a process; UnknownProcess if there is none and one is required."""
    deployment = session.scalars(
        select(Deployment).where(Deployment.process_key == process_key)
        .order_by(Deployment.version.desc()).limit(1)).first()
    if deployment is None and required:
        raise UnknownProcess(f"Processen '{process_key}' finns inte (ingen version är driftsatt).")
    return deployment


def find_version(session: Session, process_key: str, version: int) -> Deployment | None:
    """One deployed version of a process, or None."""
    return session.scalars(select(Deployment).where(Deployment.process_key == process_key,
                                                    Deployment.version == version)).first()


def list_versions(session: Session, process_key: str) -> list[tuple[Deployment, int]]:
    """Every version of a process with the number of running cases on each."""
    running = (select(Case.deployment_id, func.count().label("n")).where(Case.status == "running")
               .group_by(Case.deployment_id).subquery())
    rows = session.execute(
        select(Deployment, func.coalesce(running.c.n, 0))
        .outerjoin(running, running.c.deployment_id == Deployment.id)
        .where(Deployment.process_key == process_key).order_by(Deployment.version)).all()
    return [(d, n) for d, n in rows]


def compiled_model(deployment: Deployment) -> CompiledModel:
    """The parsed spec of a deployed version: parsed once per process, shared by all its cases."""
    key = (deployment.id, deployment.sha256)
    with _spec_lock:
        cached = _spec_cache.get(key)
    if cached is None:
        # Forms are not re-checked here: the version was valid when deployed and must keep running.
        cached = compile_bundle(deployment.files, deployment.main_file, forms=None)
        with _spec_lock:
            _spec_cache[key] = cached
    return cached


_forms_cache: dict[int, BundleForms] = {}


def forms_for(deployment: Deployment, store: FormStore) -> BundleForms:
    """The forms a version's cases use: those deployed with it, then the forms folder."""
    cached = _forms_cache.get(deployment.id)
    if cached is None or cached._fallback is not store:
        cached = _forms_cache[deployment.id] = BundleForms(deployment.files, store)
    return cached


def element_counts(session: Session, deployment_id: int) -> dict[str, int]:
    """How many cases of a version wait at each element now (open tasks, timers, messages, failures),
    read from the query tables: no case is deserialized."""
    waits = union_all(
        select(OpenTask.case_id, OpenTask.name.label("element_id")),
        select(WaitingTimer.case_id, WaitingTimer.element_id),
        select(WaitingMessage.case_id, WaitingMessage.element_id),
    ).subquery()
    rows = session.execute(
        select(waits.c.element_id, func.count(distinct(waits.c.case_id)))
        .join(Case, Case.id == waits.c.case_id)
        .where(Case.deployment_id == deployment_id, Case.status == "running")
        .group_by(waits.c.element_id)).all()
    counts = {element_id: n for element_id, n in rows}
    failed = session.scalars(select(Case.failure).where(Case.deployment_id == deployment_id,
                                                        Case.status == "error")).all()
    for failure in failed:
        element_id = (failure or {}).get("element_id")
        if element_id:
            counts[element_id] = counts.get(element_id, 0) + 1
    return counts
