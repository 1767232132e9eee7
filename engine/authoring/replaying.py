"""Replay before deploy, as a verb: a draft's new version against the recorded history of the requests of
the newest deployed version (engine.authoring.replay does one request). Reads only; writes nothing."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..audit import instance_chain
from ..clock import as_utc
from ..storage.models import AuditEvent, HumanTask, ProcessDraft, ProcessInstance, get_row
from .replay import DIFFERENT, SAME, STUCK, Recorded, ReplayOutcome, replay
from ..views import InstanceView
from .specs import SourceFile, dependencies_for, latest_definitions, prepared_specs

REPLAY_LIMIT = 200        # the newest requests of the version
REPLAY_SECONDS = 20.0     # a page waits no longer; the rest are counted as not replayed


@dataclass(frozen=True)
class RequestReplay:
    """One request of the deployed version and what the draft's version would have done with it."""

    instance: InstanceView
    outcome: ReplayOutcome

    @property
    def instance_id(self) -> int:
        return self.instance.id


@dataclass(frozen=True)
class ReplayReport:
    process_id: str
    version: int | None                   # the deployed version whose requests were replayed
    requests: list[RequestReplay] = field(default_factory=list)
    not_replayed: int = 0                 # beyond the limit or the time budget

    def count(self, verdict: str) -> int:
        return sum(1 for r in self.requests if r.outcome.verdict == verdict)

    @property
    def counts(self) -> dict[str, int]:
        return {v: self.count(v) for v in (SAME, DIFFERENT, STUCK)}

    def on_diagram(self) -> dict[str, dict[str, int]]:
        """Element id -> {verdict: requests}: where replays part from their recorded path (the new
        version's element) or get stuck."""
        marks: dict[str, dict[str, int]] = {}
        for r in self.requests:
            o = r.outcome
            element = (o.now.bpmn_id if o.now else o.was.bpmn_id if o.was else None) if o.verdict == DIFFERENT \
                else o.element if o.verdict == STUCK else None
            if element:
                marks.setdefault(element, {}).setdefault(o.verdict, 0)
                marks[element][o.verdict] += 1
        return marks


class ReplayVerbs:
    """Mixed into Engine; relies on its `session`, `specs`, `_require_owner` and `_checked_batch`."""

    def replay_draft(self, draft_id: int, user: str, limit: int = REPLAY_LIMIT,
                     seconds: float = REPLAY_SECONDS) -> ReplayReport:
        """Replay the recorded inputs of the newest deployed version's requests (running and ended, newest
        first, at most `limit`, within `seconds`) through the draft; SpecInvalid when the draft does not pass
        the deploy check."""
        deadline = time.monotonic() + seconds
        with self.session() as s:
            self._require_owner(s, user)
            draft = get_row(s, ProcessDraft, draft_id)
            self._checked_batch(s, [SourceFile(draft.filename, draft.xml.encode("utf-8"))])  # SpecInvalid
            process_id = draft.process_id
            latest = latest_definitions(s)
            deployed = latest.get(process_id)
            if deployed is None:
                return ReplayReport(process_id, None)
            needed = set(dependencies_for(s, deployed, self.specs, latest))
            spec, subprocess_specs = prepared_specs(
                [(d.kind, d.filename, d.xml) for d in latest.values() if d.id in needed]
                + [("bpmn", draft.filename, draft.xml)], process_id)
            of_version = ProcessInstance.definition_id == deployed.id
            total = s.scalar(select(func.count()).select_from(ProcessInstance).where(of_version)) or 0
            instances = list(s.scalars(select(ProcessInstance).where(of_version)
                                       .order_by(ProcessInstance.id.desc()).limit(limit)))
            waiting: dict[int, set[str]] = {}
            for instance_id, bpmn_id in s.execute(select(HumanTask.instance_id, HumanTask.bpmn_id).where(
                    HumanTask.instance_id.in_([i.id for i in instances]), HumanTask.status == "open")):
                waiting.setdefault(instance_id, set()).add(bpmn_id)
            done: list[RequestReplay] = []
            now = self.now()
            for instance in instances:
                if time.monotonic() > deadline:
                    break
                trail = [Recorded(e.kind, e.at, e.actor, e.bpmn_id, dict(e.data or {})) for e in s.scalars(
                    select(AuditEvent).where(AuditEvent.instance_id == instance.id,
                                             AuditEvent.chain == instance_chain(instance.id))
                    .order_by(AuditEvent.seq))]
                outcome = replay(spec, subprocess_specs, trail, instance.id, instance.status == "completed", now,
                                 frozenset(waiting.get(instance.id, ())), _pending(instance, now))
                done.append(RequestReplay(InstanceView.of(instance), outcome))
            return ReplayReport(process_id, deployed.version, done, total - len(done))


def _pending(instance: ProcessInstance, now) -> bool:
    """The request's next steps wait for the worker (a step budget ran out, or a timer is due)."""
    due = instance.next_timer_at
    return instance.status == "running" and due is not None and as_utc(due) <= now
