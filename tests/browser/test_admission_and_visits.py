"""客户准入评审 refused and the visit report, in a real browser: what the applicant, the head who refused
and the auditor see, and the CS manager's report of visits planned against visits made."""
from __future__ import annotations

from types import SimpleNamespace

from playwright.sync_api import expect

from procedures.customer.records import import_customers
from tests.browser.conftest import serve_scenario
from tests.browser.scenarios import TOUR_NOW, TickingClock
from tests.browser.test_tour import sign_in
from tests.conftest import DEMO_USERS, FORMS, WORKFLOWS

COMPANY = SimpleNamespace(
    forms_dirs=(FORMS,), users_file=DEMO_USERS, clock=lambda: TickingClock(TOUR_NOW), password=lambda user: "demo123",
    bpmn_files=(WORKFLOWS / "grade_rules.dmn", WORKFLOWS / "customer_admission.bpmn",
                WORKFLOWS / "customer_visit.bpmn", WORKFLOWS / "visit_plan.bpmn"))

APPLICATION = {"customer_name": "来历不明贸易行", "region": "龙岩", "contact_person": "林经理",
               "contact_phone": "0597-2233445", "company_profile": "成立于2025年，员工10人",
               "operations": "尚无经营记录", "background_check": "银行资信证明无法核实",
               "annual_volume": 300_000, "payment_record": "late", "default_record": "some",
               "proposed_grade": "D", "reason": "客户主动联系采购"}


def test_a_refused_admission_as_the_head_the_applicant_and_the_auditor_see_it(browser, tmp_path):
    engine, server = serve_scenario(COMPANY, tmp_path)
    inst = engine.start("customer_admission", "sunli", APPLICATION)
    [task] = engine.open_tasks(inst.id)
    with server:
        base = server.url
        head = sign_in(browser, base, COMPANY, "wujun")
        head.goto(f"{base}/tasks/{task.id}")
        expect(head.locator("#instructions-h")).to_be_visible()
        expect(head.locator("main")).to_contain_text("003 客户管理制度 6.1")
        # refusing without a reason is refused, in words, and nothing is lost
        head.click("button[name=decision][value=refuse]")
        expect(head.locator(".form-errors")).to_be_visible()
        head.fill("#f-comment", "资信证明无法核实")
        head.click("button[name=decision][value=refuse]")
        expect(head.locator(".flash-success")).to_be_visible()

        applicant = sign_in(browser, base, COMPANY, "sunli")
        expect(applicant.locator("#bell .count")).to_have_text("1")
        applicant.goto(f"{base}/requests/{inst.id}")
        expect(applicant.locator("main")).to_contain_text("不予准入")
        expect(applicant.locator("#timeline")).to_contain_text("资信证明无法核实")

        auditor = sign_in(browser, base, COMPANY, "huangyan")
        auditor.goto(f"{base}/requests/{inst.id}")
        expect(auditor.locator("#timeline")).to_contain_text("资信证明无法核实")
        expect(auditor.locator("button[name=decision]")).to_have_count(0)
        for page in (head, applicant, auditor):
            page.context.close()
    engine.sa_engine.dispose()


def test_the_visit_report_page_and_its_refusal(browser, tmp_path, artifacts):
    engine, server = serve_scenario(COMPANY, tmp_path)
    import_customers(engine, [("福州纺织集团", "A", "福州"), ("泉州服饰有限公司", "B", "泉州"),
                              ("厦门面料贸易公司", "C", "厦门")])
    with server:
        base = server.url
        manager = sign_in(browser, base, COMPANY, "zhangwei")
        manager.click("header nav >> text=报表")
        manager.click("text=客户拜访计划与完成情况")
        table = manager.locator("#report")
        expect(table.locator("tbody tr")).to_have_count(2)
        expect(table).to_contain_text("已到期，未安排拜访")
        expect(manager.locator("a[download]")).to_have_text("下载 CSV")
        manager.screenshot(path=str(artifacts / "report-visits.png"), full_page=True)

        sales = sign_in(browser, base, COMPANY, "sunli")
        expect(sales.locator("header nav >> text=报表")).to_have_count(0)
        sales.goto(f"{base}/reports/visits")
        expect(sales.locator("main")).to_contain_text("此报表只对相关部门、流程管理员和审计开放。")
        for page in (manager, sales):
            page.context.close()
    engine.sa_engine.dispose()
