"""加签 and a return that comes straight back, in a real browser as the seeds' people: the GM (王强) asks the
technical department before deciding on a tour with photography, 何涛 answers from his queue, the GM decides
seeing the opinion; finance (高峰) sends a phone order back to the salesperson (孙丽), who corrects the
confirmation and the contract comes straight back to finance."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.scenarios import TOUR
from tests.browser.test_tour import PHONE, no_sideways_scroll, sign_in
from tests.browser.test_unhappy_paths import as_user, plain_words, serve, task_of
from tests.scenarios.test_side_tasks import CONFIRMED, PHOTO
from tests.scenarios.test_tour_approval import CS_OK, application


def test_the_gm_asks_the_technical_department_before_deciding(browser, tmp_path, artifacts):
    engine, server, clock = serve(tmp_path, "tour_approval.bpmn")
    inst = engine.start("tour_approval", "liuyang", application(clock, "key", **PHOTO))
    engine.complete(task_of(engine, inst.id, "cs_review").id, "zhangwei", {**CS_OK, "photo_opinion": "建议同意"})
    gm_task = task_of(engine, inst.id, "gm_photo")
    with server:
        gm = as_user(browser, server, "wangqiang")  # 王强, 总经理
        gm.goto(f"{server.url}/tasks/{gm_task.id}")
        gm.click("#ask-opinion")  # nobody chosen, no question: the browser asks for the question first
        expect(gm.locator("#side-tasks")).to_have_count(0)
        gm.select_option("#copy-groups", ["technical"])
        gm.fill("#consult-reason", "客户想在一车间拍照，是否涉及新工艺？")
        gm.click("#ask-opinion")
        expect(gm.locator(".flash-success")).to_contain_text("已向技术部征求意见；回复后您再办理。")
        expect(gm.locator("#why-not")).to_have_text("此任务正在等待您征求的意见；所有人回复后您才能办理。")
        expect(gm.locator("#side-tasks li")).to_contain_text("等待答复")
        expect(gm.locator("form.task-form")).to_have_count(0)
        plain_words(gm)
        gm.screenshot(path=str(artifacts / "sign-gm-waiting.png"), full_page=True)
        gm.goto(f"{server.url}/requests/{inst.id}")  # the diagram marks the step waiting on others
        expect(gm.locator(".waiting-badge")).to_have_text("等待他人")
        expect(gm.locator("#timeline li.kind-signers_added")).to_contain_text("加签")
        gm.screenshot(path=str(artifacts / "sign-gm-diagram.png"), full_page=True)

        tech = as_user(browser, server, "hetao")  # 何涛, 技术部
        tech.goto(f"{server.url}/inbox?tab=all")
        item = tech.locator(".task-item", has_text=f"#{inst.id} ")
        expect(item.locator(".badge.side-kind")).to_have_text("征求意见")
        item.locator("a.task-title").click()
        expect(tech.locator(".asked h2")).to_have_text("王强在办理“总经理审批（含拍照请示）”前征求您的意见")
        expect(tech.locator("#side-reason")).to_have_text("客户想在一车间拍照，是否涉及新工艺？")
        expect(tech.locator("main")).to_contain_text("福州纺织集团")  # the request it is about
        tech.click("#answer")  # an opinion is required
        expect(tech.locator("#side-answer")).to_have_count(0)
        tech.fill("#opinion", "一车间东侧是新工艺产线，不宜拍照；展厅可以。")
        plain_words(tech)
        tech.screenshot(path=str(artifacts / "sign-tech-answers.png"), full_page=True)
        phone = sign_in(browser, server.url, TOUR, "hetao", viewport=PHONE)  # the same page on his phone
        phone.goto(tech.url)
        expect(phone.locator("#opinion")).to_be_visible()
        assert no_sideways_scroll(phone)
        phone.screenshot(path=str(artifacts / "sign-tech-phone.png"), full_page=True)
        phone.context.close()
        tech.click("#answer")
        expect(tech.locator(".flash-success")).to_contain_text("您的意见已回复给王强。")

        gm.goto(f"{server.url}/")
        expect(gm.locator("#bell .count")).to_have_text("1")
        gm.goto(f"{server.url}/tasks/{gm_task.id}")
        expect(gm.locator("#side-tasks .opinion")).to_have_text("一车间东侧是新工艺产线，不宜拍照；展厅可以。")
        expect(gm.locator("#why-not")).to_have_count(0)
        gm.check("input[name=photo_decision][value=refuse]")
        gm.fill("#f-photo_comment", "技术部意见：新工艺产线不宜拍照")
        gm.screenshot(path=str(artifacts / "sign-gm-decides.png"), full_page=True)
        gm.click("button[name=decision][value=approve]")
        expect(gm.locator(".flash-success")).to_contain_text("申请现在到了「门卫登记/发放胸卡」")
        gm.goto(f"{server.url}/requests/{inst.id}")
        answered = gm.locator("#timeline li.kind-opinion_given")
        expect(answered.locator(".event-head strong")).to_have_text("何涛")
        expect(answered.locator("dt:text-is('意见') + dd")).to_have_text("一车间东侧是新工艺产线，不宜拍照；展厅可以。")
        plain_words(gm)
        for page in (gm, tech):
            page.context.close()
    engine.sa_engine.dispose()


def test_finance_returns_the_contract_to_the_salesperson_and_gets_it_straight_back(browser, tmp_path, artifacts):
    engine, server, _clock = serve(tmp_path, "contract_review.bpmn")
    from tests.scenarios.test_contract_review import review_form
    inst = engine.start("contract_review", "sunli", review_form(order_channel="phone", order_record="电话订货"))
    [confirm] = engine.open_tasks(inst.id)
    engine.complete(confirm.id, "sunli", CONFIRMED)
    finance_task = task_of(engine, inst.id, "countersign", "finance")
    with server:
        finance = as_user(browser, server, "gaofeng")  # 高峰, 财务部
        finance.goto(f"{server.url}/tasks/{finance_task.id}")
        expect(finance.locator("#return-to option")).to_have_text(["顾客确认订货内容 · 孙丽"])
        finance.fill("#return-reason", "确认凭据请写回签件编号，不要截图")
        asked = []
        finance.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        finance.click("#send-back")
        expect(finance.locator(".flash-info")).to_contain_text("已退回修改：相关部门会签。对方修改后直接回到您这里。")
        assert asked == ["确定退回吗？所选步骤的办理人修改后，申请直接回到您这里。"]  # the confirmation said so
        finance.goto(f"{server.url}/tasks/{finance_task.id}")
        expect(finance.locator("#why-not")).to_have_text("此任务已退回修改；对方修改后会直接回到您这里。")
        plain_words(finance)
        finance.goto(f"{server.url}/requests/{inst.id}")  # the diagram: her step waits, his is being redone
        expect(finance.locator('.djs-element.waiting-task[data-element-id="countersign"]')).to_have_count(1)
        expect(finance.locator('.djs-element.current-task[data-element-id="confirm_order"]')).to_have_count(1)
        finance.screenshot(path=str(artifacts / "return-finance-diagram.png"), full_page=True)

        sales = as_user(browser, server, "sunli")  # 孙丽, 业务员
        sales.goto(f"{server.url}/inbox?tab=all")
        item = sales.locator(".task-item", has_text=f"#{inst.id} ")
        expect(item.locator(".badge.side-kind")).to_have_text("退回修改")
        item.locator("a.task-title").click()
        expect(sales.locator(".asked h2")).to_have_text("高峰将“顾客确认订货内容”退回给您修改")
        expect(sales.locator("#f-confirmation_evidence")).to_have_value("微信截图")  # her earlier answers
        sales.fill("#f-confirmation_evidence", "x")  # too short for the step's form: refused, nothing lost
        sales.click("#answer")
        expect(sales.locator("#f-confirmation_evidence")).to_have_value("x")
        expect(sales.locator(".field.invalid")).to_have_count(1)
        sales.fill("#f-confirmation_evidence", "回签件 HQ-1120")
        sales.fill("#opinion", "已补回签件编号")
        plain_words(sales)
        sales.screenshot(path=str(artifacts / "return-sales-corrects.png"), full_page=True)
        sales.click("#answer")
        expect(sales.locator(".flash-success")).to_contain_text("已修改，申请直接回到高峰。")

        finance.goto(f"{server.url}/tasks/{finance_task.id}")
        expect(finance.locator("#why-not")).to_have_count(0)
        expect(finance.locator("main")).to_contain_text("回签件 HQ-1120")  # the correction, among the earlier steps
        for name in ("req_in_contract", "quality_terms_match", "capability_and_risk", "implied_needs",
                     "differences_settled", "can_meet"):
            finance.check(f"#f-{name}")
        finance.screenshot(path=str(artifacts / "return-finance-back.png"), full_page=True)
        finance.click("button[name=decision][value=approve]")
        expect(finance.locator(".flash-success")).to_contain_text("相关部门会签")
        assert [t.candidate_groups for t in engine.open_tasks(inst.id)] == [("production",)]  # only production left
        finance.goto(f"{server.url}/requests/{inst.id}")
        expect(finance.locator("#timeline li.kind-reworked .event-head strong")).to_have_text("孙丽")
        plain_words(finance)
        for page in (finance, sales):
            page.context.close()
    engine.sa_engine.dispose()
