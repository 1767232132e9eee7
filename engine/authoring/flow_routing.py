"""Step 4 of the layout (engine.authoring.layout): flows routed orthogonally on a grid of tracks in the gaps
between columns, rows and lanes, each the cheapest way by length, bends, crossings, shared lines and passing
where a label will go; a flow never runs along a lane that is neither its source's nor its target's."""
from __future__ import annotations

import bisect
import heapq
import itertools
import math
from typing import TYPE_CHECKING

from .diagram_geometry import LANE_TITLE, POOL_TITLE, LayoutError
from .label_places import label_sizes, places_around

OBSTACLE = 10  # flows keep this far from shapes they do not touch
STUB = 18  # a flow leaves and enters a shape straight for this long
TRACK = 12  # spacing of parallel flows in a gap
BEND, CROSS, OVERLAP, TOUCH, LABEL, SHARED_SIDE, AWAY = 40, 300, 5000, 1500, 400, 150, 300

if TYPE_CHECKING:  # the layout's own classes, for the annotations
    from .layout import Flow, Node


class FlowRouting:
    """Mixed into layout.Diagram: relies on its nodes, flows, lanes, bands, columns and rows."""

    def ports(self, n: Node, leaving: bool) -> list[tuple[str, tuple[int, int], tuple[int, int], int]]:
        """(side, point on the outline, direction out of the shape, cost) for each side a flow may use."""
        b = n.box
        sides = {"r": ((b.right, b.cy), (1, 0)), "l": ((b.x, b.cy), (-1, 0)),
                 "t": ((b.cx, b.y), (0, -1)), "b": ((b.cx, b.bottom), (0, 1))}
        if n.host:
            wanted = {"b": 0}
        elif leaving:
            wanted = {"r": 0, "b": 10 if n.shape == "gateway" else 90, "t": 10 if n.shape == "gateway" else 90}
        else:
            wanted = {"l": 0, "t": 20 if n.shape == "gateway" else 90, "b": 20 if n.shape == "gateway" else 90}
        return [(side, (int(sides[side][0][0]), int(sides[side][0][1])), sides[side][1], cost)
                for side, cost in wanted.items()]

    def grid(self) -> None:
        """The lines flows may run on: gaps between columns, rows and lanes, and the ends of every stub."""
        xs, ys = set(), set()
        for n in self.nodes.values():
            b = n.box
            xs |= {int(b.cx), int(b.x - STUB), int(b.right + STUB)}
            ys |= {int(b.cy), int(b.y - STUB), int(b.bottom + STUB)}
        edges = [POOL_TITLE + LANE_TITLE] + [v for c, left in enumerate(self.col_left)
                                             for v in (left, left + self.col_width[c])] + [self.width]
        tracks_x, tracks_y = set(), set()
        for lo, hi in zip(edges[::2], edges[1::2]):
            tracks_x |= set(tracks(lo + OBSTACLE, hi - OBSTACLE))
        for lane in self.lane_order:
            band = self.bands[lane]
            cuts = [band.y]
            for y0, height in zip(self.row_top[lane], self.row_height[lane]):
                cuts += [y0, y0 + height]
            cuts.append(band.bottom)
            for lo, hi in zip(cuts[::2], cuts[1::2]):
                tracks_y |= set(tracks(lo + 6, hi - 6))
        # parallel flows stay apart: a track too near a line at a shape's side or centre is left out
        xs |= {t for t in tracks_x if all(abs(t - x) >= TRACK - 4 for x in xs)}
        ys |= {t for t in tracks_y if all(abs(t - y) >= TRACK - 4 for y in ys)}
        self.xs, self.ys = sorted(xs), sorted(ys)
        nx, ny = len(self.xs), len(self.ys)
        self.xi = {x: i for i, x in enumerate(self.xs)}
        self.yi = {y: i for i, y in enumerate(self.ys)}
        self.lane_at = [self.lane_index(y) for y in self.ys]
        # what shapes (grown by OBSTACLE) block: grid points, and moves to the next point right or down
        self.point_ok = [[True] * ny for _ in range(nx)]
        self.right_ok = [[True] * ny for _ in range(nx)]
        self.down_ok = [[True] * ny for _ in range(nx)]
        for n in self.nodes.values():
            b = n.box
            x0, x1, y0, y1 = b.x - OBSTACLE, b.right + OBSTACLE, b.y - OBSTACLE, b.bottom + OBSTACLE
            inside_x = range(bisect.bisect_right(self.xs, x0), bisect.bisect_left(self.xs, x1))
            inside_y = range(bisect.bisect_right(self.ys, y0), bisect.bisect_left(self.ys, y1))
            span_x = range(max(bisect.bisect_right(self.xs, x0) - 1, 0), bisect.bisect_left(self.xs, x1))
            span_y = range(max(bisect.bisect_right(self.ys, y0) - 1, 0), bisect.bisect_left(self.ys, y1))
            for ix in inside_x:
                for iy in inside_y:
                    self.point_ok[ix][iy] = False
                for iy in span_y:
                    self.down_ok[ix][iy] = False
            for iy in inside_y:
                for ix in span_x:
                    self.right_ok[ix][iy] = False
        # where labels of events and gateways will most likely go: flows pay to pass there
        self.reserved = {}
        for n in self.nodes.values():
            if n.name and n.shape != "task":
                w, h = label_sizes(n.name)[0]
                self.reserved[n.id] = places_around(n.box, w, h, n)[0]
        self.right_label = [[False] * ny for _ in range(nx)]
        self.down_label = [[False] * ny for _ in range(nx)]
        for box in self.reserved.values():
            x0, x1, y0, y1 = box.x - 2, box.right + 2, box.y - 2, box.bottom + 2
            inside_x = range(bisect.bisect_right(self.xs, x0), bisect.bisect_left(self.xs, x1))
            inside_y = range(bisect.bisect_right(self.ys, y0), bisect.bisect_left(self.ys, y1))
            span_x = range(max(bisect.bisect_right(self.xs, x0) - 1, 0), bisect.bisect_left(self.xs, x1))
            span_y = range(max(bisect.bisect_right(self.ys, y0) - 1, 0), bisect.bisect_left(self.ys, y1))
            for ix in inside_x:
                for iy in span_y:
                    self.down_label[ix][iy] = True
            for iy in inside_y:
                for ix in span_x:
                    self.right_label[ix][iy] = True
        self.sides: dict[tuple[str, str], set[str]] = {}
        self.used_moves: dict[tuple, set[str]] = {}
        self.passes: dict[tuple[int, int], list[tuple[str, set[str]]]] = {}

    def route(self, f: Flow) -> None:
        """The cheapest orthogonal way on the grid from a side of the source to a side of the target."""
        source, target = self.nodes[f.source], self.nodes[f.target]
        s_lane, t_lane = self.lane_index(source.box.cy), self.lane_index(target.box.cy)
        lo, hi = min(s_lane, t_lane), max(s_lane, t_lane)
        kin = {f.source, f.target, f.tail}
        xs, ys, xi, yi = self.xs, self.ys, self.xi, self.yi
        nx, ny = len(xs), len(ys)
        goals = {}
        for side, point, out, cost in self.ports(target, leaving=False):
            end = (xi[point[0] + out[0] * STUB], yi[point[1] + out[1] * STUB])
            goals[end] = (point, (-out[0], -out[1]), cost)

        def guess(ix: int, iy: int) -> int:
            return min(abs(xs[ix] - xs[g[0]]) + abs(ys[iy] - ys[g[1]]) for g in goals)

        heap, best, came, tie = [], {}, {}, itertools.count()
        for side, point, out, cost in self.ports(source, leaving=True):
            start = (xi[point[0] + out[0] * STUB], yi[point[1] + out[1] * STUB])
            state = (start, out)
            sharing = self.sides.get((source.id, side), set()) - {f.target}
            g = cost + STUB + (SHARED_SIDE if sharing else 0)  # branches leave by different sides
            if (side == "t" and target.box.cy > source.box.cy) or (side == "b" and target.box.cy < source.box.cy):
                g += AWAY  # a branch leaves on the side of its target
            best[state] = g
            came[state] = (None, point)
            heapq.heappush(heap, (g + guess(*start), g, next(tie), state))
        final = None
        while heap:
            _, g, _, state = heapq.heappop(heap)
            if g > best.get(state, math.inf):
                continue
            at, heading = state
            if at == "goal":
                final = state
                break
            if at in goals:
                end_point, inward, cost = goals[at]
                total = g + cost + STUB + (0 if heading == inward else BEND)
                goal = ("goal", inward)
                if total < best.get(goal, math.inf):
                    best[goal] = total
                    came[goal] = (state, end_point)
                    heapq.heappush(heap, (total, total, next(tie), goal))
            ix, iy = at
            turn_touch = sum(TOUCH for _, others in self.passes.get(at, ()) if not others & kin)
            for d in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                if d == (-heading[0], -heading[1]):
                    continue
                jx, jy = ix + d[0], iy + d[1]
                if not (0 <= jx < nx and 0 <= jy < ny) or not self.point_ok[jx][jy]:
                    continue
                if d[1] == 0:
                    if not self.right_ok[min(ix, jx)][iy]:
                        continue
                    if self.lane_at[iy] not in (s_lane, t_lane):
                        continue  # never along someone else's lane
                    step = abs(xs[jx] - xs[ix]) * (3 if d[0] < 0 and not f.back else 1)
                    step += LABEL if self.right_label[min(ix, jx)][iy] else 0
                else:
                    if not self.down_ok[ix][min(iy, jy)]:
                        continue
                    a, b = self.lane_at[iy], self.lane_at[jy]
                    if a != b and not (lo <= b <= hi and abs(t_lane - b) < abs(t_lane - a)):
                        continue  # between lanes only toward the target
                    step = abs(ys[jy] - ys[iy]) + (LABEL if self.down_label[ix][min(iy, jy)] else 0)
                cost = g + step
                if d != heading:
                    cost += BEND + turn_touch
                nxt = (jx, jy)
                owners = self.used_moves.get((min(at, nxt), max(at, nxt)))
                if owners and f.target not in owners:
                    cost += OVERLAP  # only flows into the same node share a line
                way = "h" if d[1] == 0 else "v"
                for other, others in self.passes.get(nxt, ()):
                    if other != way and not others & kin:
                        cost += TOUCH if other == "turn" else CROSS
                state2 = (nxt, d)
                if cost < best.get(state2, math.inf):
                    best[state2] = cost
                    came[state2] = (state, None)
                    heapq.heappush(heap, (cost + guess(jx, jy), cost, next(tie), state2))
        if final is None:
            raise LayoutError(f"no way found for flow {f.id}")
        cells = []
        state = came[final][0]
        start_point = None
        while state is not None:
            cells.append(state[0])
            prev, start_point = came[state]
            state = prev
        cells.reverse()
        f.cells = cells
        f.points = simplify([start_point] + [(xs[c[0]], ys[c[1]]) for c in cells] + [came[final][1]])
        self.occupy(f)

    def occupy(self, f: Flow) -> None:
        """Notes the grid moves, crossings and shape sides the flow's way takes, for the flows after it."""
        kin = {f.source, f.target, f.tail}
        for a, b in zip(f.cells, f.cells[1:]):
            self.used_moves.setdefault((min(a, b), max(a, b)), set()).add(f.target)
        points = [f.points[0]] + [(self.xs[c[0]], self.ys[c[1]]) for c in f.cells] + [f.points[-1]]
        for a, b, c in zip(points, points[1:], points[2:]):
            way = "h" if a[1] == b[1] == c[1] else "v" if a[0] == b[0] == c[0] else "turn"
            self.passes.setdefault((self.xi[b[0]], self.yi[b[1]]), []).append((way, kin))
        first = f.points[1]
        side = "r" if first[0] > f.points[0][0] else "b" if first[1] > f.points[0][1] else "t"
        self.sides.setdefault((f.source, side), set()).add(f.target)

    def route_all(self) -> None:
        """Routes every flow, short ones first; then each again with all the others in place."""
        self.grid()

        def length(f: Flow) -> int:
            a, b = self.nodes[f.tail].box, self.nodes[f.target].box
            return abs(a.cx - b.cx) + abs(a.cy - b.cy)

        flows = sorted(self.flows, key=lambda f: (f.back, self.nodes[f.tail].lane != self.nodes[f.target].lane,
                                                  length(f)))
        for f in flows:
            self.route(f)
        for f in flows:
            self.sides, self.used_moves, self.passes = {}, {}, {}
            for g in flows:
                if g is not f:
                    self.occupy(g)
            self.route(f)


def tracks(lo: float, hi: float, most: int = 7) -> list[int]:
    """Evenly spaced lines at least TRACK apart between lo and hi (at least the middle one, at most `most`)."""
    if hi <= lo:
        return [int((lo + hi) / 2)]
    count = min(most, max(1, int((hi - lo) // TRACK) + 1))
    if count == 1:
        return [int((lo + hi) / 2)]
    step = (hi - lo) / (count - 1)
    return [int(round(lo + i * step)) for i in range(count)]


def simplify(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for p in points:
        if out and p == out[-1]:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == p[0] or out[-2][1] == out[-1][1] == p[1]):
            out[-1] = p
        else:
            out.append(p)
    return out
