"""半年度客户等级评审 in a real browser: the round starts on its timer; the salesperson finds the customer's
feedback task by name in the inbox and fills it; the sales head sees the rules' proposal, is refused in
words when setting another grade without a reason, then sets it with one (003 5.2e, 2.1-2.3, 3.2)."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from procedures.customer.records import import_customers
from tests.browser.test_unhappy_paths import as_user, plain_words, serve
from tests.scenarios.test_grade_review import FIRST_DUE


def test_feedback_proposal_and_an_override_with_its_reason(browser, tmp_path, artifacts):
    engine, server, _clock = serve(tmp_path, "grade_rules.dmn", "grade_review_customer.bpmn", "grade_review.bpmn")
    import_customers(engine, [("福州纺织集团", "A"), ("泉州服饰有限公司", "B")])
    assert engine.fire_due_timers(FIRST_DUE + timedelta(minutes=1)) == 1
    with server:
        sales = as_user(browser, server, "zhoujie")  # 周杰, 业务员
        sales.goto(f"{server.url}/inbox?tab=group")
        sales.click("text=业务人员反馈客户半年情况：福州纺织集团")
        expect(sales.locator("main")).to_contain_text("请反馈客户「福州纺织集团」近半年的情况")
        sales.fill("#f-annual_volume", "3500000")
        sales.check("input[name=payment_record][value=on_time]")
        sales.check("input[name=default_record][value=none]")
        sales.fill("#f-remarks", "两批货逾期未提")
        sales.click("form.task-form button[type=submit]")
        expect(sales.locator(".flash-success")).to_be_visible()
        plain_words(sales)

        head = as_user(browser, server, "wujun")  # 吴军, 业务部主管
        head.goto(f"{server.url}/inbox?tab=group")
        head.click("text=业务经理确认客户等级：福州纺织集团")
        expect(head.locator("main")).to_contain_text("按分级标准建议：A类")
        head.click("button.decision-override")
        expect(head.locator("main")).to_contain_text("选择「改定等级」时必填")
        head.check("input[name=final_grade][value=B]")
        head.fill("#f-reason", "合同执行能力差，两批货逾期未提")
        head.click("button.decision-override")
        expect(head.locator(".flash-success")).to_be_visible()
        plain_words(head)
        head.screenshot(path=str(artifacts / "grade-review-override.png"), full_page=True)
    with engine.session() as s:
        from procedures.customer.records import find_customer
        assert find_customer(s, "福州纺织集团").grade == "B"
    engine.sa_engine.dispose()
