"""Very large diagrams deploy and run: a 5,000-task chain (no recursion limit in the way) and 3,000
parallel branches (in reasonable time); the iterative tree walks match SpiffWorkflow's own."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine import SourceFile, SpecInvalid
from engine.authoring import checks, parse_room
from engine.deploying import deploy_order
from engine.runtime import tree_walks
from engine.runtime.scripting import ScriptEngine

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DIAGRAMS = Path(__file__).resolve().parents[1] / "bpmn" / "diagrams"
HEAD = (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="{BPMN}" id="defs" '
        'targetNamespace="http://bpmn.io/schema/bpmn">\n')
LANE = '<bpmn:laneSet id="lanes"><bpmn:lane id="lane_staff" name="cs_staff"/></bpmn:laneSet>'


def chain(n: int, process_id: str = "long_chain", prefix: str = "Step") -> bytes:
    """start -> t1 -> ... -> tn -> end, every step a task for cs_staff."""
    parts = [HEAD, f'<bpmn:process id="{process_id}" name="{n} steps" isExecutable="true">', LANE,
             '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>']
    for i in range(1, n + 1):
        parts.append(f'<bpmn:task id="t{i}" name="{prefix} {i}"><bpmn:incoming>f{i - 1}</bpmn:incoming>'
                     f'<bpmn:outgoing>f{i}</bpmn:outgoing></bpmn:task>'
                     f'<bpmn:sequenceFlow id="f{i - 1}" sourceRef="{f"t{i - 1}" if i > 1 else "start"}" '
                     f'targetRef="t{i}"/>')
    parts.append(f'<bpmn:endEvent id="end"><bpmn:incoming>f{n}</bpmn:incoming></bpmn:endEvent>'
                 f'<bpmn:sequenceFlow id="f{n}" sourceRef="t{n}" targetRef="end"/></bpmn:process>'
                 '</bpmn:definitions>')
    return "\n".join(parts).encode()


def wide(n: int) -> bytes:
    """start -> parallel split -> n tasks -> parallel join -> end."""
    outs = "".join(f"<bpmn:outgoing>a{i}</bpmn:outgoing>" for i in range(1, n + 1))
    ins = "".join(f"<bpmn:incoming>b{i}</bpmn:incoming>" for i in range(1, n + 1))
    parts = [HEAD, '<bpmn:process id="wide_parallel" name="Wide" isExecutable="true">', LANE,
             '<bpmn:startEvent id="start"><bpmn:outgoing>f_s</bpmn:outgoing></bpmn:startEvent>',
             '<bpmn:sequenceFlow id="f_s" sourceRef="start" targetRef="split"/>',
             f'<bpmn:parallelGateway id="split"><bpmn:incoming>f_s</bpmn:incoming>{outs}</bpmn:parallelGateway>',
             f'<bpmn:parallelGateway id="join">{ins}<bpmn:outgoing>f_e</bpmn:outgoing></bpmn:parallelGateway>',
             '<bpmn:endEvent id="end"><bpmn:incoming>f_e</bpmn:incoming></bpmn:endEvent>',
             '<bpmn:sequenceFlow id="f_e" sourceRef="join" targetRef="end"/>']
    for i in range(1, n + 1):
        parts.append(f'<bpmn:task id="t{i}" name="Branch {i}"><bpmn:incoming>a{i}</bpmn:incoming>'
                     f'<bpmn:outgoing>b{i}</bpmn:outgoing></bpmn:task>'
                     f'<bpmn:sequenceFlow id="a{i}" sourceRef="split" targetRef="t{i}"/>'
                     f'<bpmn:sequenceFlow id="b{i}" sourceRef="t{i}" targetRef="join"/>')
    parts.append("</bpmn:process></bpmn:definitions>")
    return "\n".join(parts).encode()


def _titles(eng, user="alice"):
    return [t.title for t in eng.tasks(user)]


def test_a_5000_task_chain_deploys_starts_and_runs(small_sqlite, clock):
    limit = sys.getrecursionlimit()
    began = time.monotonic()
    [version] = small_sqlite.deploy([SourceFile("long_chain.bpmn", chain(5000))], "owen")
    assert version.process_id == "long_chain" and sys.getrecursionlimit() == limit
    inst = small_sqlite.start("long_chain", "alice")
    assert inst.status == "running" and _titles(small_sqlite) == ["Step 1"]
    for step in (1, 2):
        [task] = small_sqlite.tasks("alice")
        small_sqlite.complete(task.id, "alice")
        assert _titles(small_sqlite) == [f"Step {step + 1}"]
    # a new engine (a restart: the spec is parsed again) goes on, and cancelling drops the 4,997 tasks ahead
    from engine import Engine
    fresh = Engine(small_sqlite.sa_engine, forms_dir=small_sqlite.forms.forms_dir, clock=clock)
    [task] = fresh.tasks("alice")
    fresh.complete(task.id, "alice")
    assert _titles(fresh) == ["Step 4"]
    assert fresh.cancel(inst.id, "alice", "test").status == "cancelled"
    assert fresh.verify_audit()[1] == [] and sys.getrecursionlimit() == limit
    assert time.monotonic() - began < 60


def test_a_long_chain_previews_and_moves_to_a_new_version(small_sqlite):
    small_sqlite.deploy([SourceFile("long_chain.bpmn", chain(2500))], "owen")
    inst = small_sqlite.start("long_chain", "alice")
    renamed = SourceFile("long_chain.bpmn", chain(2500, prefix="Stage"))
    [preview] = small_sqlite.preview_deploy([renamed], "owen")
    assert preview.next_version == 2 and len([c for c in preview.changes if c.kind == "renamed"]) == 2500
    small_sqlite.deploy([renamed], "owen")
    [check] = small_sqlite.migrate("long_chain", "owen", dry_run=False)
    assert check.moved, check.reason
    assert small_sqlite.instance(inst.id).definition_version == 2
    [task] = small_sqlite.tasks("alice")
    small_sqlite.complete(task.id, "alice")
    assert _titles(small_sqlite) == ["Stage 2"]


def test_3000_parallel_branches_deploy_and_run(small_sqlite):
    began = time.monotonic()
    small_sqlite.deploy([SourceFile("wide.bpmn", wide(3000))], "owen")
    deployed = time.monotonic()
    inst = small_sqlite.start("wide_parallel", "alice")
    tasks = small_sqlite.tasks("alice")
    assert len(tasks) == 3000
    for task in tasks[:2]:
        small_sqlite.complete(task.id, "alice")
    assert len(small_sqlite.tasks("alice")) == 2998 and small_sqlite.instance(inst.id).status == "running"
    print(f"3,000 branches: deploy {deployed - began:.1f} s, start and two steps {time.monotonic() - deployed:.1f} s")
    assert deployed - began < 30


def test_a_file_past_the_limit_is_refused_with_one_line(small_sqlite, monkeypatch):
    monkeypatch.setattr(checks, "MAX_FLOW_ELEMENTS", 50)
    with pytest.raises(SpecInvalid) as refused:
        small_sqlite.deploy([SourceFile("long_chain.bpmn", chain(60))], "owen")
    [problem] = refused.value.problems
    assert problem.code == "too_large" and "62 flow elements" in problem.reason


def test_small_diagrams_parse_in_place_and_large_ones_with_room():
    where = []

    def parse():
        where.append((threading.current_thread().name, sys.getrecursionlimit()))
        return "parsed"
    limit = sys.getrecursionlimit()
    assert parse_room.with_room(parse, 40) == "parsed"
    assert parse_room.with_room(parse, 5000) == "parsed"
    assert where[0] == (threading.current_thread().name, limit)
    assert where[1] == ("approvals-parse", parse_room.frames_needed(5000))
    assert sys.getrecursionlimit() == limit

    def fails():
        raise ValueError("bad diagram")
    with pytest.raises(ValueError, match="bad diagram"):
        parse_room.with_room(fails, 5000)
    with pytest.raises(parse_room.TooLarge):
        parse_room.with_room(parse, parse_room.MAX_FLOW_ELEMENTS + 1)
    assert sys.getrecursionlimit() == limit


def test_parses_at_the_same_time_keep_the_highest_limit_until_the_last_ends():
    limit = sys.getrecursionlimit()
    inside, release, seen = threading.Event(), threading.Event(), []

    def slow():
        inside.set()
        release.wait(10)
        seen.append(sys.getrecursionlimit())

    def quick():
        seen.append(sys.getrecursionlimit())
    other = threading.Thread(target=parse_room.with_room, args=(slow, 8000))
    other.start()
    inside.wait(10)
    parse_room.with_room(quick, 2000)  # ends first: the larger need stays
    assert sys.getrecursionlimit() == parse_room.frames_needed(8000)
    release.set()
    other.join()
    assert seen == [parse_room.frames_needed(8000)] * 2 and sys.getrecursionlimit() == limit


def test_spiffworkflow_alone_cannot_parse_the_chain():
    """What the room is for: without it, SpiffWorkflow's parser runs out of frames on this chain."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(etree.fromstring(chain(5000)), filename="long_chain.bpmn")
    with pytest.raises(Exception, match="recursion"):
        parser.get_spec("long_chain")


def test_deploy_order_follows_a_long_chain_of_calls():
    def caller(i, n):
        call = (f'<bpmn:callActivity id="c" calledElement="p{i + 1}"/>' if i < n else "")
        return SourceFile(f"p{i}.bpmn", f'{HEAD}<bpmn:process id="p{i}" isExecutable="true">{call}'
                                        "</bpmn:process></bpmn:definitions>".encode())
    n = 3000
    parsed = [(s, etree.fromstring(s.data), "bpmn") for s in (caller(i, n) for i in range(1, n + 1))]
    order = [item[0].filename for item in deploy_order(parsed)]
    assert order == [f"p{i}.bpmn" for i in range(n, 0, -1)]
    cycle = [(s, etree.fromstring(s.data.replace(b'calledElement="p4"', b'calledElement="p1"')), "bpmn")
             for s in (caller(i, 4) for i in range(1, 4))]
    assert sorted(item[0].filename for item in deploy_order(cycle)) == ["p1.bpmn", "p2.bpmn", "p3.bpmn"]


# -- the iterative walks against SpiffWorkflow's own ------------------------------------------------
def _tree(workflow) -> list[tuple]:
    """The task tree, depth first: (depth, spec, state) of every task, for comparing two workflows."""
    out, stack = [], [(workflow.task_tree, 0)]
    while stack:
        task, depth = stack.pop()
        out.append((depth, task.task_spec.name, TaskState.get_name(task.state)))
        stack.extend((child, depth + 1) for child in reversed(task.children))
    return out


def _specs(files, process_id, iterative):
    parser = SpiffBpmnParser()
    for path in files:
        root = etree.parse(str(path)).getroot()
        if path.suffix == ".dmn":
            parser.add_dmn_xml(root, filename=path.name)
        else:
            parser.add_bpmn_xml(root, filename=path.name)
    spec, subs = parser.get_spec(process_id), parser.get_subprocess_specs(process_id)
    if iterative:
        tree_walks.install_on_specs(spec, subs)
    return spec, subs


START = {"amount": 5000, "again": False, "items": [1, 2], "count": 2, "note": "ok"}
ANSWER = {"decision": "approve", "result": "ok"}


def _walk(files, process_id, iterative):
    """Start, run the automatic steps and up to three human tasks, reset a branch, then cancel. Returns the
    tree after each step, every `_predict_hook` call in order and every task removed in order."""
    spec, subs = _specs(files, process_id, iterative)
    calls: list[tuple] = []
    for process_spec in [spec, *subs.values()]:
        for task_spec in process_spec.task_specs.values():
            def hook(task, _spec=task_spec, _own=task_spec._predict_hook):
                calls.append(("predict", _spec.name, TaskState.get_name(task.state)))
                _own(task)
            task_spec._predict_hook = hook
    workflow = BpmnWorkflow(spec, subs, script_engine=ScriptEngine())
    workflow.task_removed_event.connect(lambda _wf, task: calls.append(("removed", task.task_spec.name)))
    assert ("_remove_task" in workflow.__dict__) == iterative
    trees = [_tree(workflow)]
    for task in workflow.get_tasks():
        task.data.update(START)
    workflow.do_engine_steps()
    trees.append(_tree(workflow))
    for _ in range(3):
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            break
        ready[0].data.update(ANSWER)
        ready[0].run()
        workflow.do_engine_steps()
        trees.append(_tree(workflow))
    unfinished = workflow.get_tasks(state=TaskState.WAITING | TaskState.READY)
    if unfinished:
        unfinished[-1].reset_branch(None)
        trees.append(_tree(workflow))
    workflow.cancel()
    trees.append(_tree(workflow))
    return trees, calls


WALKED = [("parallel_gateway.bpmn",), ("exclusive_gateway.bpmn",), ("inclusive_gateway.bpmn",),
          ("timer_boundary.bpmn",), ("embedded_subprocess.bpmn",), ("terminate_end.bpmn",),
          ("error_boundary.bpmn",), ("event_gateway.bpmn",), ("standard_loop.bpmn",), ("mi_cardinality.bpmn",),
          ("mi_sequential.bpmn",), ("signal_event_subprocess_non_interrupting.bpmn",), ("manual_task.bpmn",),
          ("caller.bpmn", "callee.bpmn")]


@pytest.mark.parametrize("names", WALKED, ids=lambda names: names[0])
def test_the_iterative_walks_match_spiffworkflow_on_every_kind_of_element(names):
    files = [DIAGRAMS / name for name in names]
    root = etree.parse(str(files[0])).getroot()
    process_id = next(p.get("id") for p in root.iter(f"{{{BPMN}}}process") if p.get("isExecutable") != "false")
    iterative, original = _walk(files, process_id, iterative=True), _walk(files, process_id, iterative=False)
    assert iterative == original
    assert any(kind == "predict" for kind, *_ in iterative[1])


@pytest.mark.parametrize("name, diagram, process_id", [("chain.bpmn", chain(30), "long_chain"),
                                                       ("wide.bpmn", wide(20), "wide_parallel")])
def test_the_iterative_walks_match_spiffworkflow_on_long_and_wide_paths(tmp_path, name, diagram, process_id):
    (tmp_path / name).write_bytes(diagram)
    iterative, original = (_walk([tmp_path / name], process_id, iterative=flag) for flag in (True, False))
    assert iterative == original
    removed = [call for call in iterative[1] if call[0] == "removed"]
    assert len(removed) > 20  # cancelling dropped the tasks ahead, subtree by subtree
