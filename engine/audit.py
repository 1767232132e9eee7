"""Append-only audit events, hash-chained per instance (and one `system` chain for deployments)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
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


def compute_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode("utf-8")).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {k: getattr(event, k) for k in HASHED}


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # Store exactly what the hash covers: a JSON round trip fixes dates and tuples to their text form.
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


class AuditLog:
    """Collects a unit of work's events; `write` inserts them in the caller's transaction."""

    def __init__(self, session: Session):
        self.session = session
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
                   at=as_utc(at), data=_jsonable(data or {}), prev_hash=prev)
        row["hash"] = compute_hash(prev, row)
        self._pending.append(row)
        self._heads[chain] = (row["seq"], row["hash"])
        return row["seq"], row["hash"]

    def write(self) -> None:
        """Insert the queued events (one statement); the unit of work commits them with the state."""
        if self._pending:
            self.session.execute(insert(AuditEvent), self._pending)
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


def verify_chain(events: list[AuditEvent]) -> BrokenLink | None:
    """Recompute one chain's hashes in order; the first broken link, or None when it verifies."""
    prev, expected_seq = GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            return BrokenLink(event.chain, event.seq, event.id, f"expected seq {expected_seq} (a row is missing)")
        if event.prev_hash != prev:
            return BrokenLink(event.chain, event.seq, event.id, "prev_hash does not match the previous row")
        if compute_hash(prev, _fields(event)) != event.hash:
            return BrokenLink(event.chain, event.seq, event.id, "content does not match its hash (row edited)")
        prev, expected_seq = event.hash, expected_seq + 1
    return None


def verify_all(session: Session, chain: str | None = None) -> tuple[int, list[BrokenLink]]:
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
            if (link := verify_chain(current)) is not None:
                broken.append(link)
            current = []
        current.append(event)
    if current:
        chains += 1
        if (link := verify_chain(current)) is not None:
            broken.append(link)
    return chains, broken
