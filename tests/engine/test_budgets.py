"""Scripts, expressions and templates under a time and memory budget; long work left to the worker."""
from __future__ import annotations

import threading
import time

import pytest

from engine import continuing as engine_module
from engine.runtime import bounded, sandbox, scripting, templates
from engine.runtime.budget import Budget, BudgetExceeded
from tests.engine.test_sandbox import scripted

BUDGET_SECONDS = 1.0

RUNAWAYS = {
    "endless loop": ("while True:\n    pass", "time"),
    "loop on the form's data": ("n = 0\nwhile n < total * 10**12:\n    n = n + 1", "time"),
    "huge string": ("x = 'a' * 10**10", "memory"),
    "huge list": ("x = [0] * 10**9", "memory"),
    "huge power": ("x = 2 ** 10**8", "memory"),
    "huge range": ("x = list(range(10**9))", "memory"),
    "huge comprehension": ("x = [[i] * 10**4 for i in range(10**6)]", "memory"),
    "huge join": ("x = 'ab' * 10**6\ny = x.join(x)", "memory"),
    "recursion": ("def f(n):\n    return f(n + 1) + 1\nx = f(0)", None),
}


@pytest.fixture
def budget(monkeypatch):
    monkeypatch.setenv("APPROVALS_SCRIPT_SECONDS", str(BUDGET_SECONDS))
    monkeypatch.setenv("APPROVALS_SCRIPT_MEMORY_MB", "200")
    sandbox.run("eval", "sum(x for x in range(3))", {})  # a sandbox process started: its start-up is not a script's
    return Budget.from_env()


@pytest.mark.parametrize("name", sorted(RUNAWAYS))
def test_a_runaway_script_stops_the_instance_not_the_engine(small, budget, name):
    script, kind = RUNAWAYS[name]
    small.deploy([scripted(script)], "owen")
    began = time.monotonic()
    inst = small.start("scripted", "alice", {"total": 1000, "parts": 4})
    took = time.monotonic() - began
    assert took < budget.seconds + 1.5, f"the start took {took:.1f} s"
    assert inst.status == "error"
    assert inst.error_element == "calc"
    if kind == "time":
        assert f"time budget of {budget.seconds:g} s" in inst.error
    elif kind == "memory":
        assert "memory budget" in inst.error
    else:
        assert "RecursionError" in inst.error
    # the request that started it came back; the engine goes on serving others
    other = small.start("small_approval", "dave", {"customer": "乙", "amount": 10})
    assert other.status == "running"


def test_a_looping_start_does_not_hold_up_another_users_start(small, budget):
    small.deploy([scripted("while True:\n    pass")], "owen")
    finished: dict[str, float] = {}

    def looping():
        small.start("scripted", "alice", {"total": 1, "parts": 1})
        finished["loop"] = time.monotonic()

    thread = threading.Thread(target=looping)
    thread.start()
    time.sleep(0.3)
    other = small.start("small_approval", "dave", {"customer": "乙", "amount": 10})
    finished["other"] = time.monotonic()
    thread.join(budget.seconds + 10)
    assert other.status == "running"
    assert finished["other"] < finished["loop"], "the second start waited for the looping script"


def test_bounded_code_runs_in_process_and_the_rest_in_the_sandbox(monkeypatch, small):
    calls = []
    real = sandbox.run
    monkeypatch.setattr(sandbox, "run", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    small.deploy([scripted("share = total / parts\nlabel = {'a': 1}.get('a')")], "owen")
    inst = small.start("scripted", "alice", {"total": 1000, "parts": 4})
    assert small.data(inst.id)["share"] == 250
    assert calls == []  # a plain script and the gateway's condition ran in the engine's process
    small.deploy([scripted("share = sum(total for _ in range(parts)) / parts")], "owen")
    inst = small.start("scripted", "alice", {"total": 1000, "parts": 4})
    assert small.data(inst.id)["share"] == 1000
    assert calls == ["share = sum(total for _ in range(parts)) / parts"]


@pytest.mark.parametrize("source, expected", [
    ("decision == 'approve' and amount > 10", True),
    ("esc1['escalated']", True),
    ("add_business_days(now(), 3)", True),
    ("[v for v in votes if v['decision'] == 'reject']", True),
    ("x = 1\ny = x * x", False),           # reads what it assigned: could grow step by step
    ("[v + s for v in votes]", False),     # each item combined with the whole: quadratic
    ("sum(range(n))", False),
    ("', '.join(items)", False),
    ("f'{x:>{width}}'", False),
    ("[a for b in c for a in b]", False),
])
def test_what_counts_as_bounded(source, expected):
    mode = "exec" if "\n" in source else "eval"
    assert bounded.is_bounded(source, mode) is expected


def test_size_guards_refuse_before_building(budget):
    for expression in ("'a' * 10**10", "2 ** 10**8", "1 << 10**9", "'%999999999d' % 1", "round(10**20, -10**9)"):
        with pytest.raises(scripting.ScriptFailed) as err:
            scripting.evaluate(expression, {})
        assert "memory budget" in str(err.value), expression
    assert scripting.evaluate("'ab' * 3 + 'c'", {}) == "abababc"


def test_sandbox_failures_keep_their_kind(budget):
    with pytest.raises(NameError):
        sandbox.run("eval", "sum(missing for _ in range(2))", {})
    with pytest.raises(BudgetExceeded) as err:
        sandbox.run("exec", "while True:\n    pass", {})
    assert err.value.kind == "time"
    # after a kill the next call gets a fresh sandbox process
    assert sandbox.run("eval", "sum(x for x in range(4))", {}) == 6


def test_templates_are_bounded_too(budget):
    assert templates.render("客户：{{ customer }}", {"customer": "<甲>"}) == "客户：&lt;甲&gt;"
    began = time.monotonic()
    with pytest.raises(templates.TemplateFailed) as err:
        templates.render("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", {})
    assert "time budget" in str(err.value)
    assert time.monotonic() - began < budget.seconds + 1.5
    with pytest.raises(templates.TemplateFailed):
        templates.render("{{ 'a' * 10**10 }}", {})


def test_steps_beyond_the_request_budget_continue_in_the_worker(monkeypatch, small):
    small.deploy([scripted("share = total / parts")], "owen")
    monkeypatch.setattr(engine_module, "REQUEST_STEP_SECONDS", 0.0)
    inst = small.start("scripted", "alice", {"total": 1000, "parts": 4})
    assert inst.status == "running" and small.open_tasks(inst.id) == []
    assert inst.next_timer_at is not None  # queued for the worker
    monkeypatch.setattr(engine_module, "REQUEST_STEP_SECONDS", 2.0)
    # a new engine (another process) continues it
    worker = type(small)(small.sa_engine, forms_dir=small.forms.forms_dir, clock=small.clock)
    assert worker.fire_due_timers() >= 1
    assert [t.bpmn_id for t in worker.open_tasks(inst.id)] == ["check"]
    assert worker.data(inst.id)["share"] == 250
    assert worker.instance(inst.id).next_timer_at is None


def test_a_start_saved_before_the_database_went_away_is_reported_as_saved(monkeypatch, small):
    from sqlalchemy.exc import OperationalError

    def gone(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(type(small), "_advance", gone)
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 10})
    assert inst.status == "running" and inst.next_timer_at is not None  # saved, queued for the worker
    monkeypatch.undo()
    assert small.fire_due_timers() == 1  # the worker runs its first steps: one request, not two
    assert [t.bpmn_id for t in small.open_tasks(inst.id)] == ["manager_approval"]
    assert len(small.instances(process_id="small_approval")) == 1


WRITE_THEN_LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="write_then_loop" name="先写后算" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="record" name="登记">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="touch_register" resultVariable="touched">
          <spiffworkflow:parameters/>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:scriptTask id="calc" name="计算">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>while True:
    pass</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="record"/>
    <bpmn:sequenceFlow id="f2" sourceRef="record" targetRef="calc"/>
    <bpmn:sequenceFlow id="f3" sourceRef="calc" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_script_after_a_write_runs_in_the_worker_not_under_sqlites_write_lock(sqlite_url, clock, budget):
    from sqlalchemy import text

    from engine import SourceFile
    from engine.extensions import Extension
    from tests.conftest import DATA, build_engine

    def touch_register(ctx):
        ctx.session.execute(text("UPDATE app_user SET name = name WHERE username = 'nobody'"))  # a write
        return {"ok": True}

    eng = build_engine(sqlite_url, clock, DATA / "users.yaml", DATA / "forms",
                       extensions=(Extension("test", operators={"touch_register": touch_register}),))
    eng.deploy_paths([DATA / "approval.bpmn"], "owen")
    eng.deploy([SourceFile("write_then_loop.bpmn", WRITE_THEN_LOOP.encode())], "owen")
    began = time.monotonic()
    inst = eng.start("write_then_loop", "alice", {})
    assert time.monotonic() - began < budget.seconds  # the loop was not run under the lock
    assert inst.status == "running" and inst.next_timer_at is not None
    assert eng.data(inst.id)["touched"] == {"ok": True}

    finished: dict[str, float] = {}

    def worker():
        eng.fire_due_timers()
        finished["worker"] = time.monotonic()

    thread = threading.Thread(target=worker)
    thread.start()
    time.sleep(0.3)
    other = eng.start("small_approval", "dave", {"customer": "乙", "amount": 10})
    finished["other"] = time.monotonic()
    thread.join(budget.seconds + 10)
    assert other.status == "running" and finished["other"] < finished["worker"]
    stopped = eng.instance(inst.id)
    assert stopped.status == "error" and stopped.error_element == "calc" and "time budget" in stopped.error
    eng.sa_engine.dispose()
