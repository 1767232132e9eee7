"""Deployed definitions: immutable versions, parsed once and cached by (definition, dependencies)."""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as SubWorkflowTaskMixin
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from ..runtime import hooks, tree_walks
from ..storage.models import DefinitionForm, ProcessDefinition
from .parse_room import flow_elements, with_room
from .xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "https://www.omg.org/spec/DMN/20230324/MODEL/", "http://www.omg.org/spec/DMN/20151101/dmn.xsd")


@dataclass(frozen=True)
class SourceFile:
    """A file offered for deployment."""

    filename: str
    data: bytes

    @classmethod
    def from_path(cls, path: Path) -> SourceFile:
        return cls(path.name, path.read_bytes())

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def file_kind(root: etree._Element) -> str:
    ns = etree.QName(root).namespace or ""
    return "dmn" if ns in DMN_NAMESPACES or "DMN" in ns else "bpmn"


def executable_processes(root: etree._Element) -> list[etree._Element]:
    return [p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("isExecutable", "true") != "false"]


def decision_ids(root: etree._Element) -> list[str]:
    return [d.get("id") for d in root.iter() if isinstance(d.tag, str) and etree.QName(d).localname == "decision"]


def source_identity(root: etree._Element) -> tuple[str | None, str | None]:
    """(process or decision id, its name) that a parsed BPMN or DMN file declares."""
    if file_kind(root) == "dmn":
        ids = decision_ids(root)
        return (ids[0], root.get("name") or ids[0]) if ids else (None, None)
    processes = executable_processes(root)
    if not processes:
        return None, None
    return processes[0].get("id"), processes[0].get("name") or processes[0].get("id")


def deployable_processes(root: etree._Element) -> list[tuple[str, str]]:
    """(id, name) of what a file deploys: its decision file, or every executable process (each pool of a
    collaboration becomes a definition of its own, with the whole file as its XML)."""
    if file_kind(root) == "dmn":
        return [source_identity(root)]
    return [(p.get("id"), p.get("name") or p.get("id")) for p in executable_processes(root)]


def identify(source: SourceFile) -> tuple[str | None, list]:
    """The id a file declares, or the reasons it cannot even be read safely (for uploads)."""
    root, problems = parse_xml(source.data, source.filename)
    if root is None:
        return None, problems
    return source_identity(root)[0], []


def called_processes(root: etree._Element) -> set[str]:
    return {c.get("calledElement") for c in root.iter(f"{{{BPMN_NS}}}callActivity") if c.get("calledElement")}


def latest_definitions(session: Session, kind: str | None = None) -> dict[str, ProcessDefinition]:
    """The newest version of every deployed process (or decision file), keyed by process id."""
    newest = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("v"))
              .group_by(ProcessDefinition.process_id).subquery())
    stmt = select(ProcessDefinition).options(defer(ProcessDefinition.xml)).join(
        newest, (ProcessDefinition.process_id == newest.c.process_id) & (ProcessDefinition.version == newest.c.v))
    if kind:
        stmt = stmt.where(ProcessDefinition.kind == kind)
    return {d.process_id: d for d in session.scalars(stmt)}


def dependencies_for(session: Session, definition: ProcessDefinition, cache: SpecCache,
                     latest: dict[str, ProcessDefinition] | None = None) -> list[int]:
    """Definition ids an instance of `definition` needs now: every DMN file and called process, newest."""
    latest = latest if latest is not None else latest_definitions(session)
    needed: dict[int, ProcessDefinition] = {d.id: d for d in latest.values() if d.kind == "dmn"}
    pending = [definition]
    seen = {definition.process_id}
    while pending:
        current = pending.pop()
        for called in cache.calls_of(current):
            if called in latest and called not in seen:
                seen.add(called)
                needed[latest[called].id] = latest[called]
                pending.append(latest[called])
    return sorted(needed)


def build_parser(sources: list[tuple[str, str, str]]) -> tuple[SpiffBpmnParser, list[etree._Element]]:
    """A spiff parser loaded with (kind, filename, xml) sources, and the BPMN documents among them."""
    parser, roots = SpiffBpmnParser(), []
    for kind, filename, xml in sources:
        root, problems = parse_xml(xml.encode(), filename)
        if root is None:
            raise ValueError(str(problems[0]))
        if kind == "dmn":
            parser.add_dmn_xml(root, filename=filename)
        else:
            parser.add_bpmn_xml(root, filename=filename)
            roots.append(root)
    return parser, roots


def prepared_specs(sources: list[tuple[str, str, str]], process_id: str):
    """(spec, subprocess specs) of `process_id` parsed from (kind, filename, xml) sources, wired the way
    every instance expects (engine.runtime.hooks)."""
    parser, roots = build_parser(sources)

    def parse():
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
        hooks.prepare(spec, subprocess_specs)
        tree_walks.install_on_specs(spec, subprocess_specs)  # long paths predicted without recursion
        return spec, subprocess_specs
    return with_room(parse, max((flow_elements([r]) for r in roots), default=0))


class SpecCache:
    """Parsed specs keyed by (definition id, dependency ids); safe to share between threads."""

    def __init__(self):
        self._specs: dict[tuple[int, tuple[int, ...]], tuple] = {}
        self._calls: dict[int, frozenset[str]] = {}
        self._lock = threading.Lock()

    def calls_of(self, definition: ProcessDefinition) -> frozenset[str]:
        """The processes a definition calls; versions are immutable, so this is cached by id."""
        if definition.id not in self._calls:
            root, _ = parse_xml(definition.xml.encode(), definition.filename)
            self._calls[definition.id] = frozenset(called_processes(root)) if root is not None else frozenset()
        return self._calls[definition.id]

    def get(self, session: Session, definition_id: int, dependency_ids: list[int]):
        key = (definition_id, tuple(dependency_ids))
        found = self._specs.get(key)
        if found is not None:
            return found
        rows = {d.id: d for d in session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.id.in_([definition_id, *dependency_ids])))}
        main = rows[definition_id]
        spec, subprocess_specs = prepared_specs([(d.kind, d.filename, d.xml) for d in rows.values()], main.process_id)
        with self._lock:
            self._specs[key] = (spec, subprocess_specs)
        return spec, subprocess_specs


def new_definition(session: Session, process_id: str, kind: str, name: str, source: SourceFile,
                   user: str, now: datetime, forms: dict[str, str] | None = None) -> ProcessDefinition | None:
    """Insert the next version of `process_id` with the form files it names; None when the newest
    version has the same file and the same forms (a changed form alone makes a new version)."""
    forms = forms or {}
    latest = session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                             .order_by(ProcessDefinition.version.desc()).limit(1)).first()
    if latest is not None and latest.sha256 == source.sha256 and deployed_forms(session, latest.id) == forms:
        return None
    definition = ProcessDefinition(
        process_id=process_id, kind=kind, name=name, version=(latest.version + 1) if latest else 1,
        filename=source.filename, xml=source.data.decode("utf-8"), sha256=source.sha256,
        deployed_by=user, deployed_at=now)
    session.add(definition)
    session.flush()
    for filename, content in forms.items():
        session.add(DefinitionForm(definition_id=definition.id, filename=filename, content=content,
                                   sha256=hashlib.sha256(content.encode("utf-8")).hexdigest()))
    return definition


def deployed_forms(session: Session, definition_id: int) -> dict[str, str]:
    """filename -> text of the form files deployed with a definition version."""
    return {f.filename: f.content for f in session.scalars(
        select(DefinitionForm).where(DefinitionForm.definition_id == definition_id))}


def is_subworkflow(task_spec) -> bool:
    return isinstance(task_spec, SubWorkflowTaskMixin)


def start_event(spec):
    """The process's (first) none start event: where its start form and start lane are."""
    outputs = getattr(spec.start, "outputs", [])
    return outputs[0] if outputs else None
