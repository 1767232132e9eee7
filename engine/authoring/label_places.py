"""Step 5 of the layout (engine.authoring.layout): labels of events, gateways and named flows at the first
free place beside their element, sized as bpmn-js will wrap the text; where none is free, the gaps around
it grow and everything is placed again."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .diagram_geometry import LABEL_FONT, LANE_TITLE, LINE_HEIGHT, Box, text_width, wrapped_lines

LABEL_WIDTH = 90  # bpmn-js's width for external labels


if TYPE_CHECKING:  # the layout's own classes, for the annotations
    from .layout import Flow, Node


class LabelPlacement:
    """Mixed into layout.Diagram: relies on its nodes, flows, lanes, bands and spacing."""

    def place_labels(self) -> list[tuple[str, Node | Flow]]:
        """Puts each label at the first free place beside its element; returns those that found none."""
        self.labels: dict[str, Box] = {}
        taken = [Box(b.x - 3, b.y - 3, b.w + 6, b.h + 6) for b in (n.box for n in self.nodes.values())]
        segments = [(a, b) for f in self.flows for a, b in zip(f.points, f.points[1:])]
        failed = []

        def fits(box: Box) -> bool:
            lane = self.lane_index(box.cy)
            if lane < 0:
                return False
            band = self.bands[self.lane_order[lane]]
            inner = Box(band.x + LANE_TITLE + 2, band.y + 2, band.w - LANE_TITLE - 4, band.h - 4)
            return (box.inside(inner) and not any(box.overlaps(t) for t in taken)
                    and not any(box.hit_by(a, b, 2) for a, b in segments))

        def first_free(text: str, places) -> Box | None:
            for w, h in label_sizes(text):
                for box in places(w, h):
                    if fits(box):
                        return box
            return None

        for n in sorted((n for n in self.nodes.values() if n.name and n.shape != "task"),
                        key=lambda n: (n.shape != "gateway", n.order)):
            spot = first_free(n.name, lambda w, h: [b for b in places_around(n.box, w, h, n)
                                                    if self.lane_index(b.cy) == self.lane_order.index(n.lane)])
            if spot is None:
                failed.append(("node", n))
                continue
            self.labels[n.id] = spot
            taken.append(spot)
        for f in sorted(self.flows, key=lambda f: f.order):
            f.label = None
            if not f.name:
                continue
            siblings = [(a, b) for g in self.flows if g.tail == f.tail and g is not f
                        for a, b in zip(g.points, g.points[1:])]
            spot = first_free(f.name, lambda w, h: places_along(unshared(f.points, siblings), w, h))
            if spot is None:
                failed.append(("flow", f))
                continue
            f.label = spot
            taken.append(spot)
        return failed

    def grow(self, failed) -> None:
        """More room around each label that found no place."""
        for kind, item in failed:
            if kind == "node":
                n = self.nodes[item.host] if item.host else item
                self.spacing.widen(n.col - 1, 24)
                self.spacing.widen(n.col, 24)
                self.spacing.heighten(n.lane, 16, 12)
            else:
                tail = self.nodes[item.tail]
                self.spacing.widen(tail.col, 32)
                self.spacing.heighten(tail.lane, 8)


def label_sizes(text: str) -> list[tuple[int, int]]:
    """Box sizes to try for a label: the narrowest box that keeps it to as few lines as the label width
    allows, then to one or two lines more (as bpmn-js will break it)."""
    fewest = wrapped_lines(text, LABEL_WIDTH)
    sizes = []
    for lines in range(fewest, fewest + 3):
        width = next((w for w in range(math.ceil(text_width(text) / lines), LABEL_WIDTH + 1)
                      if wrapped_lines(text, w) <= lines), None)
        if width is None or (lines > 1 and width < 3 * LABEL_FONT):
            continue
        size = (width + 2, math.ceil(wrapped_lines(text, width + 2) * LINE_HEIGHT) + 1)
        if size not in sizes:
            sizes.append(size)
    return sizes


def places_around(b: Box, w: int, h: int, n: Node):
    """Places next to a shape, in the order a reader looks for them."""
    below = Box(b.cx - w / 2, b.bottom + 5, w, h)
    above = Box(b.cx - w / 2, b.y - 5 - h, w, h)
    right = Box(b.right + 5, b.cy - h / 2, w, h)
    left = Box(b.x - 5 - w, b.cy - h / 2, w, h)
    corners = [Box(b.right + 4, b.bottom + 4, w, h), Box(b.x - 4 - w, b.bottom + 4, w, h),
               Box(b.right + 4, b.y - 4 - h, w, h), Box(b.x - 4 - w, b.y - 4 - h, w, h)]
    if n.host:  # under the task, beside the flow that leaves the event downwards
        spots = [Box(b.right + 4, b.cy + 5, w, h), Box(b.x - 4 - w, b.cy + 5, w, h), below] + corners[:2]
    elif n.shape == "gateway":
        spots = [above, below] + corners + [right, left]
    else:
        spots = [below, above] + corners + [right, left]
    return [Box(round(s.x), round(s.y), s.w, s.h) for s in spots]


def unshared(points, others) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The flow's first two segments (or parts of them) that no sibling flow runs along: where its own way
    begins, so its label cannot be read as a sibling's."""
    out = []
    for a, b in zip(points, points[1:]):
        horizontal = a[1] == b[1]
        axis, fixed = (0, 1) if horizontal else (1, 0)
        sign = 1 if b[axis] >= a[axis] else -1
        start = a[axis]
        for c, d in others:
            if (c[1] == d[1]) == horizontal and c[fixed] == d[fixed] == a[fixed]:
                lo, hi = min(c[axis], d[axis]), max(c[axis], d[axis])
                if lo <= start <= hi or lo <= start + sign <= hi:
                    start = hi if sign > 0 else lo
        if (b[axis] - start) * sign >= 12:
            begin = (start, a[1]) if horizontal else (a[0], start)
            out.append((begin, b))
        if len(out) == 2:
            break
    return out


def places_along(segments, w: int, h: int):
    """Places beside a flow's own segments, nearest its source first."""
    spots = []
    for a, b in segments:
        if a[1] == b[1]:  # horizontal
            lo, hi = min(a[0], b[0]), max(a[0], b[0])
            xs = [a[0] + 6 if b[0] > a[0] else a[0] - 6 - w, (lo + hi) / 2 - w / 2]
            for x in xs:
                spots += [Box(x, a[1] - 3 - h, w, h), Box(x, a[1] + 3, w, h)]
        else:
            ys = [a[1] + 6 if b[1] > a[1] else a[1] - 6 - h, (a[1] + b[1]) / 2 - h / 2]
            for y in ys:
                spots += [Box(a[0] + 4, y, w, h), Box(a[0] - 4 - w, y, w, h)]
    return [Box(round(s.x), round(s.y), s.w, s.h) for s in spots]
