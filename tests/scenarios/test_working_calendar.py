"""The working calendar in the procedures' deadlines (issue 14, item 1): China's holidays and 调休, company
closures entered by a process owner, and years the official calendar does not cover."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine import NotAllowed
from engine.clock import parse_iso
from tests.conftest import WORKFLOWS
from tests.scenarios.test_complaint_handling import INVESTIGATION, notices, record, registration
from tests.scenarios.walk import do, task_data, task_for

PROCESS = "complaint_handling"
CST = timezone(timedelta(hours=8))


@pytest.fixture
def eng(engine):
    engine.deploy_paths([WORKFLOWS / "complaint_handling.bpmn"], "luoming")
    return engine


def register(eng, clock):
    """A complaint registered now; the worker's turn follows (on a busy machine SQLite's short leash leaves
    the registration's script to it)."""
    inst = eng.start(PROCESS, "liuyang", registration(clock))
    eng.fire_due_timers()
    return inst


def test_a_complaint_received_on_30_september_is_due_after_the_national_day_holiday(eng, clock):
    clock.set(datetime(2025, 9, 30, 10, 0, tzinfo=CST))  # Tuesday; 1-8 October off, Saturday 11th worked
    inst = register(eng, clock)
    investigate = task_for(eng, "zhengkai", inst, "investigate")
    due = parse_iso(task_data(eng, investigate)["resolution_due"])
    # 9th, 10th, Saturday 11th (调休), 13th, 14th: five working days
    assert due == datetime(2025, 10, 14, 10, 0, tzinfo=CST)
    do(eng, "zhengkai", inst, "investigate", INVESTIGATION)
    assert task_for(eng, "hetao", inst, "corrective").due_at == due

    clock.set(datetime(2025, 10, 13, 18, 0, tzinfo=CST))  # a Monday–Friday count would have escalated by now
    eng.fire_due_timers()
    assert record(eng, inst).escalations == 0
    clock.set(due + timedelta(minutes=1))
    eng.fire_due_timers()
    assert [n["to"] for n in notices(eng, inst)] == ["group:gm"]
    assert not any(e.kind == "calendar_unknown" for e in eng.audit_trail(inst.id))


def test_a_company_closure_moves_the_deadline(eng, clock):
    eng.set_calendar_day("2026-11-25", False, "年度设备检修停产", "luoming")  # Wednesday
    inst = register(eng, clock)  # Monday 23 November 09:00
    due = parse_iso(task_data(eng, task_for(eng, "zhengkai", inst, "investigate"))["resolution_due"])
    assert due == datetime(2026, 12, 1, 9, 0, tzinfo=CST)  # 24, 26, 27, 30 November, 1 December

    eng.set_calendar_day("2026-11-25", False, "年度设备检修停产（全厂）", "luoming")  # replaces the entry
    eng.remove_calendar_day("2026-11-25", "luoming")
    changes = [e.data for e in eng.search_audit(kind="calendar_changed")]
    assert [c.get("name") for c in changes] == ["年度设备检修停产", "年度设备检修停产（全厂）", None]
    assert changes[1]["previous"] == {"working": False, "official": False, "name": "年度设备检修停产"}
    assert changes[2]["removed"]["name"] == "年度设备检修停产（全厂）"
    assert all(e.actor == "luoming" for e in eng.search_audit(kind="calendar_changed"))
    assert eng.verify_audit()[1] == []
    again = register(eng, clock)
    due = parse_iso(task_data(eng, task_for(eng, "zhengkai", again, "investigate"))["resolution_due"])
    assert due == datetime(2026, 11, 30, 9, 0, tzinfo=CST)


def test_a_deadline_beyond_the_known_years_counts_monday_to_friday_and_says_so(eng, clock):
    clock.set(datetime(2026, 12, 29, 9, 0, tzinfo=CST))  # Tuesday; the package knows 2026, not 2027
    inst = register(eng, clock)
    due = parse_iso(task_data(eng, task_for(eng, "zhengkai", inst, "investigate"))["resolution_due"])
    assert due == datetime(2027, 1, 5, 9, 0, tzinfo=CST)  # 30, 31 Dec; Fri 1, Mon 4, Tue 5 January
    [warning] = [e for e in eng.audit_trail(inst.id) if e.kind == "calendar_unknown"]
    assert warning.data == {"years": [2027]}
    assert eng.unknown_years(clock.now) == [2027]

    # a process owner enters 2027's New Year holiday: the year is known, the deadline follows it
    eng.set_calendar_day("2027-01-01", False, "元旦", "luoming", official=True)
    assert eng.unknown_years(clock.now) == []
    later = register(eng, clock)
    due = parse_iso(task_data(eng, task_for(eng, "zhengkai", later, "investigate"))["resolution_due"])
    assert due == datetime(2027, 1, 6, 9, 0, tzinfo=CST)
    assert not any(e.kind == "calendar_unknown" for e in eng.audit_trail(later.id))


def test_only_process_owners_change_the_calendar(eng):
    with pytest.raises(NotAllowed, match="may not change the working calendar") as refused:
        eng.set_calendar_day("2026-12-31", False, "年终盘点", "liuyang")
    assert refused.value.reason == "not_owner"
    assert eng.calendar_year(2026).dates[-1].kind == "workday"
