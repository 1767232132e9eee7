"""Append-only audit events, hash-chained per instance (and one `system` chain for deployments)."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from .clock import as_utc
from .storage.models import AuditEvent

GENESIS = "0" * 64
SYSTEM_CHAIN = "system"


def instance_chain(instance_id: int) -> str:
    return f"instance:{instance_id}"


HASHED = ("chain", "seq", "instance_id", "definition_id", "process_id", "task_guid", "bpmn_id", "kind", "actor",
          "at", "data")


def canonical(fields: dict[str, Any]) -> str:
    """An event's content as canonical JSON: what its hash covers."""
    content = {k: fields[k] for k in HASHED}
    content["at"] = as_utc(fields["at"]).isoformat(timespec="microseconds")
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def compute_hash(prev_hash: str, fields: dict[str, Any], key: bytes | None = None) -> str:
    """sha256 over the previous hash and the row; an HMAC with the operator's key when the row is keyed."""
    message = (prev_hash + canonical(fields)).encode("utf-8")
    if key is not None:
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def audit_key() -> bytes | None:
    """The key that signs new audit rows: the file named by APPROVALS_AUDIT_KEY_FILE (kept outside the
    database, by the operator), else APPROVALS_AUDIT_KEY; None when neither is set."""
    path = os.environ.get("APPROVALS_AUDIT_KEY_FILE")
    if path:
        return Path(path).read_bytes().strip() or None
    value = os.environ.get("APPROVALS_AUDIT_KEY")
    return value.encode("utf-8") if value else None


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {k: getattr(event, k) for k in HASHED}


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # Store exactly what the hash covers: a JSON round trip fixes dates and tuples to their text form.
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


class AuditLog:
    """Collects a unit of work's events; `write` inserts them in the caller's transaction."""

    def __init__(self, session: Session, key: bytes | None = None):
        self.session = session
        self.key = key
        self._heads: dict[str, tuple[int, str]] = {}
        self._pending: list[dict[str, Any]] = []

    def seed(self, chain: str, seq: int, last_hash: str | None) -> None:
        """Tell the log a chain's head when the caller already knows it (saves a query)."""
        self._heads.setdefault(chain, (seq, last_hash or GENESIS))

    def _head(self, chain: str) -> tuple[int, str]:
        if chain not in self._heads:
            last = self.session.execute(
                select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == chain)
                .order_by(AuditEvent.seq.desc()).limit(1)).first()
            self._heads[chain] = (last.seq, last.hash) if last else (0, GENESIS)
        return self._heads[chain]

    def append(self, *, kind: str, actor: str, at: datetime, chain: str, instance_id: int | None = None,
               definition_id: int | None = None, process_id: str | None = None, task_guid: str | None = None,
               bpmn_id: str | None = None, data: dict[str, Any] | None = None) -> tuple[int, str]:
        """Queue one event at the head of its chain; returns its (seq, hash)."""
        seq, prev = self._head(chain)
        row = dict(chain=chain, seq=seq + 1, instance_id=instance_id, definition_id=definition_id,
                   process_id=process_id, task_guid=task_guid, bpmn_id=bpmn_id, kind=kind, actor=actor,
                   at=as_utc(at), data=_jsonable(data or {}), prev_hash=prev, keyed=self.key is not None)
        row["hash"] = compute_hash(prev, row, self.key)
        self._pending.append(row)
        self._heads[chain] = (row["seq"], row["hash"])
        return row["seq"], row["hash"]

    def write(self) -> None:
        """Insert the queued events (one statement); the unit of work commits them with the state."""
        if self._pending:
            # the table on the connection, not the ORM entity: a plain multi-row INSERT, no unit-of-work pass
            # for rows that are never read back in this transaction
            self.session.connection().execute(insert(AuditEvent.__table__), self._pending)
            self._pending = []


@dataclass(frozen=True)
class BrokenLink:
    """The first place a chain stops verifying."""

    chain: str
    seq: int
    event_id: int
    reason: str

    def __str__(self) -> str:
        return f"chain {self.chain} broken at seq {self.seq} (event {self.event_id}): {self.reason}"


def verify_chain(events: list[AuditEvent], key: bytes | None = None) -> BrokenLink | None:
    """Recompute one chain's hashes in order; the first broken link, or None when it verifies. Keyed rows
    need the key: without it they are reported, never passed on trust."""
    prev, expected_seq = GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            return BrokenLink(event.chain, event.seq, event.id, f"expected seq {expected_seq} (a row is missing)")
        if event.prev_hash != prev:
            return BrokenLink(event.chain, event.seq, event.id, "prev_hash does not match the previous row")
        if event.keyed and key is None:
            return BrokenLink(event.chain, event.seq, event.id, "the row is keyed and no audit key is configured")
        if compute_hash(prev, _fields(event), key if event.keyed else None) != event.hash:
            return BrokenLink(event.chain, event.seq, event.id, "content does not match its hash (row edited)")
        prev, expected_seq = event.hash, expected_seq + 1
    return None


def verify_all(session: Session, chain: str | None = None, key: bytes | None = None) -> tuple[int, list[BrokenLink]]:
    """Verify every chain (or one); returns (chains checked, first broken link of each broken chain)."""
    stmt = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)
    if chain:
        stmt = stmt.where(AuditEvent.chain == chain)
    broken: list[BrokenLink] = []
    chains = 0
    current: list[AuditEvent] = []
    for event in session.scalars(stmt).yield_per(1000):
        if current and current[0].chain != event.chain:
            chains += 1
            if (link := verify_chain(current, key)) is not None:
                broken.append(link)
            current = []
        current.append(event)
    if current:
        chains += 1
        if (link := verify_chain(current, key)) is not None:
            broken.append(link)
    return chains, broken


# what closes an inbox row as done: a step completed, a side task answered (engine.staples.side_tasks)
COMPLETIONS = ("completed", "opinion_given", "countersigned", "reworked")


def cross_check(session: Session, instance_id: int | None = None) -> list[BrokenLink]:
    """What the hashes alone cannot see: a chain cut short or deleted with its instance, an inbox row
    whose completer the chain never recorded, a deployed definition whose bytes changed since."""
    from .storage.models import HumanTask, ProcessDefinition, ProcessInstance

    problems: list[BrokenLink] = []
    last = select(AuditEvent.chain, func.max(AuditEvent.seq).label("seq")).group_by(AuditEvent.chain)
    if instance_id is not None:
        last = last.where(AuditEvent.chain == instance_chain(instance_id))
    last = last.subquery()
    heads = {chain: (seq, digest, event_id) for chain, seq, digest, event_id in session.execute(
        select(AuditEvent.chain, AuditEvent.seq, AuditEvent.hash, AuditEvent.id)
        .join(last, (AuditEvent.chain == last.c.chain) & (AuditEvent.seq == last.c.seq)))}
    instances = select(ProcessInstance.id, ProcessInstance.audit_seq, ProcessInstance.audit_hash)
    if instance_id is not None:
        instances = instances.where(ProcessInstance.id == instance_id)
    known = set()
    for iid, seq, digest in session.execute(instances):
        chain = instance_chain(iid)
        known.add(chain)
        head = heads.get(chain)
        if head is None:
            problems.append(BrokenLink(chain, 0, 0, "the instance has no audit chain (deleted)"))
        elif (head[0], head[1]) != (seq or 0, digest):
            problems.append(BrokenLink(chain, head[0], head[2], f"the chain ends at seq {head[0]} but the instance "
                                                               f"recorded seq {seq} (rows removed or added)"))
    if instance_id is None:
        for chain in sorted(c for c in heads if c.startswith("instance:") and c not in known):
            problems.append(BrokenLink(chain, heads[chain][0], heads[chain][2], "the chain's instance was deleted"))
    completed = select(HumanTask.instance_id, HumanTask.task_guid, HumanTask.completed_by).where(
        HumanTask.status == "completed", HumanTask.completed_by.is_not(None))
    if instance_id is not None:
        completed = completed.where(HumanTask.instance_id == instance_id)
    recorded = {(e.chain, e.task_guid, e.actor) for e in session.execute(
        select(AuditEvent.chain, AuditEvent.task_guid, AuditEvent.actor).where(AuditEvent.kind.in_(COMPLETIONS)))}
    for iid, guid, who in session.execute(completed):
        if (instance_chain(iid), guid, who) not in recorded:
            problems.append(BrokenLink(instance_chain(iid), 0, 0, f"task {guid} shows completed by {who}, "
                                                                 "which the chain never recorded"))
    if instance_id is None:
        deployed = {e.definition_id: e for e in session.scalars(
            select(AuditEvent).where(AuditEvent.chain == SYSTEM_CHAIN, AuditEvent.kind == "deployed"))}
        for definition in session.scalars(select(ProcessDefinition)):
            event = deployed.get(definition.id)
            actual = hashlib.sha256(definition.xml.encode("utf-8")).hexdigest()
            if event is None:
                problems.append(BrokenLink(SYSTEM_CHAIN, 0, 0, f"definition {definition.process_id} version "
                                                              f"{definition.version} has no deployment record"))
            elif actual != event.data.get("sha256"):
                problems.append(BrokenLink(SYSTEM_CHAIN, event.seq, event.id, f"definition {definition.process_id} "
                                           f"version {definition.version} changed since it was deployed"))
    return problems
