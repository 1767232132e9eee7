"""Which processes call which: the deploy check's guard against call activities that never end."""
from __future__ import annotations

from .specs import BPMN_NS, called_processes
from .xmlsafe import parse_xml

_B = f"{{{BPMN_NS}}}"


class CallGraph:
    """Which processes each process calls: the batch's, else the deployed newest version's."""

    def __init__(self, parsed, deployed_processes: dict[str, str]):
        self.calls: dict[str, set[str]] = {}
        for _source, root, kind in parsed:
            if kind == "bpmn":
                for process in root.iter(f"{_B}process"):
                    self.calls[process.get("id")] = called_processes(process)
        self.deployed = deployed_processes

    def callees(self, pid: str) -> set[str]:
        if pid not in self.calls:
            self.calls[pid] = set()
            xml = self.deployed.get(pid)
            root = parse_xml(xml.encode(), pid)[0] if xml else None
            for process in root.iter(f"{_B}process") if root is not None else ():
                if process.get("id") == pid:
                    self.calls[pid] = called_processes(process)
        return self.calls[pid]

    def path(self, start: str | None, goal: str | None) -> list[str] | None:
        """The shortest chain of calls start -> ... -> goal, or None."""
        if not start or not goal:
            return None
        previous: dict[str, str | None] = {start: None}
        queue = [start]
        while queue:
            current = queue.pop(0)
            if current == goal:
                chain = []
                while current is not None:
                    chain.append(current)
                    current = previous[current]
                return chain[::-1]
            for callee in sorted(self.callees(current)):
                if callee not in previous:
                    previous[callee] = current
                    queue.append(callee)
        return None
