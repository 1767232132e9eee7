"""工作日历 in a real browser: the process owner sees the year's holidays and 调休 days, enters a company
closure (a missing name is explained and nothing typed is lost), and a complaint's deadline moves past it;
a colleague who is not a process owner reads the calendar and is refused, in words, when he tries to change it."""
from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect

from tests.browser.scenarios import BEIJING
from tests.browser.test_unhappy_paths import MovableClock, as_user, plain_words, serve
from tests.scenarios.test_complaint_handling import registration


def test_a_process_owner_enters_a_closure_and_a_colleague_may_not(browser, tmp_path, artifacts):
    engine, server, clock = serve(tmp_path, "complaint_handling.bpmn")  # Monday 23 November 2026
    with server:
        owner = as_user(browser, server, "luoming")  # 罗明, 流程管理员
        owner.click("header nav >> text=工作日历")
        expect(owner.locator("h1")).to_have_text("工作日历 2026")
        expect(owner.locator("td[data-day='2026-10-01']")).to_have_class("day holiday")
        expect(owner.locator("td[data-day='2026-10-01']")).to_have_attribute("title", "国庆节")
        expect(owner.locator("td[data-day='2026-02-28']")).to_have_class("day adjusted")  # a Saturday worked
        expect(owner.locator(".notice")).to_contain_text("2027年的国家法定节假日尚未录入")

        owner.fill("#cal-day", "2026-11-25")
        owner.click("#enter-day button[type=submit]")
        expect(owner.locator("#cal-name-error")).to_have_text("请写明这一天是什么，例如：年度设备检修停产。")
        expect(owner.locator("#cal-day")).to_have_value("2026-11-25")
        owner.fill("#cal-name", "年度设备检修停产")
        owner.click("#enter-day button[type=submit]")
        expect(owner.locator(".flash-success")).to_contain_text("2026-11-25 已设为休息日：年度设备检修停产。")
        expect(owner.locator("td[data-day='2026-11-25']")).to_have_class("day closure")
        expect(owner.locator("#entered tr[data-day='2026-11-25']")).to_contain_text("罗明")
        plain_words(owner)
        owner.screenshot(path=str(artifacts / "calendar-owner.png"), full_page=True)

        inst = engine.start("complaint_handling", "liuyang", registration(clock))
        engine.fire_due_timers()  # the worker's turn: on a busy machine it runs the registration's script
        [investigate] = engine.open_tasks(inst.id)
        leader = as_user(browser, server, "zhengkai")  # 郑凯, who investigates
        leader.goto(f"{server.url}/tasks/{investigate.id}")
        expect(leader.locator("main")).to_contain_text("处理期限：2026年12月1日")  # 24, 26, 27, 30 Nov, 1 Dec

        leader.goto(f"{server.url}/calendar/?year=2026")
        expect(leader.locator("td[data-day='2026-11-25']")).to_have_class("day closure")
        expect(leader.locator("#owners-only")).to_have_text("只有流程管理员可以录入停工日和节假日。")
        expect(leader.locator("#enter-day")).to_have_count(0)
        expect(leader.locator("header nav >> text=工作日历")).to_have_count(0)
        token = leader.locator("input[name=csrf_token]").first.get_attribute("value")
        refused = leader.request.post(f"{server.url}/calendar/days/2026-11-25/remove",
                                      form={"csrf_token": token})
        assert refused.status == 403 and "只有流程管理员可以执行此操作。" in refused.text()
        assert engine.calendar_year(2026).dates[328].kind == "closure"  # 25 November is still closed


def test_a_request_whose_deadline_reaches_an_unknown_year_says_so(browser, tmp_path):
    clock = MovableClock(datetime(2026, 12, 29, 9, 0, tzinfo=BEIJING))  # 5 working days reach 2027
    engine, server, clock = serve(tmp_path, "complaint_handling.bpmn", clock=clock)
    inst = engine.start("complaint_handling", "liuyang", registration(clock))
    engine.fire_due_timers()  # the worker's turn: on a busy machine it runs the registration's script
    with server:
        applicant = as_user(browser, server, "liuyang")
        applicant.goto(f"{server.url}/requests/{inst.id}")
        line = applicant.locator("#timeline li.kind-calendar_unknown")
        expect(line).to_contain_text("期限按周一至周五计算：该年的国家法定节假日尚未知晓")
        expect(line).to_contain_text("2027")
        plain_words(applicant)
        owner = as_user(browser, server, "luoming")
        owner.goto(f"{server.url}/calendar/?year=2027")
        expect(owner.locator("#year-unknown")).to_contain_text("2027年的国家法定节假日尚未知晓")
