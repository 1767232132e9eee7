"""Checks a batch of BPMN/DMN files before anything is deployed; every problem names its element."""
from __future__ import annotations

import ast
import json
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .errors import SpecProblem
from .operators import known_operators
from .scripting import check_source
from .specs import BPMN_NS, called_processes, decision_ids, executable_processes, file_kind
from .xmlsafe import parse_xml

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
INITIATOR_LANES = {"initiator"}
_B = f"{{{BPMN_NS}}}"
_S = f"{{{SPIFF_NS}}}"


class Batch:
    """Files offered together, checked against each other and against what is already deployed."""

    def __init__(self, sources, known_groups: set[str], forms_dir: Path,
                 deployed_processes: dict[str, str], deployed_dmn: dict[str, str]):
        self.sources = sources
        self.known_groups = known_groups
        self.forms_dir = forms_dir
        self.deployed_processes = deployed_processes  # process id -> xml
        self.deployed_dmn = deployed_dmn              # decision-file process id -> xml
        self.problems: list[SpecProblem] = []
        self.parsed: list[tuple[object, etree._Element, str]] = []  # (source, root, kind)

    def check(self) -> list[SpecProblem]:
        for source in self.sources:
            root, problems = parse_xml(source.data, source.filename)
            self.problems += problems
            if root is not None:
                self.parsed.append((source, root, file_kind(root)))
        if self.problems:
            return self.problems
        for source, root, kind in self.parsed:
            self._check_schema(source, root, kind)
        if self.problems:
            return self.problems
        for source, root, kind in self.parsed:
            if kind == "bpmn":
                self._check_bpmn(source, root)
        if not self.problems:
            self._check_spiff_parse()
        return self.problems

    # -- structure -------------------------------------------------------------------------------
    def _problem(self, source, element, reason, code):
        if element is None:
            self.problems.append(SpecProblem(source.filename, None, reason, code=code))
            return
        self.problems.append(SpecProblem(source.filename, element.get("id"), reason,
                                         line=element.sourceline, name=element.get("name"), code=code))

    def _check_schema(self, source, root, kind):
        try:
            if kind == "bpmn":
                VALIDATOR.validate(root, source.filename)
            elif not decision_ids(root):
                self._problem(source, None, "no decision in this DMN file", "no_decision")
        except ValidationException as exc:
            self.problems.append(SpecProblem(source.filename, None, f"not valid BPMN: {exc}",
                                             line=getattr(exc, "line_number", None), code="schema"))

    def _check_bpmn(self, source, root):
        processes = executable_processes(root)
        if len(processes) != 1:
            self._problem(source, None, f"expected one executable process, found {len(processes)}",
                          "process_count")
            return
        for lane in root.iter(f"{_B}lane"):
            name = lane.get("name") or ""
            if name not in self.known_groups and name not in INITIATOR_LANES:
                self._problem(source, lane, f"lane {name!r} is not a known group", "unknown_lane")
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            self._check_forms(source, element)
            self._check_expressions(source, element)
        for gateway in root.iter(f"{_B}exclusiveGateway"):
            self._check_gateway(source, root, gateway)
        batch_processes = {p.get("id") for _, r, k in self.parsed if k == "bpmn" for p in r.iter(f"{_B}process")}
        for call in root.iter(f"{_B}callActivity"):
            target = call.get("calledElement")
            if target not in batch_processes and target not in self.deployed_processes:
                self._problem(source, call, f"calls unknown process {target!r}", "unknown_call")
        operators = known_operators()
        for op in root.iter(f"{_S}serviceTaskOperator"):
            if op.get("id") not in operators:
                self._problem(source, _owner(op), f"unknown service operator {op.get('id')!r}", "unknown_operator")

    def _check_forms(self, source, element):
        if element.tag != f"{_S}property":
            return
        if element.get("name") not in ("formJsonSchemaFilename", "formUiSchemaFilename"):
            return
        owner, filename = _owner(element), element.get("value") or ""
        path = self.forms_dir / filename
        if not filename or "/" in filename or "\\" in filename or not path.is_file():
            self._problem(source, owner, f"form file {filename!r} not found in forms/", "form")
            return
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            self._problem(source, owner, f"form file {filename!r} is not valid JSON: {exc}", "form")
            return
        if element.get("name") == "formJsonSchemaFilename":
            try:
                Draft202012Validator.check_schema(document)
            except SchemaError as exc:
                self._problem(source, owner, f"form file {filename!r} is not a valid JSON Schema: {exc.message}",
                              "form")

    def _check_expressions(self, source, element):
        tag = etree.QName(element).localname
        text = (element.text or "").strip()
        if tag in ("conditionExpression", "completionCondition", "loopCardinality") and text:
            self._check_code(source, element, text, "eval")
        elif tag == "script" and element.tag == f"{_B}script" and text:
            self._check_code(source, element, text, "exec")
        elif element.tag in (f"{_S}preScript", f"{_S}postScript") and text:
            self._check_code(source, element, text, "exec")
        elif element.tag == f"{_S}parameter" and element.get("value"):
            self._check_code(source, element, element.get("value"), "eval")
        elif tag in ("timeDuration", "timeDate", "timeCycle"):
            if self._check_code(source, element, text, "eval"):
                self._check_timer_literal(source, element, tag, text)

    def _check_code(self, source, element, text, mode) -> bool:
        reason = check_source(text, mode)
        if reason:
            self._problem(source, _owner(element), f"expression refused: {reason}: {text[:80]!r}", "expression")
        return reason is None

    def _check_timer_literal(self, source, element, tag, text):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return  # computed from data; checked when it runs
        try:
            if not isinstance(value, str):
                raise ValueError("not a string")
            if tag == "timeDuration":
                TimerEventDefinition.parse_iso_duration(value)
            elif tag == "timeDate":
                TimerEventDefinition.get_datetime(value)
            else:
                TimerEventDefinition.parse_iso_recurring_interval(value)
        except Exception:  # noqa: BLE001 - SpiffWorkflow raises bare Exception here
            self._problem(source, _owner(element), f"timer value {text!r} is not valid ISO 8601 ({tag})", "timer")

    def _check_gateway(self, source, root, gateway):
        flows = [f for f in root.iter(f"{_B}sequenceFlow") if f.get("sourceRef") == gateway.get("id")]
        if len(flows) < 2:
            return
        default = gateway.get("default")
        for flow in flows:
            has_condition = any(etree.QName(c).localname == "conditionExpression" and (c.text or "").strip()
                                for c in flow)
            if not has_condition and flow.get("id") != default:
                self._problem(source, gateway,
                              f"outgoing flow {flow.get('id')!r} has no condition and is not the default", "gateway")

    # -- SpiffWorkflow --------------------------------------------------------------------------
    def _check_spiff_parse(self):
        parser = SpiffBpmnParser()
        batch_ids = set()
        try:
            for _source, root, kind in self.parsed:
                if kind == "dmn":
                    parser.add_dmn_xml(root, filename=_source.filename)
            for pid, xml in self.deployed_dmn.items():
                root, _ = parse_xml(xml.encode(), pid)
                if root is not None and not set(decision_ids(root)) & set(parser.dmn_parsers):
                    parser.add_dmn_xml(root, filename=pid)
            for _source, root, kind in self.parsed:
                if kind == "bpmn":
                    parser.add_bpmn_xml(root, filename=_source.filename)
                    batch_ids |= {p.get("id") for p in root.iter(f"{_B}process")}
            needed = set().union(*(called_processes(r) for _, r, k in self.parsed if k == "bpmn"))
            for pid in needed - batch_ids:
                if pid in self.deployed_processes:
                    root, _ = parse_xml(self.deployed_processes[pid].encode(), pid)
                    parser.add_bpmn_xml(root, filename=pid)
        except ValidationException as exc:
            self.problems.append(SpecProblem(getattr(exc, "file_name", "") or "", getattr(exc, "id", None),
                                             str(exc), line=getattr(exc, "line_number", None)))
            return
        for source, root, kind in self.parsed:
            if kind != "bpmn":
                continue
            for process in executable_processes(root):
                try:
                    parser.get_spec(process.get("id"))
                    parser.get_subprocess_specs(process.get("id"))
                except ValidationException as exc:
                    self.problems.append(SpecProblem(source.filename, getattr(exc, "id", None) or process.get("id"),
                                                     str(exc).splitlines()[0], line=getattr(exc, "line_number", None),
                                                     name=getattr(exc, "name", None)))
                except Exception as exc:  # noqa: BLE001 - any parser failure refuses the file
                    self.problems.append(SpecProblem(source.filename, process.get("id"),
                                                     f"does not parse: {exc.__class__.__name__}: {exc}"))


def _owner(element: etree._Element) -> etree._Element:
    """The nearest ancestor (or self) that is a BPMN flow element with an id."""
    node = element
    while node is not None:
        if node.get("id") and etree.QName(node).namespace == BPMN_NS \
                and not etree.QName(node).localname.endswith("EventDefinition"):
            return node
        node = node.getparent()
    return element
