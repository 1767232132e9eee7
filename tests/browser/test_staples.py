"""The office staples in a real browser, on the real tour procedure, as the people of the seeds: the
applicant comments and mentions the warehouse keeper, copies the tour to the gate and reminds the CS
manager; the gatekeeper finds it under 抄送我的; a second application is withdrawn before anyone acted."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_unhappy_paths import GREY, as_user, outcome, plain_words, serve
from tests.scenarios.test_tour_approval import application


def test_comment_mention_copy_remind_and_withdraw(browser, tmp_path, artifacts):
    engine, server, clock = serve(tmp_path, "tour_approval.bpmn")
    inst = engine.start("tour_approval", "liuyang", application(clock, "key"))
    other = engine.start("tour_approval", "liuyang", application(clock, "key", customer="厦门面料公司"))
    with server:
        applicant = as_user(browser, server, "liuyang")  # 刘洋, 客户服务部人员
        applicant.goto(f"{server.url}/requests/{inst.id}")
        applicant.fill("#comment-text", "客户希望顺路看仓库，@林海 能否安排？")
        applicant.click(".comment-form button[type=submit]")
        expect(applicant.locator(".flash-success")).to_contain_text("评论已发表，已通知 林海。")
        said = applicant.locator("#timeline li.kind-commented")
        expect(said).to_contain_text("客户希望顺路看仓库，@林海 能否安排？")
        expect(said.locator("dt:text-is('提到') + dd")).to_have_text("林海")

        applicant.select_option("#copy-groups", ["gatekeeper"])
        applicant.fill("#copy-note", "请提前准备胸卡")
        applicant.click(".copy-form button[type=submit]")
        expect(applicant.locator(".flash-success")).to_contain_text("已抄送给 门卫。")

        applicant.click("#remind")
        expect(applicant.locator(".flash-success")).to_contain_text("已催办：客户服务部经理。")
        applicant.click("#remind")
        expect(applicant.locator(".flash-info")).to_contain_text("您刚催办过")
        expect(applicant.locator("#timeline li.kind-reminded")).to_have_count(1)
        plain_words(applicant)
        applicant.screenshot(path=str(artifacts / "staples-applicant.png"), full_page=True)

        keeper = as_user(browser, server, "linhai")  # 林海, 仓库保管员: mentioned, so he may read it
        expect(keeper.locator("#bell .count")).to_have_text("1")  # told in the app, no mail server needed
        keeper.click("#bell")
        expect(keeper.locator("#notices a").first).to_contain_text("中提到了您")
        keeper.locator("#notices a").first.click()
        expect(keeper).to_have_url(f"{server.url}/requests/{inst.id}")
        expect(keeper.locator("#bell .count")).to_have_count(0)
        expect(keeper.locator("#timeline li.kind-commented")).to_contain_text("@林海")
        keeper.fill("#comment-text", "可以，周四下午")
        keeper.click(".comment-form button[type=submit]")
        expect(keeper.locator("#timeline li.kind-commented")).to_have_count(2)

        gate = as_user(browser, server, "maliang")  # 马亮, 门卫: copied through his group
        gate.goto(f"{server.url}/requests/")
        gate.click("#copied-tab")
        gate.click(f"a[href='/requests/{inst.id}']")
        expect(gate.locator("h1")).to_contain_text("福州纺织集团")
        copied = gate.locator("#timeline li.kind-copied")
        expect(copied.locator("dt:text-is('附言') + dd")).to_have_text("请提前准备胸卡")
        plain_words(gate)
        gate.screenshot(path=str(artifacts / "staples-gate.png"), full_page=True)

        # the second application: nobody has acted on it, so its applicant may withdraw it
        applicant.goto(f"{server.url}/requests/{other.id}")
        applicant.fill("#withdraw-reason", "客户改期")
        applicant.once("dialog", lambda dialog: dialog.accept())
        applicant.click("#withdraw")
        expect(applicant.locator(".flash-info")).to_contain_text("您已撤回申请")
        outcome(applicant, "已撤回", "withdrawn", GREY)
        expect(applicant.locator("#withdraw")).to_have_count(0)
        manager = as_user(browser, server, "zhangwei")  # 张伟: the task is gone from his queue
        manager.goto(f"{server.url}/inbox?tab=group")
        expect(manager.locator(".task-item", has_text=f"#{other.id} ")).to_have_count(0)
        expect(manager.locator(".task-item", has_text=f"#{inst.id} ")).to_have_count(1)
        for page in (applicant, keeper, gate, manager):
            page.context.close()
    engine.sa_engine.dispose()


def test_the_gm_sends_the_tour_back_and_it_comes_round_again(browser, tmp_path, artifacts):
    from tests.scenarios.test_tour_approval import CS_OK
    from tests.scenarios.walk import task_for
    engine, server, clock = serve(tmp_path, "tour_approval.bpmn")
    inst = engine.start("tour_approval", "liuyang", application(clock, "key"))
    engine.complete(task_for(engine, "zhangwei", inst, "cs_review").id, "zhangwei", CS_OK)
    gm_task = task_for(engine, "wangqiang", inst, "gm_approve")
    with server:
        gm = as_user(browser, server, "wangqiang")  # 王强, 总经理
        gm.goto(f"{server.url}/tasks/{gm_task.id}")
        expect(gm.locator("#return-to option")).to_have_text(["客户服务部经理审核 · 张伟"])
        gm.fill("#return-reason", "参观线路请避开新产线")
        gm.once("dialog", lambda dialog: dialog.accept())
        gm.click("#send-back")
        expect(gm.locator(".flash-info")).to_contain_text("已退回：总经理审批。")
        expect(gm.locator(".flash-info")).to_contain_text("申请现在到了「客户服务部经理审核」（由 张伟 办理）")

        manager = as_user(browser, server, "zhangwei")  # back to him by name, not to his whole group
        manager.goto(f"{server.url}/inbox?tab=mine")
        manager.locator(".task-item", has_text=f"#{inst.id} ").locator("a.task-title").click()
        expect(manager.locator("main")).to_contain_text("参观线路请避开新产线")  # why, among the earlier steps
        manager.fill("#f-tour_content", "参观质检流程")
        manager.fill("#f-tour_scope", "质检实验室")
        manager.fill("#f-tour_route", "展厅→实验室")
        manager.click("button[name=decision][value=approve]")
        expect(manager.locator(".flash-success")).to_contain_text("申请现在到了「总经理审批」")

        applicant = as_user(browser, server, "liuyang")
        applicant.goto(f"{server.url}/requests/{inst.id}")
        back = applicant.locator("#timeline li.kind-returned")
        expect(back.locator(".event-head strong")).to_have_text("王强")
        expect(back.locator("dt:text-is('原因') + dd")).to_have_text("参观线路请避开新产线")
        plain_words(applicant)
        applicant.screenshot(path=str(artifacts / "staples-returned.png"), full_page=True)
        for page in (gm, manager, applicant):
            page.context.close()
    engine.sa_engine.dispose()


def test_a_printed_tour_keeps_its_chinese_text_and_audit_hash(browser, tmp_path, artifacts):
    from tests.scenarios.test_tour_approval import approve_key
    engine, server, clock = serve(tmp_path, "tour_approval.bpmn")
    inst = engine.start("tour_approval", "liuyang", application(clock, "key"))
    approve_key(engine, inst)
    _seq, head = engine.audit_head(inst.id)
    with server:
        page = as_user(browser, server, "liuyang")
        page.goto(f"{server.url}/requests/{inst.id}")
        page.click("#print-link")
        expect(page.locator("#print-now")).to_be_visible()
        expect(page.locator("#record")).to_contain_text("CG-2026-")
        plain_words(page)
        # Chromium's own PDF printing, through the print stylesheet, with the CJK font
        data = page.pdf(path=str(artifacts / "tour-print.pdf"))
        page.context.close()
    engine.sa_engine.dispose()
    text = _pdf_text(data)
    assert "客户参观审批" in text and "福州纺织集团" in text and "王强" in text, text[:500]
    assert head[:16] in text.replace("\n", "")


def _pdf_text(data: bytes) -> str:
    """The PDF's text as a reader would type it (NFKC: a font's "ﬀ" ligature reads as "ff")."""
    import io
    import unicodedata

    from pypdf import PdfReader
    return unicodedata.normalize("NFKC", "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages))
