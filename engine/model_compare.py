"""Compare two deployed versions of a process: which elements were added, removed or changed, and the
text diff of every file in the bundle.

Only the process semantics count as a change: moving a shape on the canvas (the BPMNDI part) is not.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from lxml import etree

from engine.bpmn.xml import parse_xml
from engine.errors import InvalidModel
from engine.models import Deployment

_LAYOUT_NAMESPACES = {
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "https://www.omg.org/spec/DMN/20191111/DMNDI/",
    "http://www.omg.org/spec/DMN/20180521/DC/",
    "http://www.omg.org/spec/DMN/20180521/DI/",
}


@dataclass
class VersionDiff:
    process_key: str
    old_version: int
    new_version: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    xml_diff: str = ""
    files_changed: list[str] = field(default_factory=list)
    file_diffs: dict[str, str] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed or self.files_changed)


def _is_layout(node) -> bool:
    return etree.QName(node).namespace in _LAYOUT_NAMESPACES


def _signature(node) -> tuple:
    """What an element means, without the elements nested in it that have ids of their own (those are
    compared on their own) and without whitespace."""
    children = tuple(_signature(child) for child in node
                     if isinstance(child.tag, str) and child.get("id") is None and not _is_layout(child))
    return (node.tag, tuple(sorted(node.attrib.items())), (node.text or "").strip(), children)


def semantic_elements(xml_text: str, file_name: str = "") -> dict[str, tuple]:
    """Every element with an id outside the layout part, with what it means."""
    root = parse_xml(xml_text, file_name).getroot()
    elements = {}
    for node in root.iter():
        if not isinstance(node.tag, str) or node is root or _is_layout(node):
            continue
        if any(_is_layout(ancestor) for ancestor in node.iterancestors()):
            continue
        element_id = node.get("id")
        if element_id:
            elements[element_id] = _signature(node)
    return elements


def normalized_xml(text: str, file_name: str = "") -> str:
    """The file indented the same way, each element's attributes in name order.

    A diagram saved by bpmn-js is laid out differently from one written by hand or by Camunda Modeler;
    without this, the diff of a one-word change would be the whole file."""
    try:
        root = parse_xml(text, file_name).getroot()
    except InvalidModel:
        return text
    for node in root.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
        if isinstance(node.tag, str) and len(node.attrib) > 1:
            attributes = sorted(node.attrib.items())
            node.attrib.clear()
            node.attrib.update(attributes)
    return etree.tostring(root, pretty_print=True, encoding="unicode")


def _text_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    if old_label.endswith((".bpmn", ".dmn")) and new_label.endswith((".bpmn", ".dmn")):
        old, new = normalized_xml(old, old_label), normalized_xml(new, new_label)
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=old_label, tofile=new_label))


def compare_versions(old: Deployment, new: Deployment) -> VersionDiff:
    """Elements of the main diagram added, removed and changed from `old` to `new`, and file diffs."""
    diff = VersionDiff(new.process_key, old.version, new.version)
    before = semantic_elements(old.bpmn_xml, old.main_file)
    after = semantic_elements(new.bpmn_xml, new.main_file)
    diff.added = sorted(set(after) - set(before))
    diff.removed = sorted(set(before) - set(after))
    diff.changed = sorted(i for i in set(before) & set(after) if before[i] != after[i])
    for name in sorted(set(old.files) | set(new.files)):
        old_text, new_text = old.files.get(name, ""), new.files.get(name, "")
        if old_text == new_text:
            continue
        diff.files_changed.append(name)
        diff.file_diffs[name] = _text_diff(old_text, new_text, f"version {old.version}/{name}",
                                           f"version {new.version}/{name}")
    diff.xml_diff = diff.file_diffs.get(new.main_file, "") if old.main_file == new.main_file else _text_diff(
        old.bpmn_xml, new.bpmn_xml, f"version {old.version}/{old.main_file}", f"version {new.version}/{new.main_file}")
    return diff
