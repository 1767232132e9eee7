"""The audit trail as auditors read it: an instance's chain, searches by process, request, person (login
or name), kind and time, verification of every chain, and the external checkpoints."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, func, or_, select

from . import checkpoint_file, checkpoint_schedule, checkpoints
from .audit import cross_check, instance_chain, verify_all
from .errors import NotFound
from .keyset import KeysetPage, read_page
from .storage.models import AuditEvent, ProcessInstance, User
from .views import AuditView


def _audit_filter(stmt: Select, process_id, instance_id, actor, kind, since, until) -> Select:
    for column, value in ((AuditEvent.process_id, process_id), (AuditEvent.instance_id, instance_id),
                          (AuditEvent.kind, kind)):
        if value not in (None, ""):
            stmt = stmt.where(column == value)
    if actor not in (None, ""):  # a login, or a person's name as people know them ("张伟")
        stmt = stmt.where(or_(AuditEvent.actor == actor,
                              AuditEvent.actor.in_(select(User.username).where(User.name == actor))))
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until)
    return stmt


class AuditReads:
    """Mixed into Engine; every method is one read-only session."""

    def audit_trail(self, instance_id: int) -> list[AuditView]:
        stmt = select(AuditEvent).where(AuditEvent.chain == instance_chain(instance_id)).order_by(AuditEvent.seq)
        with self.session() as s:
            return [AuditView.of(e) for e in s.scalars(stmt)]

    def search_audit(self, process_id: str | None = None, instance_id: int | None = None,
                     actor: str | None = None, kind: str | None = None, since: datetime | None = None,
                     until: datetime | None = None, limit: int = 1000) -> list[AuditView]:
        stmt = _audit_filter(select(AuditEvent), process_id, instance_id, actor, kind, since, until)
        with self.session() as s:
            return [AuditView.of(e) for e in s.scalars(stmt.order_by(AuditEvent.at, AuditEvent.id).limit(limit))]

    def audit_page(self, size: int, after: int | None = None, before: int | None = None,
                   process_id: str | None = None, instance_id: int | None = None, actor: str | None = None,
                   kind: str | None = None, since: datetime | None = None,
                   until: datetime | None = None) -> KeysetPage:
        """One keyset page of `search_audit`, oldest first, with the total and the page's place (`after` /
        `before`: the event id ending / starting the neighbouring page)."""
        stmt = _audit_filter(select(AuditEvent), process_id, instance_id, actor, kind, since, until)
        with self.session() as s:
            return read_page(s, stmt, AuditEvent.id, (AuditEvent.at, AuditEvent.id), size, after, before,
                             convert=AuditView.of)

    def audit_head(self, instance_id: int) -> tuple[int, str | None]:
        """(sequence number, hash) of the newest event of the request's chain, as its row records them: what
        a printed copy carries so that paper can be checked against the system."""
        with self.session() as s:
            found = s.execute(select(ProcessInstance.audit_seq, ProcessInstance.audit_hash)
                              .where(ProcessInstance.id == instance_id)).first()
            if found is None:
                raise NotFound(f"instance {instance_id} does not exist")
            return found.audit_seq or 0, found.audit_hash

    def verify_audit(self, instance_id: int | None = None):
        """(chains checked, broken links); one instance's chain, or every chain."""
        with self.session() as s:
            chains, broken = verify_all(s, instance_chain(instance_id) if instance_id else None, self.audit_key)
            return chains, broken + cross_check(s, instance_id)

    # -- external checkpoints (checkpoints.py) --------------------------------------------------
    def checkpoint_path(self) -> Path:
        """The checkpoint file: APPROVALS_CHECKPOINT_FILE, else beside the SQLite file or in the instance folder."""
        return checkpoint_file.default_path(self.sa_engine.url.render_as_string(hide_password=True))

    def write_checkpoint(self, path: Path | None = None) -> checkpoints.CheckpointView:
        """Append a checkpoint of every chain's head to the checkpoint file."""
        with self.session() as s:
            return checkpoints.write(s, path or self.checkpoint_path(), self.now(), self.audit_key)

    def checkpoint_if_due(self) -> checkpoints.CheckpointView | None:
        """The worker's round: a checkpoint when APPROVALS_CHECKPOINT_EVERY has passed and the trail changed."""
        return checkpoint_schedule.write_if_due(self.session, self.checkpoint_path(), self.now(), self.audit_key)

    def latest_checkpoint(self, path: Path | None = None, line: int | None = None) -> checkpoints.CheckpointView | None:
        """A checkpoint's summary (the newest by default), or None when there is none yet."""
        return checkpoints.summary(path or self.checkpoint_path(), line)

    def verify_checkpoint(self, path: Path | None = None, line: int | None = None, root: str | None = None,
                          instance_id: int | None = None) -> checkpoints.CheckpointReport:
        """The trail (every chain, or one instance's) against a checkpoint: rewritten, cut or deleted chains."""
        with self.session() as s:
            return checkpoints.verify_against(s, path or self.checkpoint_path(), self.audit_key, line, root,
                                              instance_chain(instance_id) if instance_id else None)
