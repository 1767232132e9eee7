"""Checks a batch of BPMN/DMN files before anything is deployed; every problem names its element."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from ..errors import SpecProblem
from ..runtime.outcome import OUTCOMES
from .decision_tables import check_table, read_tables
from .forms import CHECKS
from ..runtime.scripting import check_source
from .specs import BPMN_NS, called_processes, decision_ids, executable_processes, file_kind
from .calls import CallGraph
from .parse_room import MAX_FLOW_ELEMENTS, flow_elements, with_room
from .timers import TIMER_EXAMPLES, TIMER_TAGS, looks_like_unquoted_iso, timer_value_ok
from .unsupported import unsupported_reason
from .xmlsafe import parse_xml

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
INITIATOR_LANES = {"initiator"}
_B = f"{{{BPMN_NS}}}"
_S = f"{{{SPIFF_NS}}}"
MAX_REASON = 180  # every problem is one line of at most this many characters

class Batch:
    """Files offered together, checked against each other and against what is already deployed."""

    def __init__(self, sources, known_groups: set[str], forms_dir: Path,
                 deployed_processes: dict[str, str], deployed_dmn: dict[str, str], operators=frozenset()):
        self.sources = sources
        self.operators = set(operators)  # the service operators the deploying engine runs
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
            else:
                self._check_decisions(source, root)
        self._check_recursion()
        if not self.problems:
            self._check_spiff_parse()
        return self.problems

    # -- structure -------------------------------------------------------------------------------
    def _problem(self, source, element, reason, code):
        reason = one_line(reason)
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
            line = getattr(exc, "line_number", None) or None
            at = _element_at(root, line, str(exc))
            self.problems.append(SpecProblem(source.filename, at.get("id") if at is not None else None,
                                             one_line(f"not valid BPMN: {_short_names(exc)}"), line=line,
                                             name=at.get("name") if at is not None else None, code="schema"))

    def _check_decisions(self, source, root):
        """Hit policy, column types, cell counts, and for a UNIQUE table rules that overlap or leave inputs
        without an answer (engine.authoring.decision_tables)."""
        decisions = {d.get("id"): d for d in root.iter() if isinstance(d.tag, str) and d.tag.endswith("decision")}
        for table in read_tables(source.data.decode("utf-8"), source.filename):
            for problem in check_table(table):
                self._problem(source, decisions.get(table.decision_id), problem.text, problem.code)

    def _check_bpmn(self, source, root):
        processes = executable_processes(root)
        if not processes:  # a collaboration deploys each of its executable pools
            self._problem(source, None, "no executable process in this file", "process_count")
            return
        elements = flow_elements([root])
        if elements > MAX_FLOW_ELEMENTS:
            self._problem(source, None, f"{elements:,} flow elements: at most {MAX_FLOW_ELEMENTS:,} are supported "
                                        "in one file; split it into processes that call each other", "too_large")
            return
        for lane in root.iter(f"{_B}lane"):
            name = lane.get("name") or ""
            if not name.strip():
                self._problem(source, lane, "lane has no name: name it after a group", "unnamed_lane")
            elif name not in self.known_groups and name not in INITIATOR_LANES:
                self._problem(source, lane, f"lane {name!r} is not a known group", "unknown_lane")
        self._check_unsupported(source, root)
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            self._check_forms(source, element)
            self._check_outcome(source, element)
            self._check_expressions(source, element)
        outgoing: dict[str, list] = {}
        for flow in root.iter(f"{_B}sequenceFlow"):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        for gateway in root.iter(f"{_B}exclusiveGateway"):
            self._check_gateway(source, gateway, outgoing.get(gateway.get("id"), []))
        batch_processes = {p.get("id") for _, r, k in self.parsed if k == "bpmn" for p in r.iter(f"{_B}process")}
        for call in root.iter(f"{_B}callActivity"):
            target = call.get("calledElement")
            if target not in batch_processes and target not in self.deployed_processes:
                self._problem(source, call, f"calls unknown process {target!r}", "unknown_call")
        operators = self.operators
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
                return
            self._check_form_checks(source, owner, filename, document)

    def _check_form_checks(self, source, owner, filename, schema):
        """A form's `x-checks`: each an expression the sandbox runs, on a field of the form, with its rule."""
        fields = schema.get("properties", {})
        for check in schema.get(CHECKS) or ():
            if not isinstance(check, dict) or not check.get("refuse_if") or not check.get("message"):
                self._problem(source, owner, f"form file {filename!r}: each of {CHECKS} needs refuse_if and "
                                             "message", "form")
                continue
            if check.get("field") and check["field"] not in fields:
                self._problem(source, owner, f"form file {filename!r}: {CHECKS} names unknown field "
                                             f"{check['field']!r}", "form")
            reason = check_source(check["refuse_if"], "eval")
            if reason:
                self._problem(source, owner, f"form file {filename!r}: check refused: {reason}: "
                                             f"{_excerpt(check['refuse_if'])}", "expression")

    def _check_outcome(self, source, element):
        if element.tag != f"{_S}property" or element.get("name") != "outcome":
            return
        owner, value = _owner(element), element.get("value") or ""
        allowed = sorted(set(OUTCOMES) - {"cancelled"})
        if etree.QName(owner).localname != "endEvent":
            self._problem(source, owner, "only an end event declares an outcome", "outcome")
        elif value not in allowed:
            self._problem(source, owner, f"outcome {value!r} is not one of {', '.join(allowed)}", "outcome")

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
        elif tag in TIMER_TAGS and etree.QName(element).namespace == BPMN_NS:
            self._check_timer(source, element, tag, text)
        elif element.tag == f"{_B}timerEventDefinition" \
                and not any(etree.QName(c).localname in TIMER_TAGS for c in element if isinstance(c.tag, str)):
            self._problem(source, _owner(element), "timer has no value", "timer")

    def _check_code(self, source, element, text, mode) -> bool:
        reason = check_source(text, mode)
        if reason:
            self._problem(source, _owner(element), f"expression refused: {reason}: {_excerpt(text)}", "expression")
        return reason is None

    def _check_timer(self, source, element, tag, text):
        """A timer's value: present, quoted when it is an ISO literal, sandboxed, and of its type's kind."""
        owner = _owner(element)
        if not text:
            self._problem(source, owner, "timer has no value", "timer")
        elif looks_like_unquoted_iso(text):
            self._problem(source, owner, f'quote the timer value: "{text}"', "timer")
        elif self._check_code(source, element, text, "eval"):
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                return  # computed from data; checked when it runs
            if not timer_value_ok(tag, value):
                self._problem(source, owner, f"timer value {_excerpt(value, 40)} is not valid ISO 8601: "
                                             f"{tag} needs {TIMER_EXAMPLES[tag]}", "timer")

    def _check_unsupported(self, source, root):
        """Elements SpiffWorkflow does not run end to end, refused before it parses them."""
        for element in root.iter():
            if isinstance(element.tag, str) and etree.QName(element).namespace == BPMN_NS:
                reason = unsupported_reason(element)
                if reason is not None:
                    self._problem(source, _owner(element), reason, "unsupported")

    # -- calls ---------------------------------------------------------------------------------
    def _check_recursion(self):
        """A call activity from which its own process can be reached again: recursion without end."""
        graph = CallGraph(self.parsed, self.deployed_processes)
        for source, root, kind in self.parsed:
            if kind != "bpmn":
                continue
            for process in root.iter(f"{_B}process"):
                for call in process.iter(f"{_B}callActivity"):
                    path = graph.path(call.get("calledElement"), process.get("id"))
                    if path is not None:
                        chain = " -> ".join([process.get("id"), *path])
                        self._problem(source, call, f"recursive call {chain}: a process may not call itself, "
                                                    "directly or through other processes", "recursive_call")

    def _check_gateway(self, source, gateway, flows):
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
    def _spiff_problem(self, filename, exc, fallback_id=None):
        """A SpiffWorkflow parser failure as one line naming the element it failed on."""
        element = getattr(exc, "id", None) or fallback_id
        name = getattr(exc, "name", None) or None
        line = getattr(exc, "line_number", None) or None
        self.problems.append(SpecProblem(getattr(exc, "file_name", None) or filename, element, spiff_reason(exc),
                                         line=line if isinstance(line, int) else None, name=name, code="parse"))

    def _check_spiff_parse(self):
        """SpiffWorkflow parses every process of the batch (with the processes and decision tables it needs),
        with room for long paths (`parse_room`)."""
        parser = SpiffBpmnParser()
        batch_ids = set()
        filename = ""
        bpmn_roots = []
        try:
            for _source, root, kind in self.parsed:
                if kind == "dmn":
                    filename = _source.filename
                    parser.add_dmn_xml(root, filename=_source.filename)
            for pid, xml in self.deployed_dmn.items():
                root, _ = parse_xml(xml.encode(), pid)
                if root is not None and not set(decision_ids(root)) & set(parser.dmn_parsers):
                    filename = pid
                    parser.add_dmn_xml(root, filename=pid)
            for _source, root, kind in self.parsed:
                if kind == "bpmn":
                    filename = _source.filename
                    parser.add_bpmn_xml(root, filename=_source.filename)
                    bpmn_roots.append(root)
                    batch_ids |= {p.get("id") for p in root.iter(f"{_B}process")}
            needed = set().union(*(called_processes(r) for _, r, k in self.parsed if k == "bpmn"))
            for pid in needed - batch_ids:
                if pid in self.deployed_processes:
                    filename = pid
                    root, _ = parse_xml(self.deployed_processes[pid].encode(), pid)
                    parser.add_bpmn_xml(root, filename=pid)
                    bpmn_roots.append(root)
        except Exception as exc:  # noqa: BLE001 - any parser failure refuses the batch
            self._spiff_problem(filename, exc)
            return
        # one file's processes nest while they are parsed (embedded subprocesses); called ones do not
        with_room(lambda: self._spiff_specs(parser), max((flow_elements([r]) for r in bpmn_roots), default=0))

    def _spiff_specs(self, parser):
        for source, root, kind in self.parsed:
            if kind != "bpmn":
                continue
            for process in executable_processes(root):
                try:
                    parser.get_spec(process.get("id"))
                    parser.get_subprocess_specs(process.get("id"))
                except Exception as exc:  # noqa: BLE001 - any parser failure refuses the file
                    self._spiff_problem(source.filename, exc, process.get("id"))


def one_line(text: str, limit: int = MAX_REASON) -> str:
    """Whitespace (newlines included) collapsed, at most `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _excerpt(value, limit: int = 60) -> str:
    """A short quoted excerpt of a value for a one-line reason."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def _element_at(root: etree._Element, line: int | None, message: str) -> etree._Element | None:
    """The element (with an id) a schema error points at: on its line, of the tag the message names."""
    if not line:
        return None
    named = re.search(r"Element '([^']+)'", message)
    candidates = [e for e in root.iter() if isinstance(e.tag, str) and e.sourceline == line and e.get("id")]
    exact = [e for e in candidates if named and e.tag == named.group(1)]
    return (exact or candidates or [None])[0]


def _short_names(exc) -> str:
    """An lxml/SpiffWorkflow message with namespace URIs written as prefixes."""
    return str(exc).replace(f"{{{BPMN_NS}}}", "bpmn:").replace(f"{{{SPIFF_NS}}}", "spiffworkflow:")


def spiff_reason(exc: Exception) -> str:
    """One line saying why SpiffWorkflow refused an element, without XML dumps or Python reprs."""
    message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    inner = exc.__context__ if isinstance(exc, ValidationException) else None
    if inner is not None and message.startswith(f"{type(inner).__name__}("):
        message = inner.args[0] if inner.args and isinstance(inner.args[0], str) else type(inner).__name__
        message = message.replace("%r", "").replace("%s", "")
    elif not isinstance(exc, ValidationException):
        message = f"{type(exc).__name__}: {message}"
    message = re.sub(r"b?'<[^']*'|b?\"<[^\"]*\"|<[^>]+>", "", _short_names(message))
    message = " ".join(message.split()).strip(" .:,")
    tag = getattr(exc, "tag", "") or ""
    return one_line(f"SpiffWorkflow cannot run this {tag or 'process'}: {message or type(exc).__name__}")


def _owner(element: etree._Element) -> etree._Element:
    """The nearest ancestor (or self) that is a BPMN flow element with an id."""
    node = element
    while node is not None:
        if node.get("id") and etree.QName(node).namespace == BPMN_NS \
                and not etree.QName(node).localname.endswith("EventDefinition"):
            return node
        node = node.getparent()
    return element
