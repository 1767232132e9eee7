"""The shipped diagrams read left to right: measured from their BPMN DI (see engine/authoring/legibility.py).

For each of the five procedures: no flow runs along a lane that is neither its source's nor its target's
or crosses a lane boundary away from its target or right to left; no two shapes, labels, or a label and
a shape overlap, and no flow crosses a shape or label not its own; every end event stands in the
right-most column of its lane; every shape and label lies inside its lane; lanes are stacked in the
order people first act in them; a flow drawn right to left closes a loop. The layout generator
(engine/authoring/layout.py) is checked on the same files: it changes nothing but the DI, and what it
draws passes the same measures.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine.authoring.layout import Diagram, LayoutError, lay_out_xml
from engine.authoring.legibility import Box, Drawing, Flow, Node, measure, measure_file, read_drawing
from tests.conftest import WORKFLOWS

SHIPPED = ["tour_approval", "complaint_handling", "grade_change", "contract_review", "contract_amendment",
           "customer_admission", "visit_plan", "customer_visit", "grade_review", "grade_review_customer",
           "satisfaction_survey"]
DI = "http://www.omg.org/spec/BPMN/20100524/DI"


def without_di(data: bytes) -> bytes:
    """The file's process part, canonical: what the engine runs, whatever the drawing."""
    root = etree.fromstring(data, etree.XMLParser(remove_blank_text=True))
    for diagram in root.findall(f"{{{DI}}}BPMNDiagram"):
        root.remove(diagram)
    return etree.tostring(root, method="c14n")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_diagram_is_legible(name):
    found = measure_file(WORKFLOWS / f"{name}.bpmn")
    assert found.wrong_way == [], "flows along other lanes or crossing back over a lane boundary"
    assert found.overlaps == [], "overlapping shapes or labels"
    assert found.ends_not_last == [], "end events not in the right-most column of their lane"
    assert found.outside_lane == [], "shapes or labels outside their lane"
    assert found.lanes_out_of_order == []
    assert found.backwards == []


@pytest.mark.parametrize("name", SHIPPED)
def test_layout_changes_only_the_drawing(name):
    path = WORKFLOWS / f"{name}.bpmn"
    text = path.read_text(encoding="utf-8")
    laid_out = lay_out_xml(text)
    assert without_di(laid_out.encode("utf-8")) == without_di(text.encode("utf-8"))
    before, after = text.split("<bpmndi:BPMNDiagram")[0], laid_out.split("<bpmndi:BPMNDiagram")[0]
    assert after == before  # byte for byte: comments, scripts and documentation untouched
    found = measure(read_drawing(etree.fromstring(laid_out.encode("utf-8"))))
    assert {k: v for k, v in found.counts().items() if k not in ("pass_throughs", "crossings")} == {
        "wrong_way": 0, "overlaps": 0, "ends_not_last": 0, "outside_lane": 0, "lanes_out_of_order": 0,
        "backwards": 0}
    assert lay_out_xml(laid_out) == laid_out  # the same diagram gets the same drawing


def test_lanes_follow_the_people_in_the_tour():
    drawing = read_drawing(etree.parse(str(WORKFLOWS / "tour_approval.bpmn")).getroot())
    assert [drawing.lane_names[lane] for lane in drawing.lanes] == [
        "initiator", "account_manager", "cs_manager", "gm", "gatekeeper"]
    ends = [n for n in drawing.nodes.values() if n.kind == "endEvent"]
    last = max(n.box.right for n in drawing.nodes.values())
    assert max(e.box.right for e in ends) == last  # the diagram ends with its outcomes


# The measures themselves, on hand-made drawings.

def lane_drawing(*flows: Flow) -> Drawing:
    drawing = Drawing()
    for i, lane in enumerate(("a", "b", "c")):
        drawing.lanes[lane] = Box(30, i * 100, 600, 100)
        drawing.lane_names[lane] = lane
    drawing.nodes = {"s": Node("s", "task", "S", "a", Box(100, 10, 100, 80)),
                     "t": Node("t", "task", "T", "c", Box(400, 210, 100, 80)),
                     "u": Node("u", "task", "U", "a", Box(400, 10, 100, 80))}
    for f in flows:
        drawing.flows[f.id] = f
    return drawing


def test_a_flow_may_pass_straight_through_a_lane_but_not_along_it():
    straight = Flow("f", "", "s", "t", [(200, 50), (300, 50), (300, 250), (400, 250)])
    assert measure(lane_drawing(straight)).wrong_way == []
    along = Flow("f", "", "s", "t", [(200, 50), (300, 50), (300, 150), (350, 150), (350, 250), (400, 250)])
    assert measure(lane_drawing(along)).wrong_way == ["f runs along lane b"]
    detour = Flow("f", "", "s", "u", [(150, 90), (150, 150), (380, 150), (380, 50), (400, 50)])
    assert measure(lane_drawing(detour)).wrong_way == ["f crosses into lane b away from its target"]
    inside = Flow("f", "", "s", "u", [(200, 50), (300, 50), (300, 95), (390, 95), (390, 50), (400, 50)])
    assert measure(lane_drawing(inside)).wrong_way == []  # stays in its lane
    drawing = lane_drawing(Flow("f", "", "u", "v", [(400, 50), (200, 150)]))
    drawing.nodes["v"] = Node("v", "task", "V", "b", Box(100, 110, 100, 80))
    assert measure(drawing).wrong_way == ["f crosses a lane boundary right to left"]


def test_overlaps_ends_and_lanes_are_found():
    drawing = lane_drawing(Flow("f", "", "s", "t", [(200, 50), (300, 50), (300, 250), (400, 250)]))
    drawing.nodes["e"] = Node("e", "endEvent", "结束了", "a", Box(282, 30, 36, 36), Box(270, 70, 60, 14))
    found = measure(drawing)
    assert "end event e has u at or to its right" in found.ends_not_last
    assert "flow f crosses shape e" in found.overlaps
    drawing.nodes["x"] = Node("x", "task", "X", "a", Box(450, 60, 100, 80))  # over u, and out of lane a
    found = measure(drawing)
    assert "shape u overlaps shape x" in found.overlaps
    assert "shape x is not inside lane a" in found.outside_lane



def test_a_label_is_as_tall_as_its_text():
    drawing = Drawing(lanes={"a": Box(30, 0, 600, 100)}, lane_names={"a": "a"})
    drawing.nodes["g"] = Node("g", "exclusiveGateway", "一二三四五六七八", "a", Box(300, 5, 50, 50),
                              Box(360, 5, 40, 14))  # three lines at this width: down to y 44.6
    drawing.nodes["m"] = Node("m", "intermediateCatchEvent", "", "a", Box(365, 40, 30, 30))
    assert measure(drawing).overlaps == ["label of g overlaps shape m"]
    drawing.nodes["m"].box = Box(365, 50, 30, 30)
    assert measure(drawing).overlaps == []


def test_lanes_out_of_order_and_backward_flows():
    drawing = lane_drawing()
    drawing.nodes["t"].box = Box(50 + 30, 210, 100, 80)  # lane c starts left of lane a
    assert measure(drawing).lanes_out_of_order
    drawing = lane_drawing(Flow("back", "", "u", "s", [(400, 50), (200, 50)]))
    assert measure(drawing).backwards == ["flow back runs right to left without closing a loop"]
    drawing.flows["loop"] = Flow("loop", "", "s", "u", [(200, 50), (400, 50)])
    assert measure(drawing).backwards == []


def test_the_layout_refuses_what_it_cannot_draw():
    bpmn = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:collaboration id="c">
    <bpmn:participant id="p1" processRef="a"/><bpmn:participant id="p2" processRef="b"/>
  </bpmn:collaboration>
  <bpmn:process id="a"/><bpmn:process id="b"/>
</bpmn:definitions>"""
    with pytest.raises(LayoutError):
        Diagram(etree.fromstring(bpmn.encode()))


def test_a_diagram_without_di_gets_one():
    bpmn = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="是否同意？"/>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="ok" name="同意"/>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="no" name="驳回"/>
    <bpmn:userTask id="ok" name="办理"/>
    <bpmn:sequenceFlow id="f4" sourceRef="ok" targetRef="end"/>
    <bpmn:endEvent id="end" name="完成"/>
    <bpmn:endEvent id="no" name="结束"/>
  </bpmn:process>
</bpmn:definitions>
"""
    laid_out = lay_out_xml(bpmn)
    root = etree.fromstring(laid_out.encode())
    drawing = read_drawing(root)
    assert set(drawing.nodes) == {"start", "gw", "ok", "end", "no"} and set(drawing.flows) == {"f1", "f2", "f3", "f4"}
    found = measure(drawing)
    assert found.overlaps == [] and found.ends_not_last == [] and found.backwards == []
    assert drawing.nodes["end"].box.x == drawing.nodes["no"].box.x  # both outcomes in the last column
    assert without_di(laid_out.encode()) == without_di(bpmn.encode())


def test_every_shipped_diagram_is_measured():
    assert sorted(p.stem for p in Path(WORKFLOWS).glob("*.bpmn")) == sorted(SHIPPED)
