"""A request's whole life in a real browser: apply, approve from the inbox, see the outcome, audit it."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import serve_scenario
from tests.browser.scenarios import SCENARIOS, Scenario, Step
from tests.conftest import DATA
from web.audit import FIELDS as AUDIT_FIELDS

PHONE = {"width": 390, "height": 844}


def sign_in(browser: Browser, base: str, scenario: Scenario, user: str, **context) -> Page:
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", scenario.password(user))
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/(inbox|audit/|models/?)$"))  # where the role starts
    return page


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def apply(page: Page, scenario: Scenario, base: str) -> int:
    page.click("header nav >> text=发起申请")
    page.click(f"text={scenario.process_name}")
    expect(page).to_have_url(f"{base}/start/{scenario.process_id}")
    scenario.break_request(page)
    page.click("button[type=submit].primary")
    expect(page.locator(".form-errors")).to_be_visible()  # 422: the page says what is wrong
    expect(page.locator(".field.invalid")).to_have_count(1)
    scenario.fill_request(page)
    page.click("button[type=submit].primary")
    expect(page).to_have_url(re.compile(r"/requests/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def approve(page: Page, step: Step, shot: Callable[[Page, str], None], first: bool) -> None:
    page.click("header nav >> text=组内待认领" if step.queue == "group" else "header nav >> text=我的待办")
    item = page.locator(".task-item", has_text=step.task_title)
    expect(item).to_have_count(1)
    if first:
        shot(page, "inbox")
    if step.claim_first:
        item.locator("button", has_text="认领").click()
    else:
        item.locator("a.task-title").click()
    expect(page.locator("h1")).to_have_text(step.task_title)
    expect(page.locator("#why-not")).to_have_count(0)  # the engine's may_act: this user may act
    if step.expect:
        expect(page.locator("main")).to_contain_text(re.compile(step.expect))
    if step.fill:
        step.fill(page)
    if first:
        # Enter in a text box must not send a verdict: the first submit button is a disabled trap.
        text_box = page.locator(".task-form input[type=text]").first
        if text_box.count():
            url = page.url
            text_box.press("Enter")
            page.wait_for_timeout(300)
            assert page.url == url
        shot(page, "task")
    if step.decision is None:
        page.click(".task-form button[type=submit].primary")
    else:
        page.click(f"button[name=decision][value={step.decision}]")
    expect(page.locator(".flash-success")).to_be_visible()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_request_from_application_to_audit(browser, bpmn_js, scenario, tmp_path, artifacts):
    def shot(page: Page, what: str) -> None:  # test-artifacts/<scenario>-<page>.png
        page.screenshot(path=str(artifacts / f"{scenario.name}-{what}.png"), full_page=True)

    engine, server = serve_scenario(scenario, tmp_path)
    with server:
        base = server.url
        problems: list[str] = []

        applicant = sign_in(browser, base, scenario, scenario.applicant)
        instance_id = apply(applicant, scenario, base)  # (its 422 on purpose is logged as a console error)
        applicant.on("pageerror", lambda exc: problems.append(str(exc)))
        applicant.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        expect(applicant.locator("#instance-status")).to_have_text("进行中")

        for number, step in enumerate(scenario.steps):
            approver = sign_in(browser, base, scenario, step.user)
            approve(approver, step, shot, first=number == 0)
            approver.context.close()

        applicant.reload()
        expect(applicant.locator("#instance-status")).to_have_text(scenario.final_status)
        timeline = applicant.locator("#timeline")
        for step in scenario.steps:
            name = engine.user(step.user).name
            expect(timeline).to_contain_text(name)
        for decision in {step.decision for step in scenario.steps} - {None}:
            expected = sum(step.decision == decision for step in scenario.steps)
            expect(timeline.locator(f".badge.decision-{decision}")).to_have_count(expected)
        data = engine.data(instance_id)
        for label, pattern in scenario.record:  # the business record: the permit number, say
            value = applicant.locator("#record dt", has_text=label).locator("xpath=following-sibling::dd[1]")
            expect(value).to_have_text(re.compile(f"^{pattern}$"))
            assert value.inner_text() in json.dumps(data, ensure_ascii=False)  # the number the engine issued
        if scenario.has_layout:
            expect(applicant.locator("#diagram")).to_have_attribute("data-state", "ready")
            assert applicant.locator("#diagram .djs-shape.path-done").count() >= len(scenario.steps)
            if scenario.current_task:
                expect(applicant.locator("#diagram .djs-shape.current-task")).to_have_count(1)
                current = applicant.locator(f"#diagram [data-element-id={scenario.current_task}].current-task")
                expect(current).to_have_count(1)
                assert inside(current, applicant.locator("#diagram .canvas"))  # it opens on the open task
            check_diagram_tools(applicant)
        else:
            expect(applicant.locator("#diagram")).to_have_attribute("data-state", "no-layout")
            expect(applicant.locator("#diagram .diagram-message")).to_be_visible()
        shot(applicant, "instance")
        assert problems == [], problems
        if scenario.has_layout:  # the same page on a phone: the diagram fits the screen
            phone = sign_in(browser, base, scenario, scenario.applicant, viewport=PHONE)
            phone.goto(f"{base}/requests/{instance_id}")
            expect(phone.locator("#diagram")).to_have_attribute("data-state", "ready")
            assert no_sideways_scroll(phone)
            shot(phone, "instance-phone")
            phone.context.close()

        auditor = sign_in(browser, base, scenario, scenario.auditor)
        auditor.click("header nav >> text=审计")
        auditor.select_option("#a-process", scenario.process_id)
        auditor.fill("#a-instance", str(instance_id))
        auditor.click("button:has-text('查询')")
        rows = auditor.locator("#audit-results tbody tr")
        trail = engine.audit_trail(instance_id)
        expect(rows).to_have_count(min(len(trail), server.app.config["AUDIT_PAGE_SIZE"]))
        expect(auditor.locator("#audit-count")).to_contain_text(str(len(trail)))
        for step in scenario.steps:  # each step's completion is among the events, under its user name
            expect(rows.filter(has_text=step.user).filter(has_text="已完成")).not_to_have_count(0)
        expect(auditor.locator("#audit-results .badge.ok").first).to_be_visible()
        shot(auditor, "audit")
        with auditor.expect_download() as csv_download:
            auditor.click("#export-csv")
        rows_read = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text(encoding="utf-8-sig"))))
        assert rows_read[0][:2] == ["事件编号", "时间（UTC）"]  # headers in the auditor's language
        table = [dict(zip(AUDIT_FIELDS, row)) for row in rows_read[1:]]
        assert {r["instance_id"] for r in table} == {str(instance_id)}
        assert sum(r["kind"] == "completed" for r in table) == len(scenario.steps)
        with auditor.expect_download() as json_download:
            auditor.click("#export-json")
        body = json.loads(Path(json_download.value.path()).read_text(encoding="utf-8"))
        assert body["count"] == len(table) and body["exported_by"] == scenario.auditor
        auditor.click(f"#audit-results a[href='/requests/{instance_id}'] >> nth=0")
        expect(auditor.locator("#chain-status")).to_have_class(re.compile("ok"))
        assert auditor.locator("form[action$='/cancel']").count() == 0  # auditors never act
        applicant.context.close()
        auditor.context.close()
    engine.sa_engine.dispose()


def inside(element, frame) -> bool:
    a, b = element.bounding_box(), frame.bounding_box()
    return (a and b and a["x"] >= b["x"] and a["y"] >= b["y"] and a["x"] + a["width"] <= b["x"] + b["width"]
            and a["y"] + a["height"] <= b["y"] + b["height"])


def check_diagram_tools(page: Page) -> None:
    """Zoom buttons that change what the diagram shows; lanes named by their groups, not by group ids."""
    tools = page.locator("#diagram .diagram-tools button")
    expect(tools).to_have_text(["放大", "缩小", "适应窗口"])
    viewport = "document.querySelector('#diagram .viewport').getAttribute('transform')"
    for button in ("放大", "缩小", "适应窗口"):
        before = page.evaluate(viewport)
        page.click(f"#diagram .diagram-tools >> text={button}")
        page.wait_for_function(f"{viewport} !== {before!r}")
    lanes = page.locator("#diagram .djs-shape[data-element-id^=Lane] .djs-label")
    names = lanes.all_text_contents()
    assert names and all(re.search(r"[\u4e00-\u9fff]", name) and "_" not in name for name in names), names
    cs_manager = page.locator("#diagram [data-element-id=Lane_cs_manager] .djs-label")
    if cs_manager.count():
        expect(cs_manager).to_have_text("客户服务部经理")
    expect(page.locator("#diagram .djs-minimap")).to_have_count(1)


def serve_widgets(tmp_path):
    return serve_scenario(SCENARIOS[0], tmp_path, bpmn_files=(DATA / "web_widgets.bpmn",),
                          forms_dirs=(DATA / "web_forms",))


WIDGET_DATA = {"name": "宏达", "kind": "a", "count": 2, "areas": ["east"], "lines": [{"item": "面料", "qty": 3}]}


def collect_problems(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    return problems


def test_phone_width_keyboard_and_english(browser, tmp_path, artifacts):
    """Every widget at phone width: readable without sideways scrolling, keyboard reachable, rows added."""
    engine, server = serve_widgets(tmp_path)
    with server:
        engine.start("web_widgets", "alice", WIDGET_DATA)
        page = sign_in(browser, server.url, SCENARIOS[0], "alice", viewport=PHONE)
        problems = collect_problems(page)
        assert no_sideways_scroll(page)
        page.locator("a.task-title").first.click()
        expect(page.locator("#f-lines-0-item")).to_have_value("面料")
        assert no_sideways_scroll(page)
        rows = page.locator("[data-rows=lines] .row-entry")
        expect(rows).to_have_count(2)  # the row typed before and one spare
        page.click("button.add-row")
        expect(rows).to_have_count(3)
        expect(page.locator("#f-lines-2-item")).to_be_focused()
        page.screenshot(path=str(artifacts / "task-phone.png"), full_page=True)
        # Every control is reachable with the keyboard: tab from the first field to the submit button.
        page.locator("#f-name").focus()
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('button.primary[type=submit]')"):
                break
        else:
            pytest.fail("the submit button cannot be reached with Tab")
        page.click("text=English")
        expect(page.locator("h2#actions-h")).to_have_text("Hand over")
        assert problems == [], problems
        page.context.close()
    engine.sa_engine.dispose()


def test_diagram_marks_open_task_and_path_taken(browser, bpmn_js, tmp_path, artifacts):
    engine, server = serve_widgets(tmp_path)
    with server:
        inst = engine.start("web_widgets", "alice", WIDGET_DATA)
        page = sign_in(browser, server.url, SCENARIOS[0], "alice")
        problems = collect_problems(page)
        page.goto(f"{server.url}/requests/{inst.id}")
        expect(page.locator("#diagram")).to_have_attribute("data-state", "ready")
        expect(page.locator("#diagram .djs-shape.current-task")).to_have_count(1)
        expect(page.locator("#diagram [data-element-id=check].current-task")).to_have_count(1)
        expect(page.locator("#diagram [data-element-id=start].path-done")).to_have_count(1)
        expect(page.locator("#diagram [data-element-id=f1].path-done")).to_have_count(1)
        expect(page.locator("#diagram [data-element-id=end].path-done")).to_have_count(0)
        page.screenshot(path=str(artifacts / "instance-diagram.png"), full_page=True)
        assert problems == [], problems
        page.context.close()
    engine.sa_engine.dispose()
