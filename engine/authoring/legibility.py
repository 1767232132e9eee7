"""How readable a diagram's layout is, measured from its BPMN DI: the checks a reader makes by eye.

Only the drawing is judged (shape bounds, label bounds, edge waypoints, lane bands); what the process
does is not. `measure` answers with a `Findings`, each list naming the offending elements:

- `wrong_way`: a sequence flow that runs along a lane that is neither its source's nor its target's lane
  (any segment that is not a straight vertical crossing of that lane's band), or that crosses a lane
  boundary while running right to left. Passing straight down or up through a lane is allowed: with
  lanes stacked in the order people act, a hand-over to a lane further down has to cross the ones
  between, and the reader follows a vertical line through a lane without mistaking it for that lane's work.
- `overlaps`: two shapes, two labels, a label and a shape, a flow and a shape it does not connect, a
  flow and a label that is not its own. A task's label is the task box; an event's, gateway's or named
  flow's label is its DI label box, made as tall as its text needs at that width (bpmn-js wraps the text
  to the box width and lets it run on below).
- `ends_not_last`: an end event with another node of its lane at or to its right.
- `outside_lane`: a shape or label not inside its lane (right of the lane's title band), or a flow point
  outside every lane.
- `lanes_out_of_order`: a lane drawn above another whose first step comes later.
- `backwards`: a flow drawn right to left (or straight up or down in one column) that does not close a
  loop, so the diagram does not read left to right.

`pass_throughs` (flows crossing a lane between their ends) and `crossings` (pairs of unrelated flows that
cross) are reported for information: with more than two lanes some are unavoidable.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from lxml import etree

from .diagram_geometry import BPMN_NS, BPMNDI_NS, DEFAULT_LABEL, FLOW_NODES, LANE_TITLE, NS, TASKS, Box, text_height


@dataclass
class Node:
    id: str
    kind: str
    name: str
    lane: str | None
    box: Box
    label: Box | None = None  # events and gateways with a name: the box their text is drawn in
    host: str | None = None  # a boundary event's task


@dataclass
class Flow:
    id: str
    name: str
    source: str
    target: str
    points: list[tuple[float, float]]
    label: Box | None = None


@dataclass
class Drawing:
    lanes: dict[str, Box] = field(default_factory=dict)  # lane id -> band, top to bottom
    lane_names: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)


@dataclass
class Findings:
    wrong_way: list[str] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)
    ends_not_last: list[str] = field(default_factory=list)
    outside_lane: list[str] = field(default_factory=list)
    lanes_out_of_order: list[str] = field(default_factory=list)
    backwards: list[str] = field(default_factory=list)
    pass_throughs: int = 0
    crossings: int = 0

    def problems(self) -> dict[str, list[str]]:
        return {"wrong_way": self.wrong_way, "overlaps": self.overlaps, "ends_not_last": self.ends_not_last,
                "outside_lane": self.outside_lane, "lanes_out_of_order": self.lanes_out_of_order,
                "backwards": self.backwards}

    def counts(self) -> dict[str, int]:
        return {**{k: len(v) for k, v in self.problems().items()}, "pass_throughs": self.pass_throughs,
                "crossings": self.crossings}


def _bounds(element) -> Box | None:
    b = element.find("dc:Bounds", NS) if element is not None else None
    if b is None:
        return None
    return Box(*(float(b.get(k)) for k in ("x", "y", "width", "height")))


def read_drawing(root) -> Drawing:
    """The diagram as drawn: every flow node, flow and lane of the file's processes with its DI geometry."""
    shapes, labels, edges = {}, {}, {}
    for shape in root.iter(f"{{{BPMNDI_NS}}}BPMNShape"):
        shapes[shape.get("bpmnElement")] = _bounds(shape)
        labels[shape.get("bpmnElement")] = _bounds(shape.find("bpmndi:BPMNLabel", NS))
    for edge in root.iter(f"{{{BPMNDI_NS}}}BPMNEdge"):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
        edges[edge.get("bpmnElement")] = (points, _bounds(edge.find("bpmndi:BPMNLabel", NS)))
    drawing = Drawing()
    lane_of = {}
    lanes = []
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        if shapes.get(lane.get("id")) is None:
            continue
        lanes.append((shapes[lane.get("id")].y, lane.get("id")))
        drawing.lane_names[lane.get("id")] = lane.get("name") or lane.get("id")
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lane_of[(ref.text or "").strip()] = lane.get("id")
    for _, lane_id in sorted(lanes):
        drawing.lanes[lane_id] = shapes[lane_id]
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN_NS:
            continue
        kind = etree.QName(el).localname
        if kind in FLOW_NODES and shapes.get(el.get("id")) is not None:
            box = shapes[el.get("id")]
            name = (el.get("name") or "").strip()
            label = None
            if kind not in TASKS and name:
                label = labels.get(el.get("id")) or Box(box.cx - DEFAULT_LABEL[0] / 2, box.bottom,
                                                          *DEFAULT_LABEL)
            drawing.nodes[el.get("id")] = Node(el.get("id"), kind, name, lane_of.get(el.get("id")), box, label,
                                               el.get("attachedToRef"))
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        if flow.get("id") not in edges:
            continue
        points, label = edges[flow.get("id")]
        name = (flow.get("name") or "").strip()
        if name and label is None and len(points) >= 2:  # bpmn-js puts it on the middle of the middle segment
            mid = len(points) / 2 - 1
            a, b = points[math.floor(mid)], points[math.ceil(mid + 0.01)]
            label = Box((a[0] + b[0]) / 2 - DEFAULT_LABEL[0] / 2, (a[1] + b[1]) / 2 - DEFAULT_LABEL[1] / 2,
                        *DEFAULT_LABEL)
        drawing.flows[flow.get("id")] = Flow(flow.get("id"), name, flow.get("sourceRef"), flow.get("targetRef"),
                                             points, label if name else None)
    return drawing


def label_ink(text: str, box: Box) -> Box:
    """A label box grown to the height its wrapped text takes."""
    return Box(box.x, box.y, box.w, max(box.h, text_height(text, box.w)))


def _segments(points):
    return list(zip(points, points[1:]))


def _lanes_touched(drawing: Drawing, y0: float, y1: float) -> list[str]:
    lo, hi = min(y0, y1), max(y0, y1)
    return [lane for lane, band in drawing.lanes.items() if band.y <= hi and lo <= band.bottom]


def _lane_at(drawing: Drawing, y: float) -> list[str]:
    return [lane for lane, band in drawing.lanes.items() if band.y <= y <= band.bottom]


def _reaches(drawing: Drawing, start: str, goal: str) -> bool:
    """Whether the flow graph leads from start to goal (a boundary event's flows count for its task)."""
    out: dict[str, list[str]] = {}
    for f in drawing.flows.values():
        source = drawing.nodes[f.source].host if f.source in drawing.nodes and drawing.nodes[f.source].host \
            else f.source
        out.setdefault(source, []).append(f.target)
    seen, todo = set(), [start]
    while todo:
        n = todo.pop()
        if n == goal:
            return True
        if n in seen:
            continue
        seen.add(n)
        todo.extend(out.get(n, []))
    return False


def measure(drawing: Drawing) -> Findings:
    found = Findings()
    nodes, flows = drawing.nodes, drawing.flows
    inks = {n.id: label_ink(n.name, n.label) for n in nodes.values() if n.label is not None}
    flow_inks = {f.id: label_ink(f.name, f.label) for f in flows.values() if f.label is not None}

    # (a) flows that wander along other people's lanes or cross a lane boundary the wrong way
    order = list(drawing.lanes)
    boundaries = [(drawing.lanes[lane].y, i) for i, lane in enumerate(order)][1:]  # (y, index of lane below)
    for f in flows.values():
        end_lanes = [nodes[n].lane if n in nodes else None for n in (f.source, f.target)]
        ends = set(end_lanes)
        s, t = (order.index(lane) if lane in order else None for lane in end_lanes)
        passed, wrong = set(), None
        for a, b in _segments(f.points):
            touched = _lanes_touched(drawing, a[1], b[1])
            if drawing.lanes and not touched:
                found.outside_lane.append(f"{f.id}: a point outside every lane")
            if a[0] != b[0]:
                foreign = [lane for lane in (touched if a[1] != b[1] else _lane_at(drawing, a[1])) if lane not in ends]
                if foreign:
                    wrong = wrong or f"{f.id} runs along lane {drawing.lane_names[foreign[0]]}"
            for y, below in boundaries:
                if not min(a[1], b[1]) < y < max(a[1], b[1]) or s is None or t is None:
                    continue
                down = b[1] > a[1]
                toward = (s <= below - 1 and below <= t) if down else (t <= below - 1 and below <= s)
                if not toward:
                    entered = drawing.lane_names[order[below if down else below - 1]]
                    wrong = wrong or f"{f.id} crosses into lane {entered} away from its target"
                elif b[0] < a[0]:
                    wrong = wrong or f"{f.id} crosses a lane boundary right to left"
            passed |= {lane for lane, band in drawing.lanes.items()
                       if lane not in ends and band.y < max(a[1], b[1]) and min(a[1], b[1]) < band.bottom}
        if wrong:
            found.wrong_way.append(wrong)
        found.pass_throughs += bool(passed)

    # (b) overlaps
    node_list = list(nodes.values())
    for i, a in enumerate(node_list):
        for b in node_list[i + 1:]:
            if a.host == b.id or b.host == a.id:
                continue
            if a.box.overlaps(b.box):
                found.overlaps.append(f"shape {a.id} overlaps shape {b.id}")
    texts = [(f"label of {k}", k, v) for k, v in inks.items()] + [(f"label of {k}", k, v) for k, v in flow_inks.items()]
    for i, (what, owner, box) in enumerate(texts):
        for other_what, _, other in texts[i + 1:]:
            if box.overlaps(other):
                found.overlaps.append(f"{what} overlaps {other_what}")
        for n in node_list:
            if box.overlaps(n.box):
                found.overlaps.append(f"{what} overlaps shape {n.id}")
    for f in flows.values():
        ends = {f.source, f.target}
        if f.source in nodes and nodes[f.source].host:
            ends.add(nodes[f.source].host)
        for a, b in _segments(f.points):
            for n in node_list:
                if n.id not in ends and n.box.hit_by(a, b):
                    found.overlaps.append(f"flow {f.id} crosses shape {n.id}")
            for what, owner, box in texts:
                if owner != f.id and box.hit_by(a, b):
                    found.overlaps.append(f"flow {f.id} crosses {what}")
    found.overlaps = sorted(set(found.overlaps))

    # (c) end events in the right-most column of their lane
    for e in node_list:
        if e.kind != "endEvent":
            continue
        for n in node_list:
            if n.lane == e.lane and n.kind != "endEvent" and not n.host and n.box.right > e.box.x:
                found.ends_not_last.append(f"end event {e.id} has {n.id} at or to its right")

    # (d) every shape and label inside its lane
    for n in node_list:
        if not drawing.lanes:
            break
        band = drawing.lanes.get(n.lane)
        if band is None:
            found.outside_lane.append(f"{n.id} is in no lane")
            continue
        inner = Box(band.x + LANE_TITLE, band.y, band.w - LANE_TITLE, band.h)
        if not n.box.inside(inner):
            found.outside_lane.append(f"shape {n.id} is not inside lane {drawing.lane_names[n.lane]}")
        if n.id in inks and not inks[n.id].inside(inner):
            found.outside_lane.append(f"label of {n.id} is not inside lane {drawing.lane_names[n.lane]}")
    for fid, ink in flow_inks.items():
        if drawing.lanes and not any(ink.inside(Box(b.x + LANE_TITLE, b.y, b.w - LANE_TITLE, b.h))
                                     for b in drawing.lanes.values()):
            found.outside_lane.append(f"label of {fid} is not inside one lane")

    # lanes stacked in the order people first act in them
    firsts = {}
    for n in node_list:
        if n.lane and not n.host:
            firsts[n.lane] = min(firsts.get(n.lane, math.inf), n.box.cx)
    order = [lane for lane in drawing.lanes if lane in firsts]
    for upper, lower in zip(order, order[1:]):
        if firsts[upper] > firsts[lower] + 0.5:
            found.lanes_out_of_order.append(f"lane {drawing.lane_names[upper]} is drawn above "
                                            f"{drawing.lane_names[lower]}, whose first step comes earlier")

    # reads left to right: a flow drawn leftwards (or in one column) closes a loop
    for f in flows.values():
        if f.source not in nodes or f.target not in nodes:
            continue
        s, t = nodes[f.source], nodes[f.target]
        start_x = nodes[s.host].box.cx if s.host else s.box.cx
        if t.box.cx <= start_x and not _reaches(drawing, f.target, s.host or f.source):
            found.backwards.append(f"flow {f.id} runs right to left without closing a loop")

    # for information: crossings of unrelated flows
    flow_list = list(flows.values())
    for i, f in enumerate(flow_list):
        for g in flow_list[i + 1:]:
            if {f.source, f.target} & {g.source, g.target}:
                continue
            found.crossings += sum(_cross(a, b, c, d) for a, b in _segments(f.points) for c, d in _segments(g.points))
    return found


def _cross(a, b, c, d) -> bool:
    """Proper crossing of two segments (touching ends do not count)."""
    def orient(p, q, r):
        v = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
        return (v > 1e-9) - (v < -1e-9)
    o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
    return o1 * o2 < 0 and o3 * o4 < 0


def measure_file(path) -> Findings:
    return measure(read_drawing(etree.parse(str(path)).getroot()))
