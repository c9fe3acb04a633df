"""Every built-in diagram opens in bpmn-js (the bpmn.io renderer) without a single import warning,
and draws every flow node: what a process owner sees when opening it in bpmn.io."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tools.render_diagrams import render

PROCESSES = sorted((Path(__file__).resolve().parents[2] / "processes").glob("*.bpmn"))


@pytest.fixture(scope="module")
def rendered(browser):
    return render(PROCESSES, browser)


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.stem)
def test_diagram_opens_cleanly_and_draws_every_element(path, rendered):
    result = rendered[path.name]
    assert result["warnings"] == []
    tree = etree.parse(str(path))
    nodes = tree.xpath("//bpmn:process//*[local-name()='userTask' or local-name()='scriptTask' or "
                       "local-name()='exclusiveGateway' or local-name()='startEvent' or local-name()='endEvent']"
                       "/@id", namespaces={"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"})
    shapes = set(tree.xpath("//*[local-name()='BPMNShape']/@bpmnElement"))
    assert set(nodes) <= shapes, f"elements without a shape: {sorted(set(nodes) - shapes)}"
    names = tree.xpath("//bpmn:userTask/@name", namespaces={"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"})
    missing = [n for n in names if n.split()[0] not in result["svg"]]
    assert missing == [], f"task labels not drawn: {missing}"
