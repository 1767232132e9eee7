"""Unhappy and conditional endings in a real browser: what the applicant, the next actor and the auditor see.

Each case is set up by driving the engine directly, exactly as the scenario tests do (tests/scenarios/),
then read in chromium by each role. The outcome badge must carry the end event's own words and colour
(never 「已完成」 or 「已提交」), the timeline must name who decided, and no page may show an internal word:
a `group:` id, an English status word or an ISO timestamp. One full-page screenshot per role and case lands
in test-artifacts/unhappy-<case>-<role>.png.

"""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, serve_scenario
from tests.browser.scenarios import TOUR, TOUR_NOW, TickingClock
from tests.browser.test_tour import sign_in
from tests.conftest import WORKFLOWS
from tests.scenarios.test_contract_review import CHECKS, start_review
from tests.scenarios.test_grade_change import propose, seed
from tests.scenarios.test_tour_approval import CS_OK, application

AUDITOR = TOUR.auditor  # huangyan (黄燕), the demo organisation's auditor

# The colours of web/static/app.css, as the browser computes them
GREEN = "rgb(21, 128, 61)"     # --ok: approved, done, a verified audit chain, an approving decision
RED = "rgb(185, 28, 28)"       # --bad: rejected, a rejecting decision
AMBER = "rgb(154, 91, 0)"      # expired
GREY = "rgb(74, 85, 96)"       # withdrawn, not applicable
BLUE = "rgb(29, 78, 216)"      # --brand: still running

INTERNAL = re.compile(r"group:|(?<![A-Za-z_])(?:running|completed|rejected|expired|cancelled|withdrawn|not_applicable"
                      r"|approved)(?![A-Za-z_])|\d{4}-\d{2}-\d{2}T\d{2}", re.IGNORECASE)
NEVER_FOR_AN_UNHAPPY_END = ("已完成", "已提交", "完成")

# The page's visible text. With `verbatim`, the audit trail's recorded content is left out: an automatic
# step's raw result and a notification's body, which auditors are shown exactly as recorded (web/history.py).
VISIBLE_TEXT = """(verbatim) => {
  const hide = [];
  if (verbatim) {
    document.querySelectorAll('#timeline li.kind-step_completed > dl.pairs').forEach(el => hide.push(el));
    document.querySelectorAll('#timeline li.kind-notified > dl.pairs > dt').forEach(dt => {
      if (dt.textContent.trim() === '消息内容') hide.push(dt.nextElementSibling);
    });
  }
  const before = hide.map(el => el.style.display);
  hide.forEach(el => { el.style.display = 'none'; });
  const text = document.body.innerText;
  hide.forEach((el, i) => { el.style.display = before[i]; });
  return text;
}"""


class MovableClock(TickingClock):
    """The server's ticking clock, which a test may move forward (a tour's time arriving)."""

    def __init__(self, start: datetime):
        super().__init__(start)
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return super().__call__() + self.offset

    @property
    def now(self) -> datetime:  # what the scenario tests' helpers read (tests.conftest.FakeClock.now)
        return self()

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)


def serve(tmp_path, *bpmn_names: str, clock: MovableClock | None = None):
    """The demo organisation and the real forms, only the named procedures deployed, on a ticking clock."""
    clock = clock or MovableClock(TOUR_NOW)
    scenario = dataclasses.replace(TOUR, bpmn_files=tuple(WORKFLOWS / n for n in bpmn_names), clock=lambda: clock)
    engine, server = serve_scenario(scenario, tmp_path)
    return engine, server, clock


def as_user(browser: Browser, server: LiveServer, user: str) -> Page:
    """A fresh browser context signed in as a demo user (they all share the TOUR scenario's password)."""
    return sign_in(browser, server.url, TOUR, user)


def plain_words(page: Page, verbatim: bool = False) -> None:
    """No internal word on the page as shown: no `group:` id, English status word or ISO timestamp."""
    text = page.evaluate(VISIBLE_TEXT, verbatim)
    found = sorted({m.group(0) for m in INTERNAL.finditer(text)})
    assert not found, f"{page.url} shows {found}"


def shot(page: Page, artifacts, case: str, role: str) -> None:
    diagram = page.locator("#diagram")
    if diagram.count():  # the drawing finished (or said why not) before the picture is taken
        expect(diagram).to_have_attribute("data-state", re.compile(r"\w"))
    page.screenshot(path=str(artifacts / f"unhappy-{case}-{role}.png"), full_page=True)


def task_of(engine, instance_id: int, bpmn_id: str, group: str | None = None):
    [task] = [t for t in engine.open_tasks(instance_id)
              if t.bpmn_id == bpmn_id and (group is None or t.candidate_groups == (group,))]
    return task


def request_page(page: Page, server: LiveServer, instance_id: int) -> None:
    page.goto(f"{server.url}/requests/{instance_id}")
    expect(page.locator("h1")).to_contain_text(f"#{instance_id} ")


def outcome(page: Page, label: str, code: str, colour: str) -> None:
    """The request's badge: the end event's own words, its outcome's class and colour."""
    badge = page.locator("#instance-status")
    expect(badge).to_have_text(label)
    expect(badge).to_have_class(re.compile(r"(^|\s)badge(\s|$)"))
    expect(badge).to_have_class(re.compile(rf"(^|\s)outcome-{code}(\s|$)"))
    expect(badge).to_have_css("color", colour)
    assert badge.inner_text() not in NEVER_FOR_AN_UNHAPPY_END


def still_running(page: Page) -> None:
    badge = page.locator("#instance-status")
    expect(badge).to_have_text("进行中")
    expect(badge).to_have_class(re.compile(r"(^|\s)status-running(\s|$)"))
    expect(badge).to_have_css("color", BLUE)


def ended_by_the_system(page: Page, outcome_word: str, label: str) -> None:
    """The timeline's last line: the request ended, by the system, with its outcome and end event."""
    end = page.locator("#timeline li.kind-instance_completed")
    expect(end).to_have_count(1)
    expect(end.locator(".event-head strong")).to_have_text("系统")
    expect(end.locator(".event-head .kind")).to_have_text("申请已办结")
    expect(end.locator("dt", has_text="结果").locator("xpath=following-sibling::dd[1]")).to_have_text(outcome_word)
    expect(end.locator("dt", has_text="结束于").locator("xpath=following-sibling::dd[1]")).to_have_text(label)


def decided(page: Page, who: str, step: str, decision: str, value: str, colour: str):
    """The timeline line where `who` completed `step` with `decision` (its badge in the decision's colour)."""
    line = page.locator("#timeline li.kind-completed").filter(has_text=step).filter(has_text=who)
    expect(line).to_have_count(1)
    expect(line.locator(".event-head strong")).to_have_text(who)
    badge = line.locator(f".badge.decision-{value}")
    expect(badge).to_have_text(decision)
    expect(badge).to_have_css("color", colour)
    return line


def pair(scope, label: str):
    """The <dd> after the <dt> labelled `label` inside `scope`."""
    return scope.locator("dt", has_text=re.compile(f"^{re.escape(label)}$")).locator("xpath=following-sibling::dd[1]")


def listed(page: Page, server: LiveServer, instance_id: int, label: str, badge_class: str, scope: str = "") -> None:
    """The request's row in 「我的申请」 (or all requests): the same words and class as its page."""
    page.goto(f"{server.url}/requests/{scope}")
    row = page.locator("tbody tr", has=page.locator(f"a[href='/requests/{instance_id}']"))
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text(label)
    expect(row.locator(".badge")).to_have_class(re.compile(rf"(^|\s){badge_class}(\s|$)"))
    plain_words(page)


def audited(page: Page, server: LiveServer, instance_id: int) -> None:
    """The auditor's view of the request: the hash chain verified, no action offered."""
    request_page(page, server, instance_id)
    chain = page.locator("#chain-status")
    expect(chain).to_have_class(re.compile(r"(^|\s)ok(\s|$)"))
    expect(chain).to_contain_text("审计哈希链校验通过")
    expect(chain).to_have_css("color", GREEN)
    expect(page.locator("form[action$='/cancel'], .task-form")).to_have_count(0)


def not_in_queue(page: Page, server: LiveServer, instance_id: int, tab: str = "all") -> None:
    page.goto(f"{server.url}/inbox?tab={tab}")
    expect(page.locator(".task-item", has_text=f"#{instance_id} ")).to_have_count(0)


# ---------------------------------------------------------------------------------------------------- a
def test_expired_tour_application(browser, tmp_path, artifacts):
    """A key-customer tour nobody approved before its time: the boundary timer ends it as 申请已过期."""
    engine, server, clock = serve(tmp_path, "tour_approval.bpmn")
    inst = engine.start("tour_approval", "liuyang", application(clock, "key", 96))
    review = task_of(engine, inst.id, "cs_review")
    clock.advance(hours=96, minutes=1)
    assert engine.fire_due_timers() == 1
    assert engine.instance(inst.id).outcome == "expired"
    with server:
        applicant = as_user(browser, server, "liuyang")  # 刘洋, 客户服务部人员
        request_page(applicant, server, inst.id)
        outcome(applicant, "申请已过期", "expired", AMBER)
        expect(applicant.locator(".meta")).to_contain_text("结束于")
        expect(applicant.locator("#open-h + p")).to_have_text("无：没有待处理的任务。")
        ended_by_the_system(applicant, "已过期", "申请已过期")
        expect(applicant.locator("#record")).not_to_contain_text("许可编号")  # no permit was issued
        expect(applicant.locator("form[action$='/cancel']")).to_have_count(0)  # nothing left to cancel
        plain_words(applicant)
        shot(applicant, artifacts, "expired", "applicant")
        listed(applicant, server, inst.id, "申请已过期", "outcome-expired")

        manager = as_user(browser, server, "zhangwei")  # 张伟, 客户服务部经理: the review that never came
        not_in_queue(manager, server, inst.id, "group")
        manager.goto(f"{server.url}/tasks/{review.id}")
        expect(manager.locator("h1")).to_have_text("客户服务部经理审核")
        status = manager.locator("p.meta .badge.status-cancelled")
        expect(status).to_have_text("已撤销")
        expect(status).to_have_css("color", RED)
        expect(manager.locator("#why-not")).to_have_text("此任务已不再需要。")
        expect(manager.locator(".task-form, button[name=decision]")).to_have_count(0)
        expect(manager.locator("main")).not_to_contain_text(re.compile("等待.*认领"))  # it waits for nobody
        plain_words(manager)
        shot(manager, artifacts, "expired", "next-actor")
        request_page(manager, server, inst.id)
        outcome(manager, "申请已过期", "expired", AMBER)
        plain_words(manager)

        auditor = as_user(browser, server, AUDITOR)  # 黄燕, 审计
        audited(auditor, server, inst.id)
        outcome(auditor, "申请已过期", "expired", AMBER)
        timer = auditor.locator("#timeline li.kind-timer_fired")
        expect(timer).to_have_count(1)
        expect(timer).to_contain_text("定时器触发")
        expect(timer).to_contain_text("参观时间已到")
        ended_by_the_system(auditor, "已过期", "申请已过期")
        plain_words(auditor, verbatim=True)
        shot(auditor, artifacts, "expired", "auditor")
        listed(auditor, server, inst.id, "申请已过期", "outcome-expired", "?scope=all")
        for page in (applicant, manager, auditor):
            page.context.close()
    engine.sa_engine.dispose()


# ---------------------------------------------------------------------------------------------------- b
def test_blacklist_request_found_untrue(browser, tmp_path, artifacts):
    """A blacklist report the GM office checks and finds untrue (情况不属实): 未列入黑名单, rejected."""
    engine, server, _clock = serve(tmp_path, "grade_rules.dmn", "grade_change.bpmn")
    seed(engine, "子公司", "B")
    inst = propose(engine, customer_name="子公司", kind="blacklist", proposed_grade=None, reason="疑似损害声誉",
                   evidence="网络传言")
    verify = task_of(engine, inst.id, "verify_blacklist")
    engine.complete(verify.id, "zhaomin", {"decision": "reject", "verification": "经核实不属实", "comment": "证据不足"})
    with server:
        applicant = as_user(browser, server, "sunli")  # 孙丽, 业务员 (市场部)
        request_page(applicant, server, inst.id)
        outcome(applicant, "未列入黑名单", "rejected", RED)
        line = decided(applicant, "赵敏", "总经办核实黑名单申报", "情况不属实", "reject", RED)
        expect(pair(line, "核实情况")).to_have_text("经核实不属实")
        expect(pair(line, "意见说明")).to_have_text("证据不足")
        ended_by_the_system(applicant, "已驳回", "未列入黑名单")
        expect(pair(applicant.locator("#record"), "客户")).to_have_text("子公司")
        expect(applicant.locator("#record")).not_to_contain_text("等级")  # the customer's grade did not change
        plain_words(applicant)
        shot(applicant, artifacts, "blacklist-rejected", "applicant")
        listed(applicant, server, inst.id, "未列入黑名单", "outcome-rejected")

        office = as_user(browser, server, "zhaomin")  # 赵敏, 总经办: who decided
        office.goto(f"{server.url}/inbox?tab=done")
        expect(office.locator(".task-item", has_text=f"#{inst.id} ")).to_have_count(1)
        office.locator(".task-item", has_text=f"#{inst.id} ").locator("a.task-title").click()
        expect(office.locator("h1")).to_have_text("总经办核实黑名单申报")
        expect(office.locator("p.meta .badge.status-completed")).to_have_text("已完成")  # her task, not the request
        expect(office.locator("#why-not")).to_contain_text(re.compile(r"^由 赵敏 于 .+ 完成。$"))
        expect(office.locator(".instructions")).to_contain_text("客户：子公司（现等级：B）")
        expect(office.locator(".task-form")).to_have_count(0)
        plain_words(office)
        shot(office, artifacts, "blacklist-rejected", "next-actor")
        request_page(office, server, inst.id)
        outcome(office, "未列入黑名单", "rejected", RED)
        plain_words(office)

        auditor = as_user(browser, server, AUDITOR)
        audited(auditor, server, inst.id)
        outcome(auditor, "未列入黑名单", "rejected", RED)
        decided(auditor, "赵敏", "总经办核实黑名单申报", "情况不属实", "reject", RED)
        # the applicant was told, by name (the notification's addressee, never a raw id)
        told = auditor.locator("#timeline li.kind-notified").filter(has_text="黑名单申报核实未通过")
        expect(pair(told, "转交给")).to_have_text("孙丽")
        ended_by_the_system(auditor, "已驳回", "未列入黑名单")
        plain_words(auditor, verbatim=True)
        shot(auditor, artifacts, "blacklist-rejected", "auditor")
        for page in (applicant, office, auditor):
            page.context.close()
    engine.sa_engine.dispose()


# ---------------------------------------------------------------------------------------------------- c
def test_upgrade_for_a_customer_already_at_that_grade_is_not_applicable(browser, tmp_path, artifacts):
    """An upgrade to A for a customer who is already A: 申请不适用, and nobody shown a new grade."""
    engine, server, _clock = serve(tmp_path, "grade_rules.dmn", "grade_change.bpmn")
    seed(engine, "丙公司", "A")
    seed(engine, "乙公司", "B")
    inst = propose(engine, customer_name="丙公司", kind="upgrade", proposed_grade="A", annual_volume=3_600_000,
                   reason="评价阶段表现良好", evidence="全年按期付款，无违约")
    # the same request for a B customer does apply: it waits for the head of sales, so his queue is not empty
    applies = propose(engine, customer_name="乙公司", kind="upgrade", proposed_grade="A", annual_volume=3_600_000,
                      reason="评价阶段表现良好", evidence="全年按期付款，无违约")
    assert engine.instance(inst.id).outcome == "not_applicable"
    with server:
        applicant = as_user(browser, server, "sunli")
        request_page(applicant, server, inst.id)
        outcome(applicant, "申请不适用", "not_applicable", GREY)
        ended_by_the_system(applicant, "不适用", "申请不适用")
        expect(applicant.locator("#timeline li.kind-completed")).to_have_count(0)  # nobody was asked to decide
        # why: the notice to the applicant, among the automatic steps
        applicant.locator("#timeline li.fold summary").first.click()
        told = applicant.locator("#timeline li.kind-notified").filter(has_text="客户等级调整申请不适用：丙公司")
        expect(told).to_have_count(1)
        expect(pair(told, "转交给")).to_have_text("孙丽")
        expect(pair(told, "消息内容")).to_have_text("升为A类只适用于B类、C类客户（003 3.3）")
        expect(pair(applicant.locator("#record"), "客户")).to_have_text("丙公司")
        plain_words(applicant)
        shot(applicant, artifacts, "not-applicable", "applicant")
        # the proposed grade is not a new grade: the customer is still what it was
        expect(pair(applicant.locator("#record"), "新客户等级")).to_have_count(0)
        expect(pair(applicant.locator("#record"), "申请调整为")).to_have_text("A")
        listed(applicant, server, inst.id, "申请不适用", "outcome-not_applicable")
        listed(applicant, server, applies.id, "进行中", "status-running")

        head = as_user(browser, server, "wujun")  # 吴军, 业务部主管: who would have decided had it applied
        head.goto(f"{server.url}/inbox?tab=group")
        expect(head.locator(".task-item", has_text=f"#{applies.id} ")).to_have_count(1)
        expect(head.locator(".task-item", has_text=f"#{inst.id} ")).to_have_count(0)
        plain_words(head)
        request_page(head, server, inst.id)  # he oversees the sales staff's requests: it ended before him
        outcome(head, "申请不适用", "not_applicable", GREY)
        expect(head.locator("#timeline li.kind-completed")).to_have_count(0)
        expect(head.locator("#open-h + p")).to_have_text("无：没有待处理的任务。")
        plain_words(head)
        shot(head, artifacts, "not-applicable", "next-actor")

        auditor = as_user(browser, server, AUDITOR)
        audited(auditor, server, inst.id)
        outcome(auditor, "申请不适用", "not_applicable", GREY)
        check = auditor.locator("#timeline li.kind-step_completed").filter(has_text="核对申请条件")
        expect(check).to_have_count(1)
        told = auditor.locator("#timeline li.kind-notified").filter(has_text="客户等级调整申请不适用：丙公司")
        expect(pair(told, "消息内容")).to_have_text("升为A类只适用于B类、C类客户（003 3.3）")
        ended_by_the_system(auditor, "不适用", "申请不适用")
        plain_words(auditor, verbatim=True)
        shot(auditor, artifacts, "not-applicable", "auditor")
        expect(pair(auditor.locator("#record"), "新客户等级")).to_have_count(0)
        for page in (applicant, head, auditor):
            page.context.close()
    engine.sa_engine.dispose()


# ---------------------------------------------------------------------------------------------------- d
def test_contract_vetoed_in_countersign_then_withdrawn(browser, tmp_path, artifacts):
    """Finance vetoes the countersign: the other department's review is called off, the contract goes back
    to its salesperson (still running), who withdraws it in the browser: 合同已撤回."""
    engine, server, _clock = serve(tmp_path, "contract_review.bpmn")
    inst = start_review(engine, "sunli", countersigners=[
        "group:production", "group:finance", "group:quality"])
    engine.complete(task_of(engine, inst.id, "countersign", "production").id, "fenggang",
                    {"decision": "approve", **CHECKS})
    veto = task_of(engine, inst.id, "countersign", "finance")
    engine.complete(veto.id, "gaofeng", {"decision": "reject", **CHECKS, "comment": "付款条件不明确"})
    assert [t.bpmn_id for t in engine.open_tasks(inst.id)] == ["revise"]
    with server:
        applicant = as_user(browser, server, "sunli")  # 孙丽, 业务员
        request_page(applicant, server, inst.id)
        still_running(applicant)  # returned, not ended: never 「已完成」
        decided(applicant, "冯刚", "相关部门会签", "同意", "approve", GREEN)
        line = decided(applicant, "高峰", "相关部门会签", "驳回", "reject", RED)
        expect(pair(line, "意见说明")).to_have_text("付款条件不明确")
        waiting = applicant.locator("#open-h + ul li")
        expect(waiting).to_have_count(1)
        expect(waiting).to_have_text(re.compile(r"^业务员修改合同或撤回 —\s*孙丽"))
        expect(pair(applicant.locator("#record"), "合同编号")).to_have_text(re.compile(r"^HT-2026-\d{4}$"))
        plain_words(applicant)
        shot(applicant, artifacts, "contract-vetoed", "applicant")
        listed(applicant, server, inst.id, "进行中", "status-running")

        decider = as_user(browser, server, "gaofeng")  # 高峰, 财务部: who vetoed
        decider.goto(f"{server.url}/tasks/{veto.id}")
        expect(decider.locator("h1")).to_have_text("相关部门会签")
        expect(decider.locator("#why-not")).to_contain_text(re.compile(r"^由 高峰 于 .+ 完成。$"))
        expect(decider.locator(".instructions")).to_contain_text("任何一个部门驳回即退回业务员修改")
        plain_words(decider)
        shot(decider, artifacts, "contract-vetoed", "next-actor")
        quality = as_user(browser, server, "xuhui")  # 徐慧, 品管部: her review was called off by the veto
        not_in_queue(quality, server, inst.id)
        quality.context.close()

        # the salesperson acts next: the veto is on her task, and she withdraws the contract
        applicant.goto(f"{server.url}/inbox?tab=mine")
        item = applicant.locator(".task-item", has_text=f"#{inst.id} ")
        expect(item.locator("a.task-title")).to_have_text("业务员修改合同或撤回")
        item.locator("a.task-title").click()
        expect(applicant.locator(".instructions")).to_contain_text("第 1 轮评审未通过：财务部：付款条件不明确")
        plain_words(applicant)
        shot(applicant, artifacts, "contract-vetoed", "applicant-task")
        applicant.check("input[name=action][value=withdraw]")
        applicant.fill("#f-comment", "客户不接受修改")
        applicant.click(".task-form button[type=submit].primary")
        expect(applicant.locator(".flash-success")).to_contain_text("申请已结束：合同已撤回。")
        request_page(applicant, server, inst.id)
        outcome(applicant, "合同已撤回", "withdrawn", GREY)
        ended_by_the_system(applicant, "已撤回", "合同已撤回")
        plain_words(applicant)
        shot(applicant, artifacts, "contract-vetoed", "applicant-withdrawn")
        listed(applicant, server, inst.id, "合同已撤回", "outcome-withdrawn")

        request_page(decider, server, inst.id)
        outcome(decider, "合同已撤回", "withdrawn", GREY)
        decided(decider, "高峰", "相关部门会签", "驳回", "reject", RED)
        plain_words(decider)

        auditor = as_user(browser, server, AUDITOR)
        audited(auditor, server, inst.id)
        outcome(auditor, "合同已撤回", "withdrawn", GREY)
        decided(auditor, "高峰", "相关部门会签", "驳回", "reject", RED)
        withdrawn = auditor.locator("#timeline li.kind-completed").filter(has_text="业务员修改合同或撤回")
        expect(withdrawn.locator(".event-head strong")).to_have_text("孙丽")
        expect(pair(withdrawn, "处理方式")).to_have_text("撤回合同")
        ended_by_the_system(auditor, "已撤回", "合同已撤回")
        plain_words(auditor, verbatim=True)
        shot(auditor, artifacts, "contract-vetoed", "auditor")
        for page in (applicant, decider, auditor):
            page.context.close()
    engine.sa_engine.dispose()


# ---------------------------------------------------------------------------------------------------- e
def test_key_tour_photography_consented_reaches_the_gate(browser, tmp_path, artifacts):
    """The GM consents to photography on a key-customer tour: the gatekeeper is not told to refuse cameras,
    and sees the consent and the photographer; the applicant sees the consent."""
    engine, server, clock = serve(tmp_path, "tour_approval.bpmn")
    inst = engine.start("tour_approval", "liuyang", application(clock, "key", photo_requested=True,
                                                                photo_reason="用于产品推广"))
    engine.complete(task_of(engine, inst.id, "cs_review").id, "zhangwei", {**CS_OK, "photo_opinion": "建议同意"})
    engine.complete(task_of(engine, inst.id, "gm_photo").id, "wangqiang",
                    {"decision": "approve", "photo_decision": "consent"})
    engine.complete(task_of(engine, inst.id, "designate").id, "zhangwei", {"photographer": "陈静"})
    gate = task_of(engine, inst.id, "gate")
    with server:
        gatekeeper = as_user(browser, server, "maliang")  # 马亮, 门卫
        gatekeeper.goto(f"{server.url}/inbox?tab=group")
        item = gatekeeper.locator(".task-item", has_text=f"#{inst.id} ")
        expect(item.locator("a.task-title")).to_have_text("门卫登记/发放胸卡")
        item.locator("a.task-title").click()
        expect(gatekeeper).to_have_url(f"{server.url}/tasks/{gate.id}")
        instructions = gatekeeper.locator(".instructions")
        expect(instructions).to_contain_text(re.compile(r"许可编号 CG-2026-\d{4}"))
        expect(instructions).not_to_contain_text("谢绝拍照")
        expect(instructions).to_contain_text("本次参观经总经理同意可拍照，拍照人员：陈静。")
        expect(gatekeeper.locator("main")).not_to_contain_text("谢绝拍照")
        earlier = gatekeeper.locator("ol.decisions > li")
        consent = earlier.filter(has_text="总经理审批（含拍照请示）")
        expect(consent.locator(".decision-head .muted")).to_contain_text("王强")
        expect(pair(consent, "拍照请示")).to_have_text("同意拍照")
        expect(pair(earlier.filter(has_text="指定拍照专人"), "拍照人员")).to_have_text("陈静")
        expect(gatekeeper.locator("#why-not")).to_have_count(0)  # his to do
        expect(gatekeeper.locator(".task-form")).to_have_count(1)
        plain_words(gatekeeper)
        shot(gatekeeper, artifacts, "photo-consented", "next-actor")

        applicant = as_user(browser, server, "liuyang")
        request_page(applicant, server, inst.id)
        still_running(applicant)  # approved, the visit still ahead: the gate, then the applicant's 参观完成登记
        line = decided(applicant, "王强", "总经理审批（含拍照请示）", "同意", "approve", GREEN)
        expect(pair(line, "拍照请示")).to_have_text("同意拍照")
        designated = applicant.locator("#timeline li.kind-completed").filter(has_text="指定拍照专人")
        expect(designated.locator(".event-head strong")).to_have_text("张伟")
        expect(pair(designated, "拍照人员")).to_have_text("陈静")
        expect(applicant.locator("#open-h + ul li")).to_have_text(re.compile(r"^门卫登记/发放胸卡 —\s*门卫"))
        expect(pair(applicant.locator("#record"), "许可编号")).to_have_text(re.compile(r"^CG-2026-\d{4}$"))
        plain_words(applicant)
        shot(applicant, artifacts, "photo-consented", "applicant")
        listed(applicant, server, inst.id, "进行中", "status-running")

        auditor = as_user(browser, server, AUDITOR)
        audited(auditor, server, inst.id)
        still_running(auditor)
        line = decided(auditor, "王强", "总经理审批（含拍照请示）", "同意", "approve", GREEN)
        expect(pair(line, "拍照请示")).to_have_text("同意拍照")
        sent = auditor.locator("#timeline li.kind-notified").filter(has_text="参观通知单")
        expect(sent).to_have_count(5)  # 《参观通知单》 to every department of a key-customer tour, by name
        expect(sent.locator("dt:text-is('转交给') + dd")).to_have_text(["客户服务部人员", "生产部", "技术部", "品管部", "门卫"])
        plain_words(auditor, verbatim=True)
        shot(auditor, artifacts, "photo-consented", "auditor")
        bodies = sent.locator("dt:text-is('消息内容') + dd").all_inner_texts()
        # the notice gives the tour time as people read it (local_time in the diagram), never an ISO value
        assert bodies and not [b for b in bodies if INTERNAL.search(b)], bodies
        assert all(re.search(r"参观时间 2026-\d\d-\d\d \d\d:\d\d，", b) for b in bodies), bodies
        for page in (gatekeeper, applicant, auditor):
            page.context.close()
    engine.sa_engine.dispose()


# ---------------------------------------------------------------------------------------------------- f
def test_contract_revision_to_finance_alone_is_refused_in_words(browser, tmp_path, artifacts):
    """001 3.3.3: after a veto the salesperson may not leave the review to finance alone; the form says
    the rule, and the contract stays with her to revise."""
    engine, server, _clock = serve(tmp_path, "contract_review.bpmn")
    inst = start_review(engine, "sunli")
    engine.complete(task_of(engine, inst.id, "countersign", "finance").id, "gaofeng",
                    {"decision": "reject", **CHECKS, "comment": "付款条件不明确"})
    revise = task_of(engine, inst.id, "revise")
    with server:
        applicant = as_user(browser, server, "sunli")  # 孙丽, 业务员
        applicant.goto(f"{server.url}/tasks/{revise.id}")
        applicant.check("input[name=action][value=revise]")
        applicant.fill("#f-revision_note", "只请财务复核付款条件")
        applicant.uncheck("input[name=countersigners][value='group:production']")
        applicant.check("input[name=countersigners][value='group:finance']")
        applicant.click(".task-form button[type=submit].primary")
        expect(applicant.locator(".form-errors")).to_be_visible()
        expect(applicant.locator("#f-countersigners-err")).to_have_text(
            "会签部门须包括生产部或技术部：参加评审的人员应是负责或从事生产、技术的管理人员（001 与顾客有关的管理控制程序 3.3.3）")
        plain_words(applicant)
        shot(applicant, artifacts, "contract-unqualified", "applicant")
        applicant.context.close()
    assert [t.bpmn_id for t in engine.open_tasks(inst.id)] == ["revise"]
    engine.sa_engine.dispose()


# ---------------------------------------------------------------------------------------------------- g
def test_difficult_enquiry_answered_after_the_departments_study_it(browser, tmp_path, artifacts):
    """002 6.1(5): the receiver may not answer a difficult question blindly; it goes on a 客户来电记录单 to
    the departments concerned, whose opinions the receiver reads before answering."""
    from tests.scenarios.test_complaint_handling import registration

    engine, server, clock = serve(tmp_path, "complaint_handling.bpmn")
    inst = engine.start("complaint_handling", "liuyang", registration(clock, "consultation", severity=None))
    reply = task_of(engine, inst.id, "reply")
    with server:
        receiver = as_user(browser, server, "liuyang")  # 刘洋, 客服
        receiver.goto(f"{server.url}/tasks/{reply.id}")
        expect(receiver.locator(".instructions")).to_contain_text("填写客户来电记录单")
        receiver.check("input[name=difficult]")
        receiver.fill("#f-question", "能否按欧盟 REACH 检测偶氮染料并出具英文报告")
        receiver.check("input[name=departments][value='group:technical']")
        receiver.fill("#f-reply", "应该可以")
        receiver.click(".task-form button[type=submit].primary")
        expect(receiver.locator("#f-reply-err")).to_have_text(
            "有一定困难的问题须先由相关部门研究处理，研究后再答复客户（002 第六条6.1(5)）；请清空答复内容")
        plain_words(receiver)
        shot(receiver, artifacts, "difficult-enquiry", "receiver-refused")
        receiver.fill("#f-reply", "")
        receiver.click(".task-form button[type=submit].primary")
        expect(receiver.locator(".flash-success")).to_be_visible()
        not_in_queue(receiver, server, inst.id)  # nothing to answer until the department has studied it

        study = task_of(engine, inst.id, "study")
        department = as_user(browser, server, "hetao")  # 何涛, 技术部
        department.goto(f"{server.url}/tasks/{study.id}")
        expect(department.locator(".instructions")).to_contain_text(re.compile(r"客户来电记录单 LD-2026-\d{4}"))
        expect(department.locator(".instructions")).to_contain_text("能否按欧盟 REACH 检测偶氮染料并出具英文报告")
        department.fill("#f-opinion", "可按 EN 14362-1 检测，英文报告需7个工作日")
        department.click(".task-form button[type=submit].primary")
        expect(department.locator(".flash-success")).to_be_visible()
        plain_words(department)
        department.context.close()

        answer = task_of(engine, inst.id, "answer_call")
        receiver.goto(f"{server.url}/tasks/{answer.id}")
        expect(receiver.locator(".instructions")).to_contain_text("技术部：可按 EN 14362-1 检测，英文报告需7个工作日")
        plain_words(receiver)
        shot(receiver, artifacts, "difficult-enquiry", "receiver-answers")
        receiver.fill("#f-reply", "可以检测，7个工作日出具英文报告")
        receiver.click(".task-form button[type=submit].primary")
        expect(receiver.locator(".flash-success")).to_contain_text("已答复并关闭")
        receiver.context.close()
    engine.sa_engine.dispose()


# ---------------------------------------------------------------------------------------------------- h
def test_tour_photographs_not_published_without_the_cs_departments_consent(browser, tmp_path, artifacts):
    """000 第六条5: the host asks to publish the tour's photographs; the CS manager refuses, and must say
    why; the applicant and the auditor read that the photographs stay unpublished."""
    engine, server, clock = serve(tmp_path, "tour_approval.bpmn")
    inst = engine.start("tour_approval", "liuyang", application(clock, "key", photo_requested=True,
                                                                photo_reason="用于产品推广"))
    engine.complete(task_of(engine, inst.id, "cs_review").id, "zhangwei", {**CS_OK, "photo_opinion": "建议同意"})
    engine.complete(task_of(engine, inst.id, "gm_photo").id, "wangqiang",
                    {"decision": "approve", "photo_decision": "consent"})
    engine.complete(task_of(engine, inst.id, "designate").id, "zhangwei", {"photographer": "陈静"})
    engine.complete(task_of(engine, inst.id, "gate").id, "maliang", {"arrived": True, "badges_issued": 6})
    engine.complete(task_of(engine, inst.id, "done").id, "liuyang", {
        "took_place": True, "badges_returned": True, "publish_requested": True,
        "publish_medium": "公司网站新闻栏目", "publish_purpose": "报道重点客户来访"})
    consent = task_of(engine, inst.id, "publish_consent")
    with server:
        manager = as_user(browser, server, "zhangwei")  # 张伟, 客户服务部经理
        manager.goto(f"{server.url}/tasks/{consent.id}")
        expect(manager.locator("h1")).to_have_text("客户服务部审核照片刊登")
        expect(manager.locator(".instructions")).to_contain_text("媒体/场合：公司网站新闻栏目")
        expect(manager.locator(".instructions")).to_contain_text("须事先征得客户服务部的同意")
        manager.click("button[name=decision][value=reject]")
        expect(manager.locator("#f-publish_comment-err")).to_be_visible()  # a refusal needs its reason
        plain_words(manager)
        manager.fill("#f-publish_comment", "照片含未公开的新工艺")
        manager.click("button[name=decision][value=reject]")
        expect(manager.locator(".flash-success")).to_contain_text("参观结束")
        manager.context.close()

        applicant = as_user(browser, server, "liuyang")
        request_page(applicant, server, inst.id)
        line = decided(applicant, "张伟", "客户服务部审核照片刊登", "不同意刊登", "reject", RED)
        expect(pair(line, "意见说明")).to_have_text("照片含未公开的新工艺")
        plain_words(applicant)
        shot(applicant, artifacts, "photo-publication-refused", "applicant")
        applicant.context.close()
    engine.sa_engine.dispose()
