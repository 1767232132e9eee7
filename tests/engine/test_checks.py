"""The deploy check: every refusal is one line with a stable code naming its element; nothing is deployed."""
from __future__ import annotations

import pytest

from engine import SpecInvalid
from engine.errors import SpecProblem
from engine.authoring.specs import SourceFile

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" '
        'targetNamespace="http://bpmn.io/schema/bpmn">\n')


def bpmn(body: str, pid: str = "checked", extra: str = "") -> SourceFile:
    """One executable process around `body` (flow nodes and flows), `extra` before it (root elements)."""
    xml = (f'{HEAD}{extra}<bpmn:process id="{pid}" name="检查" isExecutable="true">\n{body}\n'
           '</bpmn:process>\n</bpmn:definitions>\n')
    return SourceFile(f"{pid}.bpmn", xml.encode("utf-8"))


def flow(fid: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}" />'


def line(middle: str, first: str, last: str, more_flows: str = "") -> str:
    """start -> first ... last -> end, with `middle` holding first..last."""
    return (f'<bpmn:startEvent id="start"><bpmn:outgoing>f_in</bpmn:outgoing></bpmn:startEvent>\n{middle}\n'
            '<bpmn:endEvent id="end"><bpmn:incoming>f_out</bpmn:incoming></bpmn:endEvent>\n'
            f'{flow("f_in", "start", first)}{flow("f_out", last, "end")}{more_flows}')


def user_task(tid: str = "review", extra: str = "") -> str:
    return (f'<bpmn:userTask id="{tid}" name="审核"><bpmn:incoming>f_in</bpmn:incoming>'
            f'<bpmn:outgoing>f_out</bpmn:outgoing>{extra}</bpmn:userTask>')


def refused(engine, sources: list[SourceFile], code: str, element: str | None) -> SpecProblem:
    """Deploying `sources` fails with a `code` problem on `element`; every problem is one short line."""
    before = engine.definitions()
    with pytest.raises(SpecInvalid) as err:
        engine.deploy(sources, "owen")
    for problem in err.value.problems:
        assert "\n" not in str(problem) and len(problem.reason) < 200, problem
    matching = [p for p in err.value.problems if (p.code, p.element) == (code, element)]
    assert matching, err.value.problems
    assert engine.definitions() == before
    return matching[0]


# -- timers -----------------------------------------------------------------------------------------------
def timer_wait(definition: str) -> SourceFile:
    return bpmn(line(f'<bpmn:intermediateCatchEvent id="wait" name="等待"><bpmn:incoming>f_in</bpmn:incoming>'
                     f'<bpmn:outgoing>f_out</bpmn:outgoing>{definition}</bpmn:intermediateCatchEvent>',
                     "wait", "wait"))


def timer(tag: str, text: str) -> SourceFile:
    return timer_wait(f'<bpmn:timerEventDefinition id="td"><bpmn:{tag}>{text}</bpmn:{tag}></bpmn:timerEventDefinition>')


@pytest.mark.parametrize("tag", ["timeDate", "timeDuration", "timeCycle"])
def test_empty_timer_has_no_value(small_sqlite, tag):
    for source in (timer(tag, ""), timer(tag, "  \n ")):
        problem = refused(small_sqlite, [source], "timer", "wait")
        assert problem.reason == "timer has no value" and problem.name == "等待"


def test_timer_definition_without_any_time_has_no_value(small_sqlite):
    problem = refused(small_sqlite, [timer_wait('<bpmn:timerEventDefinition id="td" />')], "timer", "wait")
    assert problem.reason == "timer has no value"


@pytest.mark.parametrize("tag, text", [
    ("timeDuration", "P3D"), ("timeDuration", "PT1H"), ("timeDuration", "P1Y2M3DT4H5M6S"),
    ("timeDuration", "PT1.5H"), ("timeCycle", "R6/P1D"), ("timeCycle", "R/PT1H"), ("timeCycle", "R6 / P1D"),
    ("timeCycle", "R3/2026-12-01T09:00:00Z/PT1H"), ("timeDate", "2026-12-01T09:00:00+08:00"),
    ("timeDate", "2026-12-01"),
])
def test_unquoted_iso_timer_value_must_be_quoted(small_sqlite, tag, text):
    problem = refused(small_sqlite, [timer(tag, text)], "timer", "wait")
    assert problem.reason == f'quote the timer value: "{text}"'


@pytest.mark.parametrize("tag, text, needs", [
    ("timeDuration", '"R3/PT1H"', 'a duration such as "P3D" or "PT2H"'),
    ("timeDuration", '"2026-12-01T09:00:00Z"', "a duration"),
    ("timeDuration", '"P"', "a duration"),
    ("timeDuration", '"3 days"', "a duration"),
    ("timeDuration", "3", "a duration"),
    ("timeDate", '"P3D"', 'a date-time such as "2026-12-01T09:00:00+08:00"'),
    ("timeDate", '"tomorrow"', "a date-time"),
    ("timeCycle", '"P3D"', 'a repeating interval such as "R3/PT1H"'),
    ("timeCycle", '"2026-12-01T09:00:00Z"', "a repeating interval"),
    ("timeCycle", '"R/P"', "a repeating interval"),
])
def test_timer_literal_must_fit_its_timer_type(small_sqlite, tag, text, needs):
    problem = refused(small_sqlite, [timer(tag, text)], "timer", "wait")
    assert problem.reason.startswith("timer value ")
    assert f" is not valid ISO 8601: {tag} needs {needs}" in problem.reason


@pytest.mark.parametrize("tag, text", [
    ("timeDuration", '"P3D"'), ("timeDuration", '"PT2H"'), ("timeDuration", '"PT1.5H"'), ("timeDuration", '"P2W"'),
    ("timeDate", '"2026-12-01T09:00:00+08:00"'), ("timeDate", '"2026-12-01"'), ("timeDate", "decide_by"),
    ("timeDate", 'add_days(now(), 3)'), ("timeCycle", '"R3/PT1H"'), ("timeCycle", '"R/P1D"'),
    ("timeCycle", '"R3/2026-12-01T09:00:00Z/PT1H"'), ("timeDuration", "wait_for"),
])
def test_good_timer_values_deploy(small_sqlite, tag, text):
    [deployed] = small_sqlite.deploy([timer(tag, text)], "owen")
    assert deployed.process_id == "checked"


def test_timer_expression_the_sandbox_refuses(small_sqlite):
    problem = refused(small_sqlite, [timer("timeDuration", "print(1)")], "expression", "wait")
    assert '"print" is not available' in problem.reason


# -- lanes ------------------------------------------------------------------------------------------------
def laned(name_attr: str) -> SourceFile:
    return bpmn(f'<bpmn:laneSet id="lanes"><bpmn:lane id="lane_x" {name_attr}>'
                '<bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>'
                + line(user_task(), "review", "review"))


@pytest.mark.parametrize("name_attr", ["", 'name=""', 'name="  "'])
def test_unnamed_lane(small_sqlite, name_attr):
    problem = refused(small_sqlite, [laned(name_attr)], "unnamed_lane", "lane_x")
    assert problem.reason == "lane has no name: name it after a group"


def test_unknown_lane_still_says_which_group(small_sqlite):
    problem = refused(small_sqlite, [laned('name="no_such_group"')], "unknown_lane", "lane_x")
    assert "no_such_group" in problem.reason


# -- elements SpiffWorkflow does not run ------------------------------------------------------------------
UNSUPPORTED = {
    "link throw and catch": (
        '<bpmn:intermediateThrowEvent id="go_to"><bpmn:incoming>f_in</bpmn:incoming>'
        '<bpmn:linkEventDefinition id="l1" name="A" /></bpmn:intermediateThrowEvent>'
        '<bpmn:intermediateCatchEvent id="come_from"><bpmn:outgoing>f_out</bpmn:outgoing>'
        '<bpmn:linkEventDefinition id="l2" name="A" /></bpmn:intermediateCatchEvent>',
        "go_to", "come_from", "", "", ["go_to", "come_from"], "link events are not supported"),
    "conditional catch": (
        '<bpmn:intermediateCatchEvent id="until">'
        '<bpmn:incoming>f_in</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing>'
        '<bpmn:conditionalEventDefinition id="c1"><bpmn:condition xsi:type="bpmn:tFormalExpression">ready'
        '</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>',
        "until", "until", "", "", ["until"], "conditional events are not supported"),
    "conditional boundary": (
        user_task() + '<bpmn:boundaryEvent id="on_change" attachedToRef="review"><bpmn:outgoing>f_b</bpmn:outgoing>'
        '<bpmn:conditionalEventDefinition id="c1"><bpmn:condition>changed</bpmn:condition>'
        '</bpmn:conditionalEventDefinition></bpmn:boundaryEvent>'
        '<bpmn:endEvent id="end_b"><bpmn:incoming>f_b</bpmn:incoming></bpmn:endEvent>',
        "review", "review", flow("f_b", "on_change", "end_b"), "", ["on_change"], "conditional events"),
    "ad-hoc subprocess": (
        '<bpmn:adHocSubProcess id="adhoc"><bpmn:incoming>f_in</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing>'
        '<bpmn:userTask id="a1" /><bpmn:userTask id="a2" /></bpmn:adHocSubProcess>',
        "adhoc", "adhoc", "", "", ["adhoc"], "ad-hoc subprocesses are not supported"),
    "compensation boundary and handler": (
        user_task() + '<bpmn:boundaryEvent id="undo_on" attachedToRef="review">'
        '<bpmn:compensateEventDefinition id="c1" /></bpmn:boundaryEvent>'
        '<bpmn:task id="undo" isForCompensation="true" />',
        "review", "review",
        '<bpmn:association id="a1" associationDirection="One" sourceRef="undo_on" targetRef="undo" />',
        "", ["undo_on", "undo"], "compensation is not supported"),
    "compensation throw": (
        '<bpmn:intermediateThrowEvent id="compensate"><bpmn:incoming>f_in</bpmn:incoming>'
        '<bpmn:outgoing>f_out</bpmn:outgoing><bpmn:compensateEventDefinition id="c1" /></bpmn:intermediateThrowEvent>',
        "compensate", "compensate", "", "", ["compensate"], "compensation is not supported"),
    "data store": (
        '<bpmn:scriptTask id="save"><bpmn:incoming>f_in</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing>'
        '<bpmn:dataOutputAssociation id="doa"><bpmn:targetRef>store_ref</bpmn:targetRef></bpmn:dataOutputAssociation>'
        '<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
        '<bpmn:dataStoreReference id="store_ref" dataStoreRef="store" />',
        "save", "save", "", '<bpmn:dataStore id="store" name="customers" />\n', ["store", "store_ref"],
        "data stores are not supported"),
    "error start event of an event subprocess": (
        user_task() + '<bpmn:subProcess id="on_error" triggeredByEvent="true">'
        '<bpmn:startEvent id="error_start"><bpmn:outgoing>e1</bpmn:outgoing><bpmn:errorEventDefinition id="ed" />'
        '</bpmn:startEvent><bpmn:endEvent id="error_end"><bpmn:incoming>e1</bpmn:incoming></bpmn:endEvent>'
        f'{flow("e1", "error_start", "error_end")}</bpmn:subProcess>',
        "review", "review", "", "", ["error_start"],
        "error start events are not supported: SpiffWorkflow runs them as plain start events"),
    "signal end event": (
        user_task().replace('<bpmn:outgoing>f_out</bpmn:outgoing>', '<bpmn:outgoing>f_out</bpmn:outgoing>'
                            '<bpmn:outgoing>f_sig</bpmn:outgoing>')
        + '<bpmn:endEvent id="announce_end"><bpmn:incoming>f_sig</bpmn:incoming>'
        '<bpmn:signalEventDefinition id="sd" signalRef="recall" /></bpmn:endEvent>',
        "review", "review", flow("f_sig", "review", "announce_end"), '<bpmn:signal id="recall" name="recall" />\n',
        ["announce_end"], "signal end events are not supported: SpiffWorkflow runs them as plain end events"),
    "complex gateway": (
        '<bpmn:complexGateway id="complex"><bpmn:incoming>f_in</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing>'
        '</bpmn:complexGateway>',
        "complex", "complex", "", "", ["complex"], "complex gateways are not supported"),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_element_is_refused_by_name(small_sqlite, name):
    middle, first, last, flows, extra, elements, words = UNSUPPORTED[name]
    source = bpmn(line(middle, first, last, flows), extra=extra)
    for element in elements:
        problem = refused(small_sqlite, [source], "unsupported", element)
        assert problem.reason.startswith(words)


def test_unsupported_element_on_both_databases(small):
    middle, first, last, flows, extra, _elements, _words = UNSUPPORTED["ad-hoc subprocess"]
    refused(small, [bpmn(line(middle, first, last, flows), extra=extra)], "unsupported", "adhoc")


def test_transaction_with_cancel_runs_and_is_accepted(small_sqlite):
    body = line(
        '<bpmn:transaction id="tx"><bpmn:incoming>f_in</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing>'
        '<bpmn:startEvent id="tx_start"><bpmn:outgoing>t1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:userTask id="tx_work" name="办理">'
        '<bpmn:incoming>t1</bpmn:incoming><bpmn:outgoing>t2</bpmn:outgoing></bpmn:userTask>'
        '<bpmn:endEvent id="tx_cancel">'
        '<bpmn:incoming>t2</bpmn:incoming><bpmn:cancelEventDefinition id="ce" /></bpmn:endEvent>'
        f'{flow("t1", "tx_start", "tx_work")}{flow("t2", "tx_work", "tx_cancel")}</bpmn:transaction>'
        '<bpmn:boundaryEvent id="cancelled" attachedToRef="tx"><bpmn:outgoing>f_c</bpmn:outgoing>'
        '<bpmn:cancelEventDefinition id="ce2" /></bpmn:boundaryEvent>'
        '<bpmn:userTask id="after_cancel" name="撤销后">'
        '<bpmn:incoming>f_c</bpmn:incoming><bpmn:outgoing>f_c2</bpmn:outgoing></bpmn:userTask>'
        '<bpmn:endEvent id="end_c"><bpmn:incoming>f_c2</bpmn:incoming></bpmn:endEvent>',
        "tx", "tx", flow("f_c", "cancelled", "after_cancel") + flow("f_c2", "after_cancel", "end_c"))
    small_sqlite.deploy([bpmn(body)], "owen")
    inst = small_sqlite.start("checked", "alice", {})
    [task] = small_sqlite.tasks("alice")
    assert task.bpmn_id == "tx_work"
    small_sqlite.complete(task.id, "alice", {})
    [task] = small_sqlite.tasks("alice")
    assert task.bpmn_id == "after_cancel"
    small_sqlite.complete(task.id, "alice", {})
    assert small_sqlite.instances()[0].status == "completed" and small_sqlite.instances()[0].id == inst.id


def test_spiffworkflow_parser_failure_is_one_line_naming_the_element(small_sqlite):
    # a boundary event without an event definition: SpiffWorkflow raises with the element's XML in the message
    body = line(user_task() + '<bpmn:boundaryEvent id="bare" name="空边界" attachedToRef="review">'
                '<bpmn:outgoing>f_b</bpmn:outgoing></bpmn:boundaryEvent>'
                '<bpmn:endEvent id="end_b"><bpmn:incoming>f_b</bpmn:incoming></bpmn:endEvent>',
                "review", "review", flow("f_b", "bare", "end_b"))
    problem = refused(small_sqlite, [bpmn(body)], "parse", "bare")
    assert problem.reason == "SpiffWorkflow cannot run this bpmn:boundaryEvent: Unsupported Catch Event"
    assert problem.name == "空边界" and "<" not in problem.reason


def test_spiffworkflow_validation_message_names_the_element(small_sqlite):
    body = line(user_task(extra="<bpmn:standardLoopCharacteristics />"), "review", "review")
    problem = refused(small_sqlite, [bpmn(body)], "parse", "review")
    assert problem.reason == ("SpiffWorkflow cannot run this bpmn:userTask: "
                              "A loopMaximum or loopCondition must be specified for Loop Tasks")


def test_schema_problem_is_one_short_line(small_sqlite):
    body = line(user_task() + '<bpmn:association id="a1" sourceRef="review" targetRef="review" />'
                '\n<bpmn:userTask id="late" />', "review", "review")
    problem = refused(small_sqlite, [bpmn(body)], "schema", "late")  # flow elements come before artifacts
    assert "{http" not in problem.reason and "bpmn:userTask" in problem.reason


# -- recursion --------------------------------------------------------------------------------------------
def caller(pid: str, calls: str | None, call_id: str = "call") -> SourceFile:
    if calls is None:
        return bpmn(line(user_task(), "review", "review"), pid=pid)
    return bpmn(line(f'<bpmn:callActivity id="{call_id}" name="调用" calledElement="{calls}">'
                     '<bpmn:incoming>f_in</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing></bpmn:callActivity>',
                     call_id, call_id), pid=pid)


def test_process_calling_itself_is_refused(small_sqlite):
    problem = refused(small_sqlite, [caller("loop_a", "loop_a")], "recursive_call", "call")
    assert problem.reason.startswith("recursive call loop_a -> loop_a:") and problem.name == "调用"


def test_cycle_within_the_batch_is_refused_on_every_call(small_sqlite):
    sources = [caller("loop_a", "loop_b", "call_b"), caller("loop_b", "loop_c", "call_c"),
               caller("loop_c", "loop_a", "call_a")]
    problem = refused(small_sqlite, sources, "recursive_call", "call_b")
    assert "loop_a -> loop_b -> loop_c -> loop_a" in problem.reason
    refused(small_sqlite, sources, "recursive_call", "call_c")
    refused(small_sqlite, sources, "recursive_call", "call_a")


def test_cycle_through_a_deployed_process_is_refused(small):
    small.deploy([caller("loop_a", None)], "owen")
    small.deploy([caller("loop_b", "loop_a")], "owen")           # loop_b -> loop_a (v1 calls nothing)
    problem = refused(small, [caller("loop_a", "loop_b")], "recursive_call", "call")  # loop_a v2 -> loop_b
    assert "loop_a -> loop_b -> loop_a" in problem.reason
    assert [d.version for d in small.definitions() if d.process_id == "loop_a"] == [1]


def test_calls_without_a_cycle_deploy(small_sqlite):
    # callers listed before their callees: the batch still deploys every callee first
    deployed = small_sqlite.deploy([caller("loop_a", "loop_b", "call_b"), caller("loop_d", "loop_b", "call_b2"),
                                    caller("loop_b", "loop_c", "call_c"), caller("loop_c", None)], "owen")
    assert [d.process_id for d in deployed] == ["loop_c", "loop_b", "loop_a", "loop_d"]
    assert sorted(d.process_id for d in deployed) == ["loop_a", "loop_b", "loop_c", "loop_d"]
