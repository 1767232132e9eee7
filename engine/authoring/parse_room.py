"""Room for SpiffWorkflow's parser on diagrams with long paths: bounded, and only where needed.

SpiffWorkflow parses a process by following its sequence flows recursively: parsing an element parses
the element after it before returning, so a path of n elements nests about 2n Python calls (its task
parser and process parser take turns; boundary events and embedded subprocesses add a few more), and a
5,000-task chain passes CPython's default limit of 1,000 frames at around its 480th task. The engine does
not change that parser; it gives it room:

- a diagram whose flow elements fit well within the recursion limit left to the caller is parsed where it
  is, as before (every diagram of the company's procedures);
- a larger one is parsed in a thread of its own with a stack sized for it (`stack_bytes`), while the
  interpreter's recursion limit is raised to what the element count needs (`FRAMES_PER_ELEMENT` per flow
  element plus `HEADROOM`). The limit is one per interpreter in CPython: it is raised only while such a
  parse runs, never lowered below what another one running at the same time needs, and put back when the
  last one ends. While it is raised, a runaway recursion in another thread is stopped later than usual,
  and nothing else changes;
- a file of more than `MAX_FLOW_ELEMENTS` flow elements is refused by the deploy check (`too_large`), so
  neither the limit nor the stack ever grows without bound.
"""
from __future__ import annotations

import contextvars
import sys
import threading
from typing import Callable, Iterable, TypeVar

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FRAMES_PER_ELEMENT = 6      # measured: 2 per element of a plain chain (CPython 3.11); 3x for nesting and events
HEADROOM = 1_000            # the parser's own calls below the path (lxml, xpath, validation)
MAX_FLOW_ELEMENTS = 50_000  # a file with more is refused by the deploy check
CALLER_MARGIN = 200         # frames kept free under the caller when parsing in place
MIN_STACK = 64 * 1024 * 1024
MAX_STACK = 512 * 1024 * 1024
STACK_PER_ELEMENT = 8 * 1024  # bytes; far more than measured (a Python call nests on the heap in 3.11+)

_BPMN = f"{{{BPMN_NS}}}"
_ACTIVITIES = frozenset({"task", "subProcess", "callActivity", "transaction", "adHocSubProcess"})
T = TypeVar("T")


class TooLarge(ValueError):
    """More flow elements than the engine parses."""


def flow_elements(roots: Iterable[etree._Element]) -> int:
    """How many flow elements (activities, events, gateways) the BPMN documents hold in all: the longest
    path SpiffWorkflow can follow while parsing them is no longer."""
    count = 0
    for root in roots:
        for element in root.iter():
            tag = element.tag
            if isinstance(tag, str) and tag.startswith(_BPMN):
                local = tag[len(_BPMN):]
                if local in _ACTIVITIES or local.endswith(("Task", "Event", "Gateway")):
                    count += 1
    return count


def frames_needed(elements: int) -> int:
    return elements * FRAMES_PER_ELEMENT + HEADROOM


def stack_bytes(elements: int) -> int:
    return min(MAX_STACK, max(MIN_STACK, elements * STACK_PER_ELEMENT))


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


class _RaisedLimit:
    """The interpreter's recursion limit, raised while at least one deep parse runs."""

    def __init__(self):
        self._lock = threading.Lock()
        self._needs: list[int] = []
        self._saved: int | None = None

    def enter(self, frames: int) -> None:
        with self._lock:
            if not self._needs:
                self._saved = sys.getrecursionlimit()
            self._needs.append(frames)
            sys.setrecursionlimit(max(self._saved, *self._needs))

    def leave(self, frames: int) -> None:
        with self._lock:
            self._needs.remove(frames)
            sys.setrecursionlimit(max(self._saved, *self._needs) if self._needs else self._saved)
            if not self._needs:
                self._saved = None


_LIMIT = _RaisedLimit()
_STACK_SIZE = threading.Lock()  # threading.stack_size is process-wide too: set, start, put back


def with_room(parse: Callable[[], T], elements: int) -> T:
    """`parse()`, in place when `elements` flow elements fit under the current recursion limit, else in a
    thread with a stack and a recursion limit sized for them. Its result is returned and its exception
    raised here, as if it had run in place."""
    if elements > MAX_FLOW_ELEMENTS:
        raise TooLarge(f"{elements:,} flow elements; at most {MAX_FLOW_ELEMENTS:,} are supported")
    if elements * FRAMES_PER_ELEMENT + CALLER_MARGIN + _depth() < sys.getrecursionlimit():
        return parse()
    frames = frames_needed(elements)
    context = contextvars.copy_context()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = context.run(parse)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            outcome["error"] = exc

    _LIMIT.enter(frames)
    try:
        with _STACK_SIZE:
            previous = threading.stack_size(stack_bytes(elements))
            try:
                thread = threading.Thread(target=run, name="approvals-parse", daemon=True)
                thread.start()
            finally:
                threading.stack_size(previous)
        thread.join()
    finally:
        _LIMIT.leave(frames)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
