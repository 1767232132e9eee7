"""报表 in a real browser: the sales head opens the satisfaction scores (a Chart.js bar chart over the table)
and the sales blacklist, exports it as CSV; a salesperson outside the readers sees no menu entry and, on
the address, a refusal in words."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from procedures.customer.records import blacklist_customer, ensure_customer
from procedures.survey.records import close_satisfaction_survey, open_satisfaction_survey, record_satisfaction_scores
from tests.browser.test_unhappy_paths import as_user, plain_words, serve


def seed(engine) -> None:
    def work(ctx):
        for name, grade in (("福州纺织集团", "A"), ("泉州服饰有限公司", "B"), ("厦门面料贸易公司", "C")):
            ensure_customer(ctx.session, name, ctx.now, grade)
        for period, scores in (("2025年度", {"福州纺织集团": 88, "泉州服饰有限公司": 64, "厦门面料贸易公司": 72}),
                               ("2026年度", {"福州纺织集团": 93, "泉州服饰有限公司": 81, "厦门面料贸易公司": 69})):
            opened = open_satisfaction_survey(ctx, period, "ABCD", "paper")
            record_satisfaction_scores(ctx, opened["survey_id"], scores)
            close_satisfaction_survey(ctx, opened["survey_id"], "总体满意", {})
        blacklist_customer(ctx, ensure_customer(ctx.session, "宁德布业有限公司", ctx.now).id,
                           "恶意拖欠货款并散布不实言论", 6)
    engine.run_verb("seed_reports", "system", work)


def test_reports_with_chart_table_and_csv_and_a_refusal(browser, tmp_path, artifacts):
    engine, server, _clock = serve(tmp_path, "satisfaction_survey.bpmn")
    seed(engine)
    with server:
        head = as_user(browser, server, "wujun")  # 吴军, 业务部主管
        head.click("nav >> text=报表")
        expect(head.locator("#reports li")).to_have_count(3)  # and the visits
        head.click("#reports >> text=顾客满意度（按年度和客户等级）")
        expect(head.locator("h1")).to_have_text("顾客满意度（按年度和客户等级）")
        expect(head.locator("#report-chart")).to_have_attribute("data-drawn", "3")  # A, B and C类
        expect(head.locator("#report tbody tr")).to_have_count(6)
        expect(head.locator("#report thead")).to_contain_text("平均分")
        plain_words(head)
        head.screenshot(path=str(artifacts / "reports-satisfaction.png"), full_page=True)

        head.goto(f"{server.url}/reports/blacklist")
        row = head.locator("#report tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("宁德布业有限公司")
        expect(row).to_contain_text("在名单中")
        plain_words(head)
        head.screenshot(path=str(artifacts / "reports-blacklist.png"), full_page=True)
        with head.expect_download() as download:
            head.click("#export-csv")
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert text.splitlines()[0] == "客户,列入原因,列入时间,有效期至,状态,移出时间,申请编号"
        assert "宁德布业有限公司,恶意拖欠货款并散布不实言论" in text

        sales = as_user(browser, server, "sunli")  # 孙丽, 业务员: not among the readers
        expect(sales.locator("nav >> text=报表")).to_have_count(0)
        sales.goto(f"{server.url}/reports/blacklist")
        expect(sales.locator("main")).to_contain_text("此报表只对相关部门、流程管理员和审计开放。")
        expect(sales.locator("main")).not_to_contain_text("宁德布业有限公司")
        plain_words(sales)
        sales.screenshot(path=str(artifacts / "reports-refused.png"), full_page=True)
