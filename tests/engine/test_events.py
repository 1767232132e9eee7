"""Messages, signals and timer start events between instances, each step on a new Engine."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from engine import Engine
from engine.storage.db import make_engine
from engine.errors import EventRefused, NotAllowed, NotFound
from tests.conftest import DATA, build_engine
from tests.restart import RestartingEngine

EVENTS = DATA / "events"


@pytest.fixture
def eng(database_url, clock):
    """A restarting engine: every call below is a new Engine on the same database."""
    base = build_engine(database_url, clock, DATA / "users.yaml", DATA / "forms")
    yield RestartingEngine(base.sa_engine, forms_dir=DATA / "forms", clock=clock)
    base.sa_engine.dispose()


def kinds(eng, instance_id):
    return [(e.kind, e.bpmn_id) for e in eng.audit_trail(instance_id)]


def events_of(eng, instance_id, kind):
    return [e.data for e in eng.audit_trail(instance_id) if e.kind == kind]


def only_task(eng, instance_id, bpmn_id):
    [task] = [t for t in eng.open_tasks(instance_id) if t.bpmn_id == bpmn_id]
    return task


def test_collaboration_deploys_every_pool_and_messages_flow_between_instances(eng):
    deployed = eng.deploy_paths([EVENTS / "orders.bpmn"], "owen")
    assert sorted(d.process_id for d in deployed) == ["fulfil_flow", "order_flow"]
    # the supplier's process starts on a message only: nobody starts it by hand
    with pytest.raises(NotAllowed) as refused:
        eng.start("fulfil_flow", "alice", {})
    assert refused.value.reason == "event_start"

    a1 = eng.start("order_flow", "alice", {"order_no": "A1", "qty": 3})
    a2 = eng.start("order_flow", "alice", {"order_no": "A2", "qty": 5})
    # each order's message started a fulfilment instance, in the same transaction
    sent = events_of(eng, a1.id, "message_sent")
    assert len(sent) == 1 and sent[0]["name"] == "order_placed" and len(sent[0]["started"]) == 1
    f1 = sent[0]["started"][0]
    f2 = events_of(eng, a2.id, "message_sent")[0]["started"][0]
    started = eng.audit_trail(f1)[0]
    assert started.kind == "started" and started.data["by"] == "message" and started.data["from_instance"] == a1.id
    assert eng.waiting_for(a1.id) == [("message", "order_confirmed")]
    assert eng.instance(a1.id).status == "running"

    # the second supplier confirms first: only A2's order moves on (correlation by order number)
    eng.complete(only_task(eng, f2, "confirm").id, "bob", {})
    assert eng.instance(a2.id).status == "completed"
    assert eng.instance(a1.id).status == "running"
    received = events_of(eng, a2.id, "message_received")
    assert received == [{"name": "order_confirmed", "payload": {"order_no": "A2", "ok": True}, "from_instance": f2}]
    assert eng.data(a2.id)["confirmation"] == {"order_no": "A2", "ok": True}
    eng.complete(only_task(eng, f1, "confirm").id, "bob", {})
    assert eng.instance(a1.id).status == "completed"
    assert eng.waiting_for(a1.id) == []
    assert eng.verify_audit()[1] == []


def test_a_message_from_outside_goes_to_the_instance_it_correlates_with(eng):
    eng.deploy_paths([EVENTS / "orders.bpmn"], "owen")
    a1 = eng.start("order_flow", "alice", {"order_no": "A1", "qty": 1})
    a2 = eng.start("order_flow", "alice", {"order_no": "A2", "qty": 1})
    with pytest.raises(NotAllowed):  # only process owners and integrations send events
        eng.send_message("order_confirmed", "alice", {"order_no": "A2"}, {"order_key": {"order_no": "A2"}})
    with pytest.raises(NotFound) as nobody:
        eng.send_message("order_confirmed", "owen", {"order_no": "A9"}, {"order_key": {"order_no": "A9"}})
    assert nobody.value.reason == "no_receiver"
    view = eng.send_message("order_confirmed", "owen", {"order_no": "A2", "ok": False},
                            {"order_key": {"order_no": "A2"}})
    assert view.delivered == (a2.id,) and view.started == ()
    assert eng.instance(a2.id).status == "completed"
    assert eng.instance(a1.id).status == "running"
    assert events_of(eng, a2.id, "message_received")[0]["by"] == "owen"
    # a payload the receiver's correlation cannot read is refused, and the instance keeps waiting
    with pytest.raises(EventRefused) as refused:
        eng.send_message("order_confirmed", "owen", {"ok": True}, {"order_key": {"order_no": "A1"}},
                         instance_id=a1.id)
    assert "order_no" in refused.value.message
    assert eng.waiting_for(a1.id) == [("message", "order_confirmed")]
    # without the correlation it is not A1's message
    with pytest.raises(NotFound):
        eng.send_message("order_confirmed", "owen", {"order_no": "A1"}, instance_id=a1.id)
    # by instance id
    view = eng.send_message("order_confirmed", "owen", {"order_no": "A1", "ok": True},
                            {"order_key": {"order_no": "A1"}}, instance_id=a1.id)
    assert view.delivered == (a1.id,)
    assert eng.instance(a1.id).status == "completed"


def test_a_signal_reaches_every_waiting_instance_and_starts_processes(eng):
    eng.deploy_paths([EVENTS / "signals.bpmn", EVENTS / "recall_start.bpmn", EVENTS / "signal_thrower.bpmn"], "owen")
    w1 = eng.start("recall_waiter", "alice", {})
    w2 = eng.start("recall_waiter", "alice", {})
    view = eng.broadcast_signal("recall", "owen", {"batch": "B-7"})
    assert sorted(view.delivered) == sorted([w1.id, w2.id]) and len(view.started) == 1
    for w in (w1, w2):
        assert eng.instance(w.id).status == "completed"
        assert events_of(eng, w.id, "signal_received")[0]["payload"] == {"batch": "B-7"}
        assert eng.data(w.id)["recall"] == {"batch": "B-7"}
    report = view.started[0]
    assert [t.bpmn_id for t in eng.open_tasks(report)] == ["report"]

    # thrown by an instance's throw event: waiting instances and the report process get it
    w3 = eng.start("recall_waiter", "alice", {})
    announcer = eng.start("recall_announce", "alice", {"batch": "B-8"})
    eng.complete(only_task(eng, announcer.id, "decide").id, "alice", {})
    sent = events_of(eng, announcer.id, "signal_sent")
    assert sent[0]["delivered_to"] == [w3.id] and len(sent[0]["started"]) == 1
    assert events_of(eng, w3.id, "signal_received")[0] == {"name": "recall", "payload": {"batch": "B-8"},
                                                          "from_instance": announcer.id}


def test_timer_start_event_starts_one_instance_per_due_time(eng, clock):
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc))
    eng.deploy_paths([EVENTS / "daily.bpmn"], "owen")
    assert eng.scheduled_starts() == [("daily_check", datetime(2026, 11, 24, tzinfo=timezone.utc), 0)]
    assert eng.fire_due_timers(clock()) == 0
    # at the due instant exactly, not a tick later
    clock.set(datetime(2026, 11, 24, tzinfo=timezone.utc))
    assert eng.fire_due_timers(clock()) == 1
    assert eng.fire_due_timers(clock()) == 0
    # the worker was down for two days: one instance per missed due time, and the cycle ends after 3
    clock.advance(days=5)
    assert eng.fire_due_timers(clock()) == 2
    assert eng.scheduled_starts() == [("daily_check", None, 3)]
    assert eng.count_instances("daily_check") == 3
    starts = [eng.audit_trail(i.id)[0].data for i in eng.instances("daily_check")]
    assert sorted(d["due"] for d in starts) == ["2026-11-24T00:00:00+00:00", "2026-11-25T00:00:00+00:00",
                                               "2026-11-26T00:00:00+00:00"]


def test_two_workers_start_each_due_time_once(database_url, clock):
    base = build_engine(database_url, clock, DATA / "users.yaml", DATA / "forms")
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc))
    base.deploy_paths([EVENTS / "daily.bpmn"], "owen")
    when = datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker():
        try:
            eng = Engine(make_engine(database_url), forms_dir=DATA / "forms", clock=clock)
            results.append(eng.fire_due_timers(when))
            eng.sa_engine.dispose()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(results) == 3
    with base.session() as s:
        from sqlalchemy import func, select
        from engine.storage.models import ProcessInstance
        assert s.scalar(select(func.count()).select_from(ProcessInstance)) == 3
    base.sa_engine.dispose()


def test_receive_task_and_message_boundary_event(eng):
    eng.deploy_paths([EVENTS / "payment.bpmn"], "owen")
    inst = eng.start("payment", "alice", {})
    assert eng.open_tasks(inst.id) == [] and eng.waiting_for(inst.id) == [("message", "payment_received")]
    eng.send_message("payment_received", "owen", {"amount": 100})
    assert eng.data(inst.id)["payment"] == {"amount": 100}
    assert [t.bpmn_id for t in eng.open_tasks(inst.id)] == ["ship"]
    # while the goods wait to be shipped, the customer withdraws: the task is cancelled
    assert eng.waiting_for(inst.id) == [("message", "order_withdrawn")]
    eng.send_message("order_withdrawn", "owen", {"reason": "changed mind"}, instance_id=inst.id)
    assert eng.instance(inst.id).status == "completed" and eng.open_tasks(inst.id) == []
    assert [t.status for t in eng.instance_tasks(inst.id)] == ["cancelled"]
    assert eng.data(inst.id)["withdrawal"] == {"reason": "changed mind"}
