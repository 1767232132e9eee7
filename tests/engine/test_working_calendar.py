"""The working calendar's helpers on real dates (China's 2025 and 2026 holidays and 调休), the same calendar
in a sandbox process, and the `approvals calendar` command."""
from __future__ import annotations

import json
from datetime import date

import pytest

from engine.runtime import helpers, sandbox, workdays
from engine.runtime.workdays import Calendar
from tests.conftest import DATA
from tests.engine.test_cli import cli  # noqa: F401 - the command, on a database of its own


def at(day: str, clock: str = "09:00") -> str:
    return f"{day}T{clock}:00+08:00"


def utc(value: str) -> str:
    return helpers.add_hours(value, 0)


def test_the_package_knows_2025_and_2026_and_not_2027():
    assert {2025, 2026} <= workdays.OFFICIAL_YEARS and 2027 not in workdays.OFFICIAL_YEARS


@pytest.mark.parametrize("day, worked", [
    ("2025-09-30", True), ("2025-10-01", False), ("2025-10-06", False), ("2025-10-08", False),
    ("2025-10-09", True), ("2025-10-11", True),   # National Day 2025: 1–8 October off, Saturday 11th worked
    ("2025-09-28", True),                          # the Sunday before it, worked too
    ("2025-10-12", False),
    ("2026-02-14", True), ("2026-02-15", False), ("2026-02-23", False), ("2026-02-24", True),
    ("2026-02-28", True),                          # Spring Festival 2026: 15–23 February off; two Saturdays worked
    ("2026-11-28", False), ("2026-11-27", True),
])
def test_is_working_day_follows_the_official_calendar(day, worked):
    assert helpers.is_working_day(day) is worked


def test_a_time_is_read_in_beijing():
    # 30 September 17:00 UTC is 1 October 01:00 in Beijing: a holiday
    assert helpers.is_working_day("2025-09-30T17:00:00+00:00") is False
    assert helpers.is_working_day("2025-09-30T15:00:00+00:00") is True


def test_add_working_days_across_national_day_and_spring_festival():
    assert helpers.add_working_days(at("2025-09-30"), 5) == utc(at("2025-10-14"))  # 9, 10, Sat 11, 13, 14
    assert helpers.add_working_days(at("2025-09-30"), 1) == utc(at("2025-10-09"))
    assert helpers.add_working_days(at("2026-02-13"), 1) == utc(at("2026-02-14"))  # a Saturday worked
    assert helpers.add_working_days(at("2026-02-14"), 1) == utc(at("2026-02-24"))
    assert helpers.add_working_days(at("2025-10-14"), -5) == utc(at("2025-09-30"))
    assert helpers.add_working_days(at("2025-10-14"), 0) == utc(at("2025-10-14"))
    assert helpers.add_business_days(at("2025-09-30"), 5) == utc(at("2025-10-14"))  # the old name, same calendar
    with pytest.raises(ValueError, match="at most 10,000"):
        helpers.add_working_days(at("2025-09-30"), 10_001)


def test_working_days_between():
    assert helpers.working_days_between(at("2025-09-30"), at("2025-10-14")) == 5
    assert helpers.working_days_between(at("2025-10-14"), at("2025-09-30")) == -5
    assert helpers.working_days_between("2025-10-01", "2025-10-08") == 0
    assert helpers.working_days_between("2026-02-13", "2026-02-28") == 6  # Sat 14, 24–27, Sat 28


def test_add_working_hours_within_the_working_day():
    # 08:30–12:00 and 13:00–17:30
    assert helpers.add_working_hours(at("2026-11-23", "09:00"), 2) == utc(at("2026-11-23", "11:00"))
    assert helpers.add_working_hours(at("2026-11-23", "11:00"), 2) == utc(at("2026-11-23", "14:00"))  # lunch
    assert helpers.add_working_hours(at("2026-11-27", "16:30"), 2) == utc(at("2026-11-30", "09:30"))  # weekend
    assert helpers.add_working_hours(at("2025-09-30", "16:30"), 2) == utc(at("2025-10-09", "09:30"))  # holiday
    assert helpers.add_working_hours(at("2026-11-23", "06:00"), 1) == utc(at("2026-11-23", "09:30"))  # before work
    assert helpers.add_working_hours(at("2026-11-23", "08:30"), 8) == utc(at("2026-11-23", "17:30"))
    with pytest.raises(ValueError, match="between 0 and"):
        helpers.add_working_hours(at("2026-11-23"), -1)


def test_working_hours_are_configurable(monkeypatch):
    monkeypatch.setenv("APPROVALS_WORKING_HOURS", "09:00-18:00")
    assert helpers.add_working_hours(at("2026-11-23", "17:00"), 2) == utc(at("2026-11-24", "10:00"))
    with pytest.raises(ValueError, match="spans must run forward"):
        workdays.parse_hours("12:00-08:00")
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        workdays.parse_hours("8 to 5")


def test_entered_days_come_before_the_official_calendar():
    calendar = Calendar({date(2025, 10, 9): False, date(2025, 10, 12): True})  # a closure; a Sunday worked
    with workdays.using(lambda: calendar):
        assert helpers.add_working_days(at("2025-09-30"), 5) == utc(at("2025-10-14"))  # 10, 11, 12, 13, 14
        assert helpers.is_working_day("2025-10-12") is True
    assert helpers.is_working_day("2025-10-12") is False  # outside, the official calendar alone


def test_a_year_nobody_knows_counts_monday_to_friday_and_is_noted():
    calendar = Calendar()
    with workdays.using(lambda: calendar):
        assert helpers.add_working_days(at("2026-12-31"), 2) == utc(at("2027-01-04"))  # Fri 1, Mon 4
    assert calendar.beyond == {2027}
    known = Calendar({date(2027, 1, 1): False}, frozenset({2027}))
    with workdays.using(lambda: known):
        assert helpers.add_working_days(at("2026-12-31"), 2) == utc(at("2027-01-05"))
    assert known.beyond == set()


def test_the_calendar_is_read_once_and_only_when_a_helper_asks():
    reads = []

    def load():
        reads.append(1)
        return Calendar()

    with workdays.using(load):
        helpers.add_days(at("2025-09-30"), 1)
        assert reads == []
        helpers.add_working_days(at("2025-09-30"), 1)
        helpers.is_working_day("2025-10-11")
        assert reads == [1]


def test_a_sandbox_process_sees_the_same_calendar():
    calendar = Calendar({date(2025, 10, 9): False})
    with workdays.using(lambda: calendar):
        assert sandbox.run("eval", "add_working_days(t, 5)", {"t": at("2025-09-30")}) == utc(at("2025-10-15"))
        assert sandbox.run("eval", "add_working_days(t, 1)", {"t": at("2026-12-31")}) == utc(at("2027-01-01"))
    assert calendar.beyond == {2027}  # noted in the sandbox, reported back


def test_the_calendar_command(cli):
    cli("users", "import", str(DATA / "users.yaml"))
    shown = cli("calendar", "show", "2025").stdout
    assert "2025: official calendar known" in shown and "2025-10-11\tworking\tadjusted\tNational Day" in shown
    refused = cli("--json", "calendar", "set", "2026-12-31", "--off", "--name", "年终盘点", "--as", "alice", ok=False)
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["reason"] == "not_owner"
    bad = cli("calendar", "set", "2026-02-30", "--off", "--name", "x", "--as", "owen", ok=False)
    assert bad.returncode == 1 and "is not a date" in bad.stderr
    made = json.loads(cli("--json", "calendar", "set", "2026-12-31", "--off", "--name", "年终盘点", "--as", "owen").stdout)
    assert made["entry"]["day"] == "2026-12-31" and made["entry"]["working"] is False
    assert "2026-12-31\toff\tclosure\t年终盘点\t(entered by owen)" in cli("calendar", "show", "2026").stdout
    assert "NOT known" in cli("calendar", "show", "2027").stdout
    assert "follows China's official calendar again" in cli("calendar", "remove", "2026-12-31", "--as", "owen").stdout
    gone = cli("--json", "calendar", "remove", "2026-12-31", "--as", "owen", ok=False)
    assert json.loads(gone.stdout)["reason"] == "not_entered"
