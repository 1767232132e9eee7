"""External audit checkpoints: every chain's head at one moment, pinned by a Merkle root outside the database.

A checkpoint lists, for every audit chain, the seq and hash of its newest event (its head), with the
Merkle root over those leaves (`merkle.py`), the time, the numbers of chains and events, how many
problems `audit verify` found when it was taken, and, when an audit key is configured, an HMAC-SHA256 of
the summary (root included) with that key. It is appended as one JSON line to the checkpoint file
(`checkpoint_file.py`); the summary (`summary_text`) is short enough to print, sign and file on paper.

Verifying against a checkpoint (`verify_against`) recomputes each chain from its first event up to the
checkpoint's seq and compares the hash reached with the checkpoint's leaf. Someone who rewrote history in
the database and recomputed every hash (and every instance's recorded head) still cannot reach the heads
the checkpoint recorded, so the rewrite shows; so does a chain cut shorter than it was, or deleted. The
root is recomputed from the file's own leaves, so a leaf edited in the file shows too, and the root
printed on paper (`--root`) pins the line itself.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import checkpoint_file, merkle
from .audit import cross_check, verify_all, verify_chain
from .clock import as_utc, parse_iso
from .errors import EngineError, NotFound
from .storage.models import AuditEvent

FORMAT = "approvals-checkpoint/1"


class NoCheckpoint(NotFound):
    """The checkpoint file, or the line asked for, is not there."""


class CheckpointMismatch(EngineError):
    """The database (or the checkpoint file) no longer matches a checkpoint."""

    code = "checkpoint_mismatch"

    def __init__(self, problems: list[CheckpointProblem]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


@dataclass(frozen=True)
class Checkpoint:
    """One line of the checkpoint file."""

    number: int
    at: datetime
    chains: int
    events: int
    root: str
    problems_when_taken: int
    mac: str | None
    leaves: tuple[merkle.Leaf, ...]

    def signed_text(self) -> str:
        """What the HMAC covers: everything but the leaves, which the root covers."""
        return "\n".join([FORMAT, str(self.number), _iso(self.at), str(self.chains), str(self.events), self.root,
                          str(self.problems_when_taken)])

    def to_line(self) -> bytes:
        body = {"format": FORMAT, "number": self.number, "at": _iso(self.at), "chains": self.chains,
                "events": self.events, "root": self.root, "problems_when_taken": self.problems_when_taken,
                "mac": self.mac, "leaves": [list(leaf) for leaf in self.leaves]}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_line(cls, line: bytes) -> Checkpoint:
        try:
            body = json.loads(line)
            if body.get("format") != FORMAT:
                raise ValueError(f"format {body.get('format')!r}, expected {FORMAT!r}")
            leaves = tuple((str(c), int(s), str(h)) for c, s, h in body["leaves"])
            return cls(int(body["number"]), parse_iso(body["at"]), int(body["chains"]), int(body["events"]),
                       str(body["root"]), int(body.get("problems_when_taken", 0)), body.get("mac"), leaves)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a checkpoint line: {exc}") from exc


@dataclass(frozen=True)
class CheckpointView:
    """A checkpoint's summary: what is printed, signed on paper and shown to auditors."""

    path: str
    line: int
    number: int
    at: datetime
    chains: int
    events: int
    root: str
    signed: bool
    problems_when_taken: int
    line_sha256: str

    @classmethod
    def of(cls, path: Path, line: int, checkpoint: Checkpoint, raw: bytes) -> CheckpointView:
        return cls(str(path), line, checkpoint.number, checkpoint.at, checkpoint.chains, checkpoint.events,
                   checkpoint.root, checkpoint.mac is not None, checkpoint.problems_when_taken,
                   hashlib.sha256(raw).hexdigest())


@dataclass(frozen=True)
class CheckpointProblem:
    """`kind`: missing, truncated, rewritten (a chain) or file (the checkpoint itself)."""

    kind: str
    chain: str | None
    detail: str

    def __str__(self) -> str:
        return f"chain {self.chain}: {self.detail}" if self.chain else f"checkpoint: {self.detail}"


@dataclass(frozen=True)
class CheckpointReport:
    """The database (and the file) checked against one checkpoint."""

    checkpoint: CheckpointView
    chains_checked: int
    new_chains: int
    problems: list[CheckpointProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# -- taking one ------------------------------------------------------------------------------------
def heads(session: Session) -> list[merkle.Leaf]:
    """Every chain's newest (seq, hash), read in one statement (one consistent snapshot), by chain id."""
    last = (select(AuditEvent.chain, func.max(AuditEvent.seq).label("seq"))
            .group_by(AuditEvent.chain).subquery())
    rows = session.execute(select(AuditEvent.chain, AuditEvent.seq, AuditEvent.hash)
                           .join(last, (AuditEvent.chain == last.c.chain) & (AuditEvent.seq == last.c.seq)))
    return sorted((chain, seq, digest) for chain, seq, digest in rows)


def sign(key: bytes | None, text: str) -> str | None:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest() if key is not None else None


def take(session: Session, now: datetime, key: bytes | None, number: int,
         leaves: list[merkle.Leaf] | None = None) -> Checkpoint:
    """A checkpoint of the chains as they are (and how many problems `audit verify` finds in them now)."""
    leaves = heads(session) if leaves is None else leaves
    _chains, broken = verify_all(session, None, key)
    problems = len(broken) + len(cross_check(session))
    unsigned = Checkpoint(number, as_utc(now), len(leaves), sum(seq for _c, seq, _h in leaves), merkle.root(leaves),
                          problems, None, tuple(leaves))
    return replace(unsigned, mac=sign(key, unsigned.signed_text()))


def write(session: Session, path: Path, now: datetime, key: bytes | None,
          unless_unchanged_within: timedelta | None = None) -> CheckpointView | None:
    """Append a checkpoint to the file. With `unless_unchanged_within` (the worker), nothing is written
    when the newest checkpoint has the same root, or is younger than that."""
    written: list[Checkpoint] = []

    def make(tail: checkpoint_file.Tail) -> bytes | None:
        previous = _parse_or_none(tail.last)
        leaves = heads(session)
        if unless_unchanged_within is not None and previous is not None:
            if previous.root == merkle.root(leaves) or previous.at + unless_unchanged_within > as_utc(now):
                return None
        # checkpoint n is on line n; after a damaged line the count of lines says which line this is
        number = previous.number + 1 if previous is not None and not tail.torn else tail.next_line_number()
        written.append(take(session, now, key, number, leaves))
        return written[0].to_line()

    try:
        line = checkpoint_file.append(path, make)
    except OSError as exc:
        raise EngineError(f"cannot write the checkpoint file {path}: {exc.strerror or exc}") from exc
    return CheckpointView.of(path, written[0].number, written[0], line) if line is not None else None


def _parse_or_none(line: bytes | None) -> Checkpoint | None:
    if not line:
        return None
    try:
        return Checkpoint.from_line(line)
    except ValueError:
        return None  # a damaged last line


# -- reading and verifying -------------------------------------------------------------------------
def load(path: Path, line: int | None = None) -> tuple[int, Checkpoint, bytes]:
    """(line number, checkpoint, raw line): line `line` of the file, or its last line."""
    try:
        number, raw = checkpoint_file.read(path, line)
    except (FileNotFoundError, LookupError) as exc:
        raise NoCheckpoint(str(exc)) from exc
    except OSError as exc:
        raise EngineError(f"cannot read the checkpoint file {path}: {exc.strerror or exc}") from exc
    try:
        return number, Checkpoint.from_line(raw), raw
    except ValueError as exc:
        raise EngineError(f"{path} line {number}: {exc}") from exc


_SUMMARIES: dict[tuple, CheckpointView] = {}
_SUMMARIES_LOCK = threading.Lock()


def summary(path: Path, line: int | None = None) -> CheckpointView | None:
    """A checkpoint's summary (the newest by default); None when the file holds none yet. Kept while the
    file's size and time are unchanged (the audit pages show it on every visit)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise EngineError(f"cannot read the checkpoint file {path}: {exc.strerror or exc}") from exc
    key = (str(path), line, stat.st_size, stat.st_mtime_ns)
    with _SUMMARIES_LOCK:
        if key in _SUMMARIES:
            return _SUMMARIES[key]
    try:
        number, checkpoint, raw = load(path, line)
    except NoCheckpoint:
        return None
    view = CheckpointView.of(path, number, checkpoint, raw)
    with _SUMMARIES_LOCK:
        _SUMMARIES.clear()
        _SUMMARIES[key] = view
    return view


def verify_against(session: Session, path: Path, key: bytes | None, line: int | None = None,
                   expected_root: str | None = None, chain: str | None = None) -> CheckpointReport:
    """Check the database against a checkpoint (and the checkpoint against itself); every chain, or one."""
    number, checkpoint, raw = load(path, line)
    problems = _file_problems(checkpoint, number, key, expected_root)
    leaves = {c: (s, h) for c, s, h in checkpoint.leaves if chain is None or c == chain}
    stmt = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)
    if chain is not None:
        stmt = stmt.where(AuditEvent.chain == chain)
    present: set[str] = set()
    new_chains = 0
    for name, events in groupby(session.scalars(stmt).yield_per(1000), key=lambda e: e.chain):
        if name not in leaves:
            new_chains += 1
            continue
        present.add(name)
        seq = leaves[name][0]
        upto, last = [], 0
        for event in events:
            last = event.seq
            if event.seq <= seq:
                upto.append(event)
        problems += _chain_problems(name, leaves[name], upto, last, key)
    for name in sorted(leaves.keys() - present):
        problems.append(CheckpointProblem("missing", name, f"the chain is gone (the checkpoint saw it at seq "
                                                            f"{leaves[name][0]})"))
    problems.sort(key=lambda p: (p.kind != "file", p.chain or ""))
    return CheckpointReport(CheckpointView.of(path, number, checkpoint, raw), len(leaves), new_chains, problems)


def _chain_problems(name: str, leaf: tuple[int, str], upto: list[AuditEvent], last: int,
                    key: bytes | None) -> list[CheckpointProblem]:
    """One chain's events up to the checkpoint's seq (`last`: the newest seq it has now) against its leaf."""
    seq, digest = leaf
    if last < seq:
        return [CheckpointProblem("truncated", name, f"the chain ends at seq {last} but held seq {seq} at the "
                                                     "checkpoint (events removed)")]
    broken = verify_chain(upto, key)
    if broken is not None:
        return [CheckpointProblem("rewritten", name, f"seq {broken.seq}: {broken.reason}")]
    if upto[-1].hash != digest:
        return [CheckpointProblem("rewritten", name, f"the event at seq {seq} is not the one the checkpoint saw "
                                                     "(history rewritten and rehashed)")]
    return []


def _file_problems(checkpoint: Checkpoint, line: int, key: bytes | None,
                   expected_root: str | None) -> list[CheckpointProblem]:
    problems = []
    names = [c for c, _s, _h in checkpoint.leaves]
    if names != sorted(set(names)):
        problems.append(CheckpointProblem("file", None, "its leaves are out of order or repeated"))
    if merkle.root(sorted(checkpoint.leaves)) != checkpoint.root:
        problems.append(CheckpointProblem("file", None, "its root does not match its leaves (the file was altered)"))
    if (checkpoint.chains, checkpoint.events) != (len(checkpoint.leaves), sum(s for _c, s, _h in checkpoint.leaves)):
        problems.append(CheckpointProblem("file", None, "its counts do not match its leaves (the file was altered)"))
    if checkpoint.number != line:
        problems.append(CheckpointProblem("file", None, f"line {line} holds checkpoint {checkpoint.number}: lines "
                                                        "were removed or added before it"))
    if expected_root is not None and _hex(expected_root) != checkpoint.root:
        problems.append(CheckpointProblem("file", None, "its root is not the root you gave (not the checkpoint "
                                                        "that was printed)"))
    if checkpoint.mac is not None:
        if key is None:
            problems.append(CheckpointProblem("file", None, "it is signed and no audit key is configured to check it"))
        elif not hmac.compare_digest(checkpoint.mac, sign(key, checkpoint.signed_text()) or ""):
            problems.append(CheckpointProblem("file", None, "its signature does not match (the file was altered, "
                                                            "or another key signed it)"))
    return problems


def _hex(text: str) -> str:
    return re.sub(r"[\s:]", "", text).lower()


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="microseconds")


# -- on paper --------------------------------------------------------------------------------------
def summary_text(view: CheckpointView) -> str:
    """A checkpoint's summary, to print, sign and keep apart from the machines."""
    root = " ".join(view.root[i:i + 8] for i in range(0, len(view.root), 8))
    trail = ("every chain verified when it was taken" if not view.problems_when_taken else
             f"{view.problems_when_taken} problem(s) found by `approvals audit verify` when it was taken")
    signed = "HMAC-SHA256 with the audit key" if view.signed else "not signed (no audit key configured)"
    return "\n".join([
        f"Approvals audit checkpoint {view.number}",
        f"  file         {view.path}, line {view.line}",
        f"  taken at     {as_utc(view.at).strftime('%Y-%m-%d %H:%M:%S')} UTC",
        f"  chains       {view.chains}",
        f"  events       {view.events}",
        f"  trail        {trail}",
        f"  root         {root}",
        f"  signature    {signed}",
        f"  line sha256  {view.line_sha256}",
        "",
        f"Check: approvals audit verify --against {view.path} --line {view.line} --root {view.root}",
        "",
        "Printed by ______________________   Date ____________   Signature ______________________",
    ])
