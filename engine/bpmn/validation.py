"""Check a bundle of model files before it may be deployed; every problem names its element and line.

Two passes: SpiffWorkflow's own parse (structure), and Kompis' rules (forms exist, code compiles in
the sandbox, timers parse, called processes and decisions exist).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.bpmn.parser import KompisParser
from engine.bpmn.sandbox import check_compiles
from engine.bpmn.xml import line_of, parse_xml
from engine.errors import ElementError, InvalidModel, UnknownForm
from engine.forms import _KEY as FORM_KEY
from engine.forms import BundleForms, FormStore, is_bundle_form

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "https://www.omg.org/spec/DMN/20230324/MODEL/", "http://www.omg.org/spec/DMN/20151101/dmn.xsd")
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
_ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


@dataclass
class CompiledModel:
    process_key: str
    spec: object
    subprocess_specs: dict
    warnings: list[ElementError] = field(default_factory=list)


def is_dmn(tree: etree._ElementTree) -> bool:
    return etree.QName(tree.getroot()).namespace in DMN_NAMESPACES


def executable_process_ids(tree: etree._ElementTree) -> list[str]:
    processes = tree.getroot().findall(f"{{{BPMN_NS}}}process")
    executable = [p.get("id") for p in processes if p.get("isExecutable") == "true"]
    # bpmn.io writes isExecutable="false"; a file with one process still means that process.
    return executable or [p.get("id") for p in processes][:1]


def process_ids(tree: etree._ElementTree) -> list[str]:
    return [p.get("id") for p in tree.getroot().findall(f"{{{BPMN_NS}}}process")]


def decision_ids(tree: etree._ElementTree) -> list[str]:
    root = tree.getroot()
    return [d.get("id") for d in root if etree.QName(d).localname == "decision"]


def _owner_id(node) -> str | None:
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return node.get("id") if node is not None else None


def _check_code(errors, file_name, node, source, mode, what):
    reason = check_compiles((source or "").strip(), mode) if (source or "").strip() else f"{what} är tom."
    if reason:
        errors.append(ElementError(_owner_id(node), node.sourceline, f"{what}: {reason}", file_name))


def _check_timer(errors, file_name, timer_node):
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        expr = timer_node.find(f"bpmn:{kind}", NS)
        if expr is None:
            continue
        source = (expr.text or "").strip()
        what = "Timeruttrycket"
        reason = check_compiles(source, "eval") if source else "Timeruttrycket är tomt."
        if reason is None:
            try:
                literal = ast.literal_eval(source)
            except (ValueError, SyntaxError):
                literal = None  # a helper call: checked when it runs
            if isinstance(literal, str):
                reason = _timer_literal_problem(kind, literal)
            elif source and source[0] == "P":
                reason = f"Tidsuttryck måste stå inom citattecken, t.ex. \"{source}\"."
        if reason:
            event_id = timer_node.getparent().get("id") or _owner_id(timer_node)
            errors.append(ElementError(event_id, expr.sourceline, f"{what}: {reason}", file_name))
        return


def _timer_literal_problem(kind: str, literal: str) -> str | None:
    try:
        if kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(literal)
        elif kind == "timeCycle":
            TimerEventDefinition.parse_iso_recurring_interval(literal)
        else:
            # SpiffWorkflow would read a naive time with a UTC offset fixed at import (no DST).
            parsed = datetime.fromisoformat(literal)
            if parsed.tzinfo is None:
                return "Datum och tid måste ha en tidszon, t.ex. 2026-03-01T23:59:00+01:00."
    except Exception:  # SpiffWorkflow raises a bare Exception('Invalid duration')
        return f"'{literal}' är inte ett giltigt ISO 8601-uttryck."
    return None


def _effective_group(node, lanes: dict[str, str]) -> str | None:
    # The same rule the inbox uses (derived._group_of): the first candidate group, else the lane.
    groups = node.get(f"{{{CAMUNDA_NS}}}candidateGroups")
    if groups and groups.split(",")[0].strip():
        return groups.split(",")[0].strip()
    return lanes.get(node.get("id"))


def _lane_of_each_node(root) -> dict[str, str]:
    lanes = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
    return lanes


def _check_group(errors, warnings, file_name, node, lanes, known_groups):
    element_id = node.get("id")
    group = _effective_group(node, lanes)
    if group is None:
        warnings.append(ElementError(element_id, node.sourceline,
                                     "Uppgiften har ingen grupp (camunda:candidateGroups eller lane): bara chefer "
                                     "och administratörer ser den.", file_name, severity="warning"))
    elif known_groups is not None and group not in known_groups:
        where = "Lanen" if not node.get(f"{{{CAMUNDA_NS}}}candidateGroups") else "Gruppen"
        errors.append(ElementError(element_id, node.sourceline,
                                   f"{where} '{group}' finns inte: ingen användare tillhör gruppen "
                                   f"(kända grupper: {', '.join(sorted(known_groups)) or 'inga'}).", file_name))


def _check_user_task(errors, file_name, node, forms):
    element_id = node.get("id")
    form_key = node.get(f"{{{CAMUNDA_NS}}}formKey")
    if not form_key:
        errors.append(ElementError(element_id, node.sourceline,
                                   "Användaruppgiften saknar formulär (camunda:formKey).", file_name))
    elif forms is not None:
        if not forms.exists(form_key):
            errors.append(ElementError(element_id, node.sourceline,
                                       f"Formuläret '{form_key}' finns inte.", file_name))
        else:
            try:
                forms.get(form_key)
            except Exception as exc:  # UnknownForm with the reason
                errors.append(ElementError(element_id, node.sourceline, str(exc), file_name))
    due = node.get(f"{{{CAMUNDA_NS}}}dueDate")
    if due and not _ISO_DURATION.match(due.strip()):
        _check_code(errors, file_name, node, due, "eval", "Förfallodatum (dueDate)")
    priority = node.get(f"{{{CAMUNDA_NS}}}priority")
    if priority is not None and not (priority.strip().isdigit() and 0 <= int(priority) <= 100):
        errors.append(ElementError(element_id, node.sourceline,
                                   "Prioritet (camunda:priority) måste vara ett heltal 0–100.", file_name))
    assignee = node.get(f"{{{CAMUNDA_NS}}}assignee")
    if assignee:
        _check_code(errors, file_name, node, assignee, "eval", "Handläggare (assignee)")


RESERVED_IDS = {"Start", "End", "Root"}


def _check_bpmn_rules(errors, warnings, file_name, tree, forms, known_processes, known_decisions, known_groups):
    root = tree.getroot()
    lanes = _lane_of_each_node(root)
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        for node in process.iter():
            if node.get("id") in RESERVED_IDS:
                errors.append(ElementError(node.get("id"), node.sourceline,
                                           f"Id:t '{node.get('id')}' är reserverat av motorn; byt till t.ex. "
                                           f"'{node.get('id')}Event'.", file_name))
    for node in root.iter(f"{{{BPMN_NS}}}conditionExpression"):
        _check_code(errors, file_name, node.getparent(), node.text, "eval", "Villkoret")
    for node in root.iter(f"{{{BPMN_NS}}}scriptTask"):
        script = node.find("bpmn:script", NS)
        _check_code(errors, file_name, node, script.text if script is not None else "", "exec", "Skriptet")
    for node in root.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        _check_timer(errors, file_name, node)
    for node in root.iter(f"{{{BPMN_NS}}}userTask"):
        _check_user_task(errors, file_name, node, forms)
        _check_group(errors, warnings, file_name, node, lanes, known_groups)
    for node in root.iter(f"{{{CAMUNDA_NS}}}property"):
        if node.get("name") == "correlationKey":
            _check_code(errors, file_name, node, node.get("value"), "eval", "Korrelationsnyckeln")
    for node in root.iter(f"{{{BPMN_NS}}}callActivity"):
        called = node.get("calledElement")
        if not called:
            errors.append(ElementError(node.get("id"), node.sourceline,
                                       "Anropsaktiviteten saknar anropad process (calledElement).", file_name))
        elif called not in known_processes:
            errors.append(ElementError(node.get("id"), node.sourceline,
                                       f"Den anropade processen '{called}' finns inte.", file_name))
    for node in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        ref = node.get(f"{{{CAMUNDA_NS}}}decisionRef")
        if not ref:
            errors.append(ElementError(node.get("id"), node.sourceline,
                                       "Regeluppgiften saknar beslutstabell (camunda:decisionRef).", file_name))
        elif ref not in known_decisions:
            errors.append(ElementError(node.get("id"), node.sourceline,
                                       f"Beslutstabellen '{ref}' finns inte.", file_name))
    for node in root.iter(f"{{{BPMN_NS}}}serviceTask"):
        errors.append(ElementError(node.get("id"), node.sourceline,
                                   "Serviceuppgifter stöds inte; använd en skriptuppgift med en hjälpfunktion.",
                                   file_name))


def _check_dmn_rules(errors, file_name, tree):
    for node in tree.getroot().iter():
        local = etree.QName(node).localname if isinstance(node.tag, str) else ""
        if local not in ("inputEntry", "outputEntry", "inputExpression"):
            continue
        text_node = next((c for c in node if etree.QName(c).localname == "text"), None)
        source = (text_node.text or "").strip() if text_node is not None else ""
        if not source or source == "-":
            continue
        if local == "inputEntry":
            probe = source.replace("?", "value")
            reason = check_compiles(probe, "eval")
            if reason and check_compiles(f"value {probe}", "eval") is None:
                reason = None  # a comparison such as "< 5", completed by the DMN engine
        else:
            reason = check_compiles(source, "eval")
        if reason:
            errors.append(ElementError(_owner_id(node), node.sourceline, f"Cellen '{source}': {reason}", file_name))


def _spiff_error(exc: Exception, trees: dict, default_file: str) -> ElementError:
    element_id = getattr(exc, "id", None) or None
    file_name = getattr(exc, "file_name", None) or default_file
    line = None
    tree = trees.get(file_name)
    if tree is not None and element_id:
        line = line_of(tree, element_id)
    if line is None:
        for name, candidate in trees.items():
            line = line_of(candidate, element_id)
            if line:
                file_name = name
                break
    message = str(exc.args[0]) if exc.args else str(exc)
    return ElementError(element_id, line, message, file_name)


def _check_bundle_forms(errors, files: dict, forms: BundleForms) -> None:
    for name in files:
        if not is_bundle_form(name):
            continue
        key = name[len("forms/"):-len(".json")]
        if not FORM_KEY.match(key):
            errors.append(ElementError(None, None, f"Ogiltigt formulärnamn '{key}': små bokstäver, siffror, - och _.",
                                       name))
            continue
        try:
            forms.get(key)
        except UnknownForm as exc:
            errors.append(ElementError(None, None, exc.message, name))


def compile_bundle(files: dict[str, bytes | str], main_file: str, forms=None,
                   known_groups: set[str] | None = None) -> CompiledModel:
    """Parse and check every file; return the spec or raise InvalidModel listing every problem.

    `forms`: where user-task forms are looked up (None: not checked); forms carried in the bundle as
    `forms/<key>.json` come first. `known_groups`: the groups tasks may be given to (None: not checked).
    """
    errors: list[ElementError] = []
    warnings: list[ElementError] = []
    trees: dict[str, etree._ElementTree] = {}
    unreadable = False
    bundle_forms = BundleForms(files, forms if forms is not None else FormStore([]))
    _check_bundle_forms(errors, files, bundle_forms)
    for name, content in files.items():
        if is_bundle_form(name):
            continue
        if not name.endswith((".bpmn", ".dmn", ".xml")):
            errors.append(ElementError(None, None, "Okänd filtyp: paketet kan bara ha .bpmn, .dmn och "
                                                   "forms/<nyckel>.json.", name))
            continue
        try:
            trees[name] = parse_xml(content, name)
        except InvalidModel as exc:
            errors.extend(exc.errors)
            unreadable = True
    if unreadable:
        raise InvalidModel("Modellen kan inte läsas.", errors)
    if main_file not in trees:
        raise InvalidModel("Huvudfilen saknas.", [ElementError(None, None, "Huvudfilen saknas i paketet.", main_file)])
    main_tree = trees[main_file]
    keys = executable_process_ids(main_tree)
    if not keys:
        raise InvalidModel("Filen innehåller ingen process.",
                           [ElementError(None, None, "Filen innehåller ingen BPMN-process.", main_file)])
    if len(keys) > 1:
        raise InvalidModel("Filen innehåller flera körbara processer.", [ElementError(
            keys[1], line_of(main_tree, keys[1]),
            f"Bara en körbar process per fil stöds (hittade {', '.join(keys)}).", main_file)])
    process_key = keys[0]
    known_processes = {pid for t in trees.values() if not is_dmn(t) for pid in process_ids(t)}
    known_decisions = {did for t in trees.values() if is_dmn(t) for did in decision_ids(t)}
    for name, tree in trees.items():
        if is_dmn(tree):
            _check_dmn_rules(errors, name, tree)
        else:
            _check_bpmn_rules(errors, warnings, name, tree, bundle_forms if forms is not None else None,
                              known_processes, known_decisions, known_groups)

    for process in main_tree.getroot().findall(f"{{{BPMN_NS}}}process"):
        if process.get("id") == process_key:
            # bpmn.io marks a new diagram not executable; its single process is still the one meant.
            process.set("isExecutable", "true")
    parser = KompisParser()
    spec = subprocess_specs = None
    try:
        for name, tree in trees.items():
            if is_dmn(tree):
                parser.add_dmn_xml(tree.getroot(), filename=name)
            else:
                parser.add_bpmn_xml(tree, filename=name)
        spec = parser.get_spec(process_key)
        subprocess_specs = parser.get_subprocess_specs(process_key)
    except (ValidationException, SpiffWorkflowException) as exc:
        errors.append(_spiff_error(exc, trees, main_file))
    except Exception as exc:  # SpiffWorkflow raises bare exceptions for some bad input
        errors.append(ElementError(None, None, f"Modellen kan inte tolkas: {exc}", main_file))
    if errors:
        # SpiffWorkflow often reports the same element as our own rules; list each problem once.
        unique = list({(e.file, e.element_id, e.message): e for e in errors}.values())
        raise InvalidModel(f"Modellen har {len(unique)} fel.", unique)
    return CompiledModel(process_key, spec, subprocess_specs, warnings)
