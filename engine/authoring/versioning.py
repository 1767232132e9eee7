"""Versions while instances run: preview a deployment in plain words, move instances to a new version."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import defer
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from ..runtime import runner
from ..storage import serialization
from .changes import Change, describe_changes, describe_form_changes
from .decision_tables import RuleChange, describe_decision_changes
from .forms import referenced_forms
from ..directory import SYSTEM_USER
from ..errors import Conflict, NotAllowed, NotFound, SpecInvalid
from ..storage.models import HumanTask, ProcessDefinition, ProcessDraft, ProcessInstance, get_row
from .specs import (SourceFile, dependencies_for, deployed_forms, executable_processes, latest_definitions,
                    source_identity)
from ..views import DefinitionView
from .parse_room import with_room
from .xmlsafe import parse_xml

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass(frozen=True)
class FilePreview:
    """What deploying one file would do."""

    filename: str
    process_id: str
    next_version: int
    unchanged: bool
    changes: list[Change] = field(default_factory=list)
    running: dict[int, int] = field(default_factory=dict)           # version -> running instances
    waiting_at: dict[str, int] = field(default_factory=dict)        # element id -> instances waiting there
    decision_changes: list[RuleChange] = field(default_factory=list)  # a DMN file: rules and results


@dataclass(frozen=True)
class DraftView:
    id: int
    process_id: str
    filename: str
    base_version: int | None
    saved_by: str
    saved_at: datetime
    name: str = ""
    revision: int = 1


@dataclass(frozen=True)
class VersionStats:
    """One deployed version with how many of its instances run and have finished."""

    definition: DefinitionView
    running: int
    finished: int


@dataclass(frozen=True)
class MigrationCheck:
    """Whether one instance can move; `code` says why in a stable word: can_move, task_removed,
    subprocess_missing, subprocess_task_removed or conflict; `names` are the tasks concerned."""

    instance_id: int
    from_version: int
    to_version: int
    can_move: bool
    reason: str
    moved: bool = False
    code: str = "can_move"
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Refusal:
    code: str
    names: tuple[str, ...]
    text: str


class VersionVerbs:
    """Mixed into Engine; relies on its `_unit`, `_groups`, `session` and `specs`."""

    def _require_owner(self, session, user: str) -> None:
        if user != SYSTEM_USER and "process_owner" not in self._groups(session, user):
            raise NotAllowed(f"{user} may not change process definitions (needs group process_owner)", "not_owner")

    # -- drafts ---------------------------------------------------------------------------------
    def save_draft(self, process_id: str, filename: str, xml: str, user: str,
                   base_version: int | None = None, draft_id: int | None = None, name: str | None = None,
                   revision: int | None = None) -> DraftView:
        """Keep a diagram being edited; the XML must at least be safe, well-formed XML. Saving an existing
        draft with the `revision` it was opened at refuses (Conflict `draft_changed`) when someone saved it
        since, so one owner never overwrites another's work unknowingly."""
        root, problems = parse_xml(xml.encode("utf-8"), filename)
        if root is None:
            raise SpecInvalid(problems)

        def work(unit) -> DraftView:
            self._require_owner(unit.session, user)
            draft = unit.session.get(ProcessDraft, draft_id) if draft_id else None
            if draft_id and draft is None:
                raise NotFound(f"draft {draft_id} does not exist")
            if draft is None:
                draft = ProcessDraft(process_id=process_id, filename=filename, base_version=base_version,
                                     name=_draft_name(name), revision=0)
                unit.session.add(draft)
            else:
                _require_revision(draft, revision)
                if name is not None:
                    draft.name = _draft_name(name)
            draft.xml, draft.saved_by, draft.saved_at = xml, user, unit.now
            draft.revision += 1
            unit.session.flush()
            return _draft_view(draft)
        return self._unit(user, work)

    def rename_draft(self, draft_id: int, user: str, name: str, revision: int | None = None) -> DraftView:
        """Give a draft a name people recognise it by ("提前期改为两天")."""
        def work(unit) -> DraftView:
            self._require_owner(unit.session, user)
            draft = get_row(unit.session, ProcessDraft, draft_id)
            _require_revision(draft, revision)
            draft.name = _draft_name(name)
            draft.revision += 1
            unit.session.flush()
            return _draft_view(draft)
        return self._unit(user, work)

    def draft(self, draft_id: int) -> DraftView:
        with self.session() as s:
            draft = get_row(s, ProcessDraft, draft_id)
            return _draft_view(draft)

    def deploy_draft(self, draft_id: int, user: str) -> list[DefinitionView]:
        """Check and deploy a draft and remove it, in one transaction (nothing happens on any problem)."""
        def work(unit) -> list[DefinitionView]:
            draft = get_row(unit.session, ProcessDraft, draft_id)
            deployed = self._deploy(unit, [SourceFile(draft.filename, draft.xml.encode("utf-8"))], user)
            if deployed:
                unit.session.delete(draft)
            return deployed
        return self._unit(user, work)

    def drafts(self, process_id: str | None = None) -> list[DraftView]:
        stmt = select(ProcessDraft).order_by(ProcessDraft.saved_at.desc())
        if process_id:
            stmt = stmt.where(ProcessDraft.process_id == process_id)
        with self.session() as s:
            return [_draft_view(d) for d in s.scalars(stmt)]

    def draft_xml(self, draft_id: int) -> str:
        with self.session() as s:
            draft = get_row(s, ProcessDraft, draft_id)
            return draft.xml

    def discard_draft(self, draft_id: int, user: str) -> None:
        def work(unit) -> None:
            self._require_owner(unit.session, user)
            draft = get_row(unit.session, ProcessDraft, draft_id)
            unit.session.delete(draft)
        self._unit(user, work)

    def version_stats(self, process_id: str | None = None) -> list[VersionStats]:
        """Every deployed version with its running and finished instance counts."""
        running = ProcessInstance.status.in_(("running", "error"))
        counts = (select(ProcessInstance.definition_id,
                         func.sum(case((running, 1), else_=0)).label("running"),
                         func.sum(case((running, 0), else_=1)).label("finished"))
                  .group_by(ProcessInstance.definition_id).subquery())
        stmt = (select(ProcessDefinition, counts.c.running, counts.c.finished)
                .options(defer(ProcessDefinition.xml))
                .outerjoin(counts, counts.c.definition_id == ProcessDefinition.id)
                .order_by(ProcessDefinition.process_id, ProcessDefinition.version.desc()))
        if process_id:
            stmt = stmt.where(ProcessDefinition.process_id == process_id)
        with self.session() as s:
            return [VersionStats(DefinitionView.of(d), int(r or 0), int(f or 0)) for d, r, f in s.execute(stmt)]

    def preview_deploy(self, sources: list[SourceFile], user: str = SYSTEM_USER) -> list[FilePreview]:
        """Check the files and describe, per file, the change against the newest deployed version."""
        with self.session() as s:
            self._require_owner(s, user)
            batch, latest = self._checked_batch(s, sources)
            previews = []
            for source, root, kind in batch.parsed:
                if kind != "bpmn":
                    previews += self._decision_preview(s, source, root, latest)
                    continue
                pid = executable_processes(root)[0].get("id")
                old = latest.get(pid)
                text = source.data.decode("utf-8")
                forms = {f: self.forms.file_text(f) for f in referenced_forms(root)}
                old_forms = deployed_forms(s, old.id) if old else {}
                changes = describe_changes(old.xml, text) + describe_form_changes(old_forms, forms) if old else []
                previews.append(FilePreview(
                    source.filename, pid, (old.version + 1) if old else 1,
                    old is not None and old.sha256 == source.sha256 and old_forms == forms, changes,
                    self._running_by_version(s, pid), self._waiting_at(s, pid)))
            return previews

    def _decision_preview(self, s, source: SourceFile, root, latest) -> list[FilePreview]:
        pid = source_identity(root)[0]
        old = latest.get(pid)
        changes = describe_decision_changes(get_row(s, ProcessDefinition, old.id).xml,
                                            source.data.decode("utf-8")) if old else []
        return [FilePreview(source.filename, pid, (old.version + 1) if old else 1,
                            old is not None and old.sha256 == source.sha256, decision_changes=changes)]

    def _running_by_version(self, s, process_id: str) -> dict[int, int]:
        rows = s.execute(select(ProcessInstance.definition_version, func.count())
                         .where(ProcessInstance.process_id == process_id,
                                ProcessInstance.status.in_(("running", "error")))
                         .group_by(ProcessInstance.definition_version)).all()
        return {v: n for v, n in rows}

    def _waiting_at(self, s, process_id: str) -> dict[str, int]:
        rows = s.execute(select(HumanTask.bpmn_id, func.count(func.distinct(HumanTask.instance_id)))
                         .where(HumanTask.process_id == process_id, HumanTask.status == "open")
                         .group_by(HumanTask.bpmn_id)).all()
        return {b: n for b, n in rows}

    def migrate(self, process_id: str, user: str, dry_run: bool = True,
                instance_ids: list[int] | None = None) -> list[MigrationCheck]:
        """Move running instances to the newest version: a dry run first says, per instance, if and why not."""
        with self.session() as s:
            self._require_owner(s, user)
            newest = latest_definitions(s, "bpmn").get(process_id)
            if newest is None:
                raise NotFound(f"no deployed process {process_id!r}")
            stmt = select(ProcessInstance.id).where(ProcessInstance.process_id == process_id,
                                                    ProcessInstance.status.in_(("running", "error")),
                                                    ProcessInstance.definition_id != newest.id)
            if instance_ids:
                stmt = stmt.where(ProcessInstance.id.in_(instance_ids))
            ids = list(s.scalars(stmt.order_by(ProcessInstance.id)))
            target_id = newest.id
        return [self._migrate_one(i, target_id, user, dry_run) for i in ids]

    def _migrate_one(self, instance_id: int, to_id: int, user: str, dry_run: bool) -> MigrationCheck:
        def work(unit) -> MigrationCheck:
            s = unit.session
            instance = unit.lock_instance(instance_id)
            target = s.get(ProcessDefinition, to_id)
            workflow = unit.load(instance)
            deps = dependencies_for(s, target, unit.specs)
            spec, subprocess_specs = unit.specs.get(s, target.id, deps)
            top_diff, sub_diffs = _diff(workflow, spec, subprocess_specs)
            refused = _refusal(workflow, top_diff, sub_diffs)
            check = MigrationCheck(
                instance_id, instance.definition_version, target.version, refused is None,
                refused.text if refused else "can move: every task in progress exists in the new version",
                code=refused.code if refused else "can_move", names=refused.names if refused else ())
            if dry_run or refused:
                if not dry_run:
                    unit.record(instance, "migration_refused", data={"to_version": target.version,
                                                                     "reason": refused.text})
                return check
            migrate_workflow(top_diff, workflow, spec)
            for sp_id, sp_diff in sub_diffs.items():
                sub = workflow.subprocesses[sp_id]
                migrate_workflow(sp_diff, sub, subprocess_specs[sub.spec.name])
            workflow.subprocess_specs = subprocess_specs
            unit.record(instance, "migrated", data={"from_version": instance.definition_version,
                                                     "to_version": target.version})
            instance.definition_id, instance.definition_version, instance.dependency_ids = target.id, target.version, deps
            unit.save(instance, workflow, runner.run(workflow, unit.now))
            return replace(check, moved=True)
        try:
            return self._unit(user, work)
        except Conflict as exc:
            return MigrationCheck(instance_id, 0, 0, False, str(exc), code="conflict")

    def upgrade_in_place(self, unit, instance, workflow):
        """Move a failed instance to the newest version before a retry (refused when unsafe)."""
        s = unit.session
        newest = latest_definitions(s, "bpmn")[instance.process_id]
        deps = dependencies_for(s, newest, unit.specs)
        spec, subprocess_specs = unit.specs.get(s, newest.id, deps)
        top_diff, sub_diffs = _diff(workflow, spec, subprocess_specs)
        refused = _refusal(workflow, top_diff, sub_diffs)
        if refused:
            raise Conflict(f"instance {instance.id} cannot move to version {newest.version}: {refused.text}",
                           "unsafe_migration")
        migrate_workflow(top_diff, workflow, spec, reset_mask=TaskState.READY | TaskState.WAITING | TaskState.ERROR)
        workflow.subprocess_specs = subprocess_specs
        unit.record(instance, "migrated", data={"from_version": instance.definition_version,
                                                 "to_version": newest.version})
        instance.definition_id, instance.definition_version, instance.dependency_ids = newest.id, newest.version, deps
        return workflow


def _diff(workflow, spec, subprocess_specs):
    """SpiffWorkflow's diff of a running workflow against a new version. It aligns the two versions by
    walking the old one's paths recursively, so it runs with room for the longest process (`parse_room`)."""
    longest = max(len(s.task_specs) for s in [spec, workflow.spec, *subprocess_specs.values()])
    return with_room(lambda: diff_workflow(serialization.registry(), workflow, spec, subprocess_specs), longest)


def _refusal(workflow, top_diff, sub_diffs) -> _Refusal | None:
    """Why moving is unsafe, or None: a task in progress would vanish, or a running subprocess lost its spec."""
    live_removed = [t for t in top_diff.removed if t.has_state(LIVE)]
    if live_removed:
        names = tuple(sorted({t.task_spec.bpmn_name or t.task_spec.bpmn_id or t.task_spec.name
                              for t in live_removed}))
        return _Refusal("task_removed", names, f"in progress at {', '.join(names)}, which the new version removes")
    for sp_id, sp_diff in sub_diffs.items():
        sub = workflow.subprocesses[sp_id]
        if sp_diff is None and not sub.is_completed():
            return _Refusal("subprocess_missing", (sub.spec.name,),
                            f"the running subprocess {sub.spec.name} is missing from the new version")
        if sp_diff is not None and any(t.has_state(LIVE) for t in sp_diff.removed):
            return _Refusal("subprocess_task_removed", (sub.spec.name,),
                            f"in progress inside {sub.spec.name} at a task the new version removes")
    return None


DRAFT_NAME_LENGTH = 100


def _draft_name(name: str | None) -> str:
    return " ".join((name or "").split())[:DRAFT_NAME_LENGTH]


def _require_revision(draft: ProcessDraft, revision: int | None) -> None:
    if revision is not None and revision != draft.revision:
        raise Conflict(f"draft {draft.id} was saved by {draft.saved_by} at {draft.saved_at.isoformat()} since it "
                       f"was opened", "draft_changed", draft.saved_by)


def _draft_view(draft: ProcessDraft) -> DraftView:
    return DraftView(draft.id, draft.process_id, draft.filename, draft.base_version, draft.saved_by, draft.saved_at,
                     draft.name or "", draft.revision or 1)
