"""The vocabulary of a BPMN drawing shared by the layout and its measurement: namespaces, the kinds of
flow node, boxes, and how bpmn-js sets a label's text (its type size, its wrapping of Chinese and Latin
text to a box's width)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}

TASKS = frozenset({"task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
                   "receiveTask", "callActivity", "subProcess"})
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"})
GATEWAYS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
                      "complexGateway"})
FLOW_NODES = TASKS | EVENTS | GATEWAYS

# bpmn-js draws external labels (events, gateways, flows) in 11 px type, 1.2 lines, wrapped to the box width.
LABEL_FONT = 11.0
LINE_HEIGHT = LABEL_FONT * 1.2
DEFAULT_LABEL = (90.0, 20.0)  # what bpmn-js uses where the DI gives no label bounds
LANE_TITLE = 30.0  # the band at a lane's left edge that holds its (rotated) name
POOL_TITLE = 30  # the pool's name band on its left


def char_width(ch: str) -> float:
    """Advance of one character in the label font: CJK and full-width forms are square, Latin narrower."""
    return LABEL_FONT if ord(ch) >= 0x2E80 else LABEL_FONT * 0.6


def text_width(text: str) -> float:
    return sum(char_width(ch) for ch in text)


def wrap(text: str, width: float) -> list[str]:
    """The lines bpmn-js (diagram-js's text layout) breaks a label into at `width`: a line too long is cut
    to its share of the width less one character (at a space or hyphen when it has one) and tried again."""
    out = []
    todo = [line for line in text.splitlines()] or [""]
    while todo:
        original = todo.pop(0)
        line = original
        while not (line in ("", " ") or text_width(line) <= width or len(line) < 2):
            share = max(len(line) * (width / text_width(line)), 1)
            shorter, used = "", 0
            parts = [p for p in re.split(r"(\s|-|\u00AD)", line) if p]
            if len(parts) > 1:
                for part in parts:
                    if len(part) + used < share:
                        shorter, used = shorter + part, used + len(part)
                    else:
                        break
            line = shorter or line[:max(math.floor(share - 1 + 0.5), 1)]
        out.append(line)
        rest = original[len(line):].strip()
        if rest:
            todo.insert(0, rest)
    return out


def wrapped_lines(text: str, width: float) -> int:
    return len(wrap(text, width))


def text_height(text: str, width: float) -> float:
    return wrapped_lines(text, width) * LINE_HEIGHT


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def overlaps(self, other: Box, margin: float = 0.0) -> bool:
        return (self.x - margin < other.right and other.x < self.right + margin
                and self.y - margin < other.bottom and other.y < self.bottom + margin)

    def inside(self, other: Box, tolerance: float = 0.5) -> bool:
        return (self.x >= other.x - tolerance and self.y >= other.y - tolerance
                and self.right <= other.right + tolerance and self.bottom <= other.bottom + tolerance)

    def hit_by(self, a: tuple[float, float], b: tuple[float, float], margin: float = 0.0) -> bool:
        """Whether the segment a-b passes through the inside of the box (shrunk by -margin)."""
        x0, y0, x1, y1 = self.x - margin, self.y - margin, self.right + margin, self.bottom + margin
        if x1 <= x0 or y1 <= y0:
            return False
        # Liang-Barsky clipping against the open box.
        t0, t1 = 0.0, 1.0
        dx, dy = b[0] - a[0], b[1] - a[1]
        for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
            if p == 0:
                if q <= 0:
                    return False
            else:
                t = q / p
                if p < 0:
                    t0 = max(t0, t)
                else:
                    t1 = min(t1, t)
        return t1 - t0 > 1e-9 and (t1 - t0) * math.hypot(dx, dy) > 0.5


class LayoutError(ValueError):
    """The diagram holds something the layout does not handle (several pools, an expanded subprocess...), or
    the layout found no way for a flow or no room for a label."""
