"""工作日历 in the browser's pages and the API: everyone reads it, process owners enter and remove days."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.web.conftest import login, start_request
from tests.web.test_api import auth

CST = timezone(timedelta(hours=8))


def test_the_year_shows_holidays_adjusted_days_and_closures(client, web_engine):
    web_engine.set_calendar_day("2025-12-31", False, "年终盘点", "owen")
    login(client, "alice")
    page = client.get("/calendar/?year=2025").text
    assert "工作日历 2025" in page
    assert 'data-day="2025-10-01" data-working="0"' in page and 'class="day holiday" data-day="2025-10-01"' in page
    assert 'class="day adjusted" data-day="2025-10-11" data-working="1"' in page  # 调休 Saturday
    assert 'class="day closure" data-day="2025-12-31"' in page and "年终盘点" in page
    assert 'title="国庆节"' in page and 'title="春节"' in page
    assert 'id="enter-day"' not in page and "只有流程管理员可以录入停工日和节假日" in page
    assert 'id="year-unknown"' not in page


def test_a_process_owner_enters_and_removes_a_closure(client, web_engine):
    login(client, "owen")
    assert 'href="/calendar/"' in client.get("/calendar/").text  # in the navigation
    response = client.post("/calendar/days?year=2026", data={"day": "2026-12-31", "working": "0", "name": "年终盘点"})
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "2026-12-31 已设为休息日：年终盘点。" in page
    assert 'class="day closure" data-day="2026-12-31"' in page and "欧文" in page
    assert web_engine.add_working_days(datetime(2026, 12, 30, 9, 0, tzinfo=CST), 1) == datetime(2027, 1, 1, 1, 0,
                                                                                                tzinfo=timezone.utc)
    response = client.post("/calendar/days/2026-12-31/remove")
    assert "2026-12-31 恢复按国家日历安排。" in client.get(response.location).text
    assert not web_engine.calendar_year(2026).dates[-1].entry
    again = client.post("/calendar/days/2026-12-31/remove")  # a second tab, say
    assert again.status_code == 404 and "这一天没有录入工作日历，无需删除。" in again.text
    far = client.get("/calendar/?year=1999")
    assert far.status_code == 404 and "工作日历只覆盖2000年至2100年。" in far.text


def test_bad_input_is_explained_and_kept(client, web_engine):
    login(client, "owen")
    response = client.post("/calendar/days?year=2026", data={"day": "2026-13-45", "working": "1", "name": "加班"})
    assert response.status_code == 422
    assert "请按 年-月-日 填写日期，例如 2026-12-31。" in response.text and 'value="加班"' in response.text
    response = client.post("/calendar/days?year=2026", data={"day": "2026-12-26", "working": "1", "name": " "})
    assert response.status_code == 422
    assert "请写明这一天是什么" in response.text and 'value="2026-12-26"' in response.text
    assert 'name="working" value="1" checked' in response.text
    assert [d for d in web_engine.calendar_year(2026).dates if d.entry] == []


def test_a_colleague_who_is_not_a_process_owner_is_refused_in_words(client, web_engine):
    login(client, "alice")
    response = client.post("/calendar/days", data={"day": "2026-12-31", "working": "0", "name": "年终盘点"})
    assert response.status_code == 403 and "只有流程管理员可以执行此操作。" in response.text
    web_engine.set_calendar_day("2026-12-31", False, "年终盘点", "owen")
    assert client.post("/calendar/days/2026-12-31/remove").status_code == 403
    assert web_engine.calendar_year(2026).dates[-1].kind == "closure"


def test_an_unknown_year_says_so(client, web_engine, clock):
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=CST))
    login(client, "owen")
    page = client.get("/calendar/?year=2027").text
    assert 'id="year-unknown"' in page and "2027年的国家法定节假日尚未知晓" in page
    assert "2027年的国家法定节假日尚未录入" in client.get("/calendar/?year=2026").text
    client.post("/calendar/days?year=2027", data={"day": "2027-01-01", "working": "0", "name": "元旦",
                                                  "official": "1"})
    page = client.get("/calendar/?year=2027").text
    assert 'id="year-unknown"' not in page and 'class="day holiday" data-day="2027-01-01"' in page


def test_a_task_due_after_the_weekend_is_soon_on_friday_evening(client, web_engine, clock):
    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=CST))  # Friday; the manager has three days: Monday 09:00
    start_request(web_engine)
    login(client, "bob")
    clock.set(datetime(2026, 11, 27, 18, 0, tzinfo=CST))  # 63 hours, but one working day, away
    assert "badge soon" in client.get("/inbox?tab=group").text
    clock.set(datetime(2026, 11, 26, 18, 0, tzinfo=CST))  # Thursday evening: Friday is a whole working day
    assert "badge soon" not in client.get("/inbox?tab=group").text


def test_the_api_reads_and_changes_the_calendar(client, web_engine):
    year = client.get("/api/v1/calendar/2025", headers=auth("alice")).json
    assert year["known"] is True and len(year["dates"]) == 365
    oct11 = next(d for d in year["dates"] if d["day"] == "2025-10-11")
    assert (oct11["working"], oct11["kind"], oct11["name"]) == (True, "adjusted", "National Day")

    refused = client.put("/api/v1/calendar/days/2026-12-31", headers=auth("alice"),
                         json={"working": False, "name": "年终盘点"})
    assert refused.status_code == 403 and refused.json["reason"] == "not_owner"
    bad = client.put("/api/v1/calendar/days/2026-12-31", headers=auth("owen"), json={"working": "no", "name": "x"})
    assert bad.status_code == 400 and "working" in bad.json["message"]
    bad = client.put("/api/v1/calendar/days/31-12-2026", headers=auth("owen"), json={"working": False, "name": "x"})
    assert bad.status_code == 422 and bad.json["fields"]["day"].startswith("'31-12-2026' is not a date")
    made = client.put("/api/v1/calendar/days/2026-12-31", headers=auth("owen"),
                      json={"working": False, "name": "年终盘点"})
    assert made.status_code == 200 and made.json["created_by"] == "owen"
    assert client.get("/api/v1/calendar/2026", headers=auth("bob")).json["dates"][-1]["kind"] == "closure"
    assert client.delete("/api/v1/calendar/days/2026-12-31", headers=auth("owen")).status_code == 204
    gone = client.delete("/api/v1/calendar/days/2026-12-31", headers=auth("owen"))
    assert gone.status_code == 404 and gone.json["reason"] == "not_entered"
    assert client.get("/api/v1/calendar/1999", headers=auth("bob")).status_code == 404
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"put", "delete"} <= set(paths["/calendar/days/{day}"]) and "/calendar/{year}" in paths

