"""Every shipped diagram is complete: deployable, laid out (BPMN DI), in Chinese, citing its seed."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from lxml import etree

from tests.conftest import DEMO_USERS, WORKFLOWS

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
DIAGRAMS = sorted(WORKFLOWS.glob("*.bpmn"))
FLOW_NODES = ("userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "callActivity", "task",
              "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
              "exclusiveGateway", "parallelGateway", "inclusiveGateway", "subProcess", "sendTask", "receiveTask")
CJK = re.compile(r"[\u4e00-\u9fff]")
GROUPS = {g["id"] for g in yaml.safe_load(DEMO_USERS.read_text(encoding="utf-8"))["groups"]}


def _nodes(root):
    return [n for tag in FLOW_NODES for n in root.iterfind(f".//bpmn:process//bpmn:{tag}", NS)]


def _bounds(root):
    out = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        out[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return out


def test_the_five_procedures_are_there():
    names = {p.name for p in WORKFLOWS.iterdir()}
    assert {"tour_approval.bpmn", "complaint_handling.bpmn", "grade_change.bpmn", "grade_rules.dmn",
            "contract_review.bpmn", "contract_amendment.bpmn"} <= names


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.stem)
def test_complete_di(path: Path):
    root = etree.parse(str(path)).getroot()
    bounds = _bounds(root)
    edges = {e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    for node in _nodes(root) + root.findall(".//bpmn:lane", NS) + root.findall(".//bpmn:participant", NS):
        assert node.get("id") in bounds, f"{path.name}: no shape for {node.get('id')}"
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        assert len(edges.get(flow.get("id"), [])) >= 2, f"{path.name}: no edge for {flow.get('id')}"
    placed = [(n.get("id"), bounds[n.get("id")]) for n in _nodes(root) if etree.QName(n).localname != "boundaryEvent"]
    for i, (a, (ax, ay, aw, ah)) in enumerate(placed):
        for b, (bx, by, bw, bh) in placed[i + 1:]:
            overlap = ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
            assert not overlap, f"{path.name}: {a} overlaps {b}"
    for event in root.iterfind(".//bpmn:boundaryEvent", NS):
        x, y, w, h = bounds[event.get("id")]
        hx, hy, hw, hh = bounds[event.get("attachedToRef")]
        cx, cy = x + w / 2, y + h / 2
        on_border = (hx - 1 <= cx <= hx + hw + 1) and (hy - 1 <= cy <= hy + hh + 1)
        assert on_border, f"{path.name}: boundary event {event.get('id')} is not on its task"


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.stem)
def test_lanes_names_forms_and_citations(path: Path):
    root = etree.parse(str(path)).getroot()
    for lane in root.iterfind(".//bpmn:lane", NS):
        assert lane.get("name") in GROUPS | {"initiator"}, f"{path.name}: lane {lane.get('name')}"
    for node in _nodes(root):
        kind = etree.QName(node).localname
        if kind in ("userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "callActivity",
                    "startEvent", "endEvent"):
            assert CJK.search(node.get("name") or ""), f"{path.name}: {node.get('id')} has no Chinese name"
        if kind == "userTask":
            doc = node.findtext("bpmn:documentation", "", NS)
            assert "依据" in doc, f"{path.name}: {node.get('id')} does not cite its seed article"
        started_by_hand = kind == "startEvent" and node.getparent().tag.endswith("process") \
            and not any(etree.QName(child).localname.endswith("EventDefinition") for child in node)
        if kind == "userTask" or started_by_hand:
            forms = [p.get("value") for p in node.iterfind(".//spiffworkflow:property", NS)
                     if p.get("name") == "formJsonSchemaFilename"]
            assert forms, f"{path.name}: {node.get('id')} names no form"


def test_deploy_all_through_the_cli(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    env.pop("APPROVALS_FORMS_DIR", None)

    def run(*args):
        proc = subprocess.run([sys.executable, "-m", "web.cli", "--json", *args], env=env, capture_output=True,
                              text=True, timeout=180)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(proc.stdout)

    run("db", "upgrade")
    run("users", "import", str(DEMO_USERS))
    deployed = {d["process_id"] for d in run("deploy", str(WORKFLOWS))["deployed"]}
    assert deployed == {"tour_approval", "complaint_handling", "grade_change", "grade_rules", "contract_review",
                        "contract_amendment", "customer_admission", "customer_visit", "visit_plan", "grade_review",
                        "grade_review_customer", "satisfaction_survey"}
    assert run("deploy", str(WORKFLOWS))["deployed"] == []  # unchanged files add no versions
