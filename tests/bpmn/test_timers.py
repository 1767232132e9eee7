"""Timers: interrupting timer boundary on a user task, non-interrupting cycle boundary ("R2/PT1H"),
intermediate timer catch events (duration and date). Timers fire only from `fire_due_timers(now)`
on a new Engine after the clock moves; the instance's `next_timer_at` says when."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine.clock import as_utc, parse_iso

from .conftest import advance, complete, expect_open, expect_timer


def test_interrupting_timer_boundary_fires_and_cancels_the_task(bpmn, clock):
    started = as_utc(clock.now)
    raw, eng = bpmn.run_both(["timer_boundary.bpmn"], "timer_boundary", {}, [
        expect_open("approve"),
        expect_timer(hours=1),
        advance(minutes=30, fires=False),
        expect_open("approve"),
        expect_timer(minutes=30),
        advance(minutes=31, fires=True),
        expect_open(),
        expect_timer(),
    ])
    assert eng.status == "completed"
    assert eng.path == [("timer_fired", "deadline"), ("step_completed", "escalate"), ("step_completed", "end_timeout")]
    assert eng.data["escalated"] is True
    [row] = eng.tasks
    assert (row.bpmn_id, row.status, row.due_at) == ("approve", "cancelled", started + timedelta(hours=1))


def test_interrupting_timer_boundary_is_dropped_when_the_task_is_done_in_time(bpmn):
    raw, eng = bpmn.run_both(["timer_boundary.bpmn"], "timer_boundary", {}, [
        advance(minutes=59, fires=False),
        complete("approve", {"decision": "approve"}),
        expect_timer(),
        advance(hours=2, fires=False),
    ])
    assert eng.status == "completed"
    assert eng.path == [("completed", "approve"), ("step_completed", "end_done")]
    assert "escalated" not in eng.data


def test_non_interrupting_cycle_boundary_fires_twice_beside_the_task(bpmn):
    raw, eng = bpmn.run_both(["timer_cycle.bpmn"], "timer_cycle", {}, [
        expect_open("work"),
        expect_timer(hours=1),
        advance(hours=1, minutes=1, fires=True),
        expect_open("nudge", "work"),            # the task stays open beside the reminder
        expect_timer(minutes=59),
        complete("nudge"),
        advance(hours=1, fires=True),
        expect_open("nudge", "work"),
        advance(hours=3),
        expect_open("nudge", "work"),            # R2: no third reminder
        complete("work", {"result": "done"}),
        expect_open("nudge"),
        expect_timer(),
        advance(hours=5, fires=False),
        complete("nudge"),
    ])
    assert eng.status == "completed"
    assert eng.ids("completed") == ["nudge", "work", "nudge"]
    assert eng.path.count(("step_completed", "end_nudged")) == 2
    assert eng.path.count(("timer_fired", "remind")) == 1     # the cycle event ends once, after its cycles
    assert eng.data["result"] == "done"
    rows = sorted((t.bpmn_id, t.status) for t in eng.tasks)
    assert rows == [("nudge", "completed"), ("nudge", "completed"), ("work", "completed")]


def test_intermediate_timer_catch_duration_then_date(bpmn, clock):
    started = as_utc(clock.now)
    date_due = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)     # "2026-11-24T09:00:00+08:00"
    raw, eng = bpmn.run_both(["timer_intermediate.bpmn"], "timer_intermediate", {}, [
        expect_timer(hours=2),
        advance(hours=1, fires=False),
        expect_timer(hours=1),
        advance(hours=1, minutes=1, fires=True),
        expect_timer(hours=21, minutes=59),      # the date timer, from 03:01 UTC to 01:00 UTC next day
        advance(hours=21, fires=False),
        advance(hours=1, fires=True),
        expect_timer(),
    ])
    assert eng.status == "completed"
    assert eng.path == [("timer_fired", "wait_two_hours"), ("step_completed", "stamp_first"),
                        ("timer_fired", "wait_until_date"), ("step_completed", "stamp_second"),
                        ("step_completed", "end")]
    assert parse_iso(eng.data["first_at"]) == started + timedelta(hours=2, minutes=1)
    assert parse_iso(eng.data["second_at"]) == started + timedelta(hours=24, minutes=1)
    assert parse_iso(eng.data["second_at"]) > date_due
    assert (raw.data["first_at"], raw.data["second_at"]) == (eng.data["first_at"], eng.data["second_at"])


def test_engine_fires_a_timer_at_its_due_instant_with_a_new_engine(bpmn, clock):
    """`next_timer_at` drives the worker: nothing before it, the instance runs at that very instant."""
    bpmn.deploy("timer_intermediate.bpmn")
    started = as_utc(clock.now)
    instance = bpmn.engine.start("timer_intermediate", "alice", {})
    assert bpmn.engine.instance(instance.id).next_timer_at == started + timedelta(hours=2)
    clock.advance(hours=2, microseconds=-1)
    assert bpmn.engine.fire_due_timers(clock.now) == 0
    clock.advance(microseconds=1)
    assert bpmn.engine.fire_due_timers(clock.now) == 1
    view = bpmn.engine.instance(instance.id)
    assert view.next_timer_at == datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    assert parse_iso(bpmn.engine.data(instance.id)["first_at"]) == started + timedelta(hours=2)
    clock.set(datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc))
    assert bpmn.engine.fire_due_timers(clock.now) == 1
    assert bpmn.engine.instance(instance.id).status == "completed"
