"""Deploying: check a batch of files, then store each as a new immutable version, all or nothing."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .audit import SYSTEM_CHAIN
from .authoring import forms as formlib
from .authoring.checks import Batch
from .authoring.specs import (SourceFile, called_processes, deployable_processes, executable_processes,
                              latest_definitions, new_definition)
from .directory import SYSTEM_USER
from .errors import SpecInvalid
from .storage.models import Group
from .storage.unit import Unit
from .views import DefinitionView


class DeployVerbs:
    """Mixed into Engine; relies on its `_unit`, `_require_owner`, `_register_triggers`, `forms`, `operators`."""

    def deploy_paths(self, paths: list[Path], user: str = SYSTEM_USER) -> list[DefinitionView]:
        return self.deploy([SourceFile.from_path(Path(p)) for p in paths], user)

    def deploy(self, sources: list[SourceFile], user: str = SYSTEM_USER) -> list[DefinitionView]:
        """Check every file, then deploy all of them as new versions, or none."""
        return self._unit(user, lambda unit: self._deploy(unit, sources, user))

    def _checked_batch(self, s: Session, sources: list[SourceFile]):
        """The checked batch and the newest deployed definitions; SpecInvalid lists every problem."""
        latest = latest_definitions(s)
        batch = Batch(sources, set(s.scalars(select(Group.id))), self.forms.forms_dir,
                      {p: d.xml for p, d in latest.items() if d.kind == "bpmn"},
                      {p: d.xml for p, d in latest.items() if d.kind == "dmn"}, self.operators)
        problems = batch.check()
        if problems:
            raise SpecInvalid(problems)
        return batch, latest

    def _deploy(self, unit: Unit, sources: list[SourceFile], user: str) -> list[DefinitionView]:
        s = unit.session
        self._require_owner(s, user)
        batch, _latest = self._checked_batch(s, sources)
        deployed = []
        ordered = deploy_order(batch.parsed)
        for source, root, kind in ordered:
            forms = {f: self.forms.file_text(f) for f in formlib.referenced_forms(root)} if kind == "bpmn" else {}
            for pid, name in deployable_processes(root):  # every pool of a collaboration
                row = new_definition(s, pid, kind, name, source, user, unit.now, forms)
                if row is None:
                    continue
                unit.audit.append(kind="deployed", actor=user, at=unit.now, chain=SYSTEM_CHAIN,
                                  definition_id=row.id, process_id=pid,
                                  data={"version": row.version, "sha256": row.sha256, "file": row.filename})
                if kind == "bpmn":
                    self._register_triggers(unit, row)
                deployed.append(DefinitionView.of(row))
        return deployed


def deploy_order(parsed: list) -> list:
    """DMN files first, then every BPMN file after the files of the processes it calls (the deploy check
    has refused call cycles; one that got here is cut where it closes), so each new version finds its
    callees deployed. A depth-first walk with a stack of its own: any number of files may call in a chain."""
    dmn = [item for item in parsed if item[2] == "dmn"]
    bpmn = [item for item in parsed if item[2] != "dmn"]
    owner = {p.get("id"): index for index, item in enumerate(bpmn) for p in executable_processes(item[1])}

    def callees(index: int):
        return iter([owner[c] for c in sorted(called_processes(bpmn[index][1])) if c in owner])

    done: set[int] = set()
    ordered: list = []
    for first in range(len(bpmn)):
        if first in done:
            continue
        stack, on_path = [(first, callees(first))], {first}
        while stack:
            index, pending = stack[-1]
            target = next(pending, None)
            if target is None:
                stack.pop()
                on_path.discard(index)
                done.add(index)
                ordered.append(bpmn[index])
            elif target not in done and target not in on_path:
                stack.append((target, callees(target)))
                on_path.add(target)
    return dmn + ordered
