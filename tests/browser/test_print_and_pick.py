"""Pick, don't type; print and archive (issue 13, items 9 and 10), in a real browser on the tour procedure:
the applicant picks the customer from the register (grade and blacklist shown, a new one registered from
the picker) and submits; once approved, she opens the 《客户参观许可证》 and downloads its PDF, whose Chinese
text, permit number and audit head hash read back; a colleague outside the tour is refused."""
from __future__ import annotations

import io
import unicodedata

from playwright.sync_api import expect
from pypdf import PdfReader

from procedures.customer.records import blacklist_customer, import_customers
from tests.browser.scenarios import _fill_tour
from tests.browser.test_unhappy_paths import as_user, plain_words, serve
from tests.scenarios.test_tour_approval import application, approve_key


def test_the_applicant_picks_the_customer_from_the_register(browser, tmp_path, artifacts):
    engine, server, clock = serve(tmp_path, "tour_approval.bpmn")
    import_customers(engine, [("福州纺织集团", "A"), ("福州织染厂", "C"), ("宁德布业有限公司", "B")])
    engine.run_verb("blacklist", "system", lambda ctx: blacklist_customer(ctx, 3, "恶意拖欠货款", months=6))
    with server:
        page = as_user(browser, server, "liuyang")  # 刘洋, 客户服务部人员
        page.goto(f"{server.url}/start/tour_approval")
        _fill_tour(page)
        customer = page.locator("#f-customer")
        customer.fill("")
        customer.press_sequentially("福州")
        options = page.locator("#f-customer-list [role=option]")
        expect(options).to_have_count(3)  # two customers, and registering 「福州」 as a new one
        expect(options.nth(0)).to_contain_text("福州纺织集团 KH-0001 · A 类客户")
        expect(options.nth(1)).to_contain_text("福州织染厂 KH-0002 · C 类客户")
        page.screenshot(path=str(artifacts / "picker-matches.png"), full_page=True)
        options.nth(1).click()
        expect(customer).to_have_value("福州织染厂")
        expect(page.locator("#f-customer-picked")).to_have_text("KH-0002 · C 类客户")
        expect(page.locator("#f-customer-list")).to_be_hidden()

        customer.fill("")
        customer.press_sequentially("KH-0003")  # by code: the blacklisted customer, with its warning
        expect(options.first).to_contain_text("⚠ 销售客户黑名单（至 2027-05-2")
        customer.press("ArrowDown")
        customer.press("Enter")
        expect(customer).to_have_value("宁德布业有限公司")
        expect(page.locator("#f-customer-picked .lookup-warning")).to_contain_text("销售客户黑名单")
        page.screenshot(path=str(artifacts / "picker-blacklisted.png"), full_page=True)

        customer.fill("")
        customer.press_sequentially("厦门新面料公司")  # not in the register: registered from the picker
        page.locator("#f-customer-opt-new").click()
        expect(page.locator("#f-customer-picked")).to_have_text("新客户 · KH-0004 · 未定级")
        assert [i.value for i in engine.lookup("customer", "liuyang", "厦门")] == ["厦门新面料公司"]

        customer.fill("")
        customer.press_sequentially("纺织")
        page.locator("#f-customer-list [role=option]", has_text="福州纺织集团").click()
        expect(page.locator("#f-customer-picked")).to_have_text("KH-0001 · A 类客户")
        plain_words(page)
        page.screenshot(path=str(artifacts / "picker-picked.png"), full_page=True)
        page.click("button[type=submit].primary")
        expect(page.locator("h1")).to_contain_text("福州纺织集团")
        page.context.close()
    engine.sa_engine.dispose()


def test_the_permit_pdf_of_an_approved_tour_reads_back_in_chinese(browser, tmp_path, artifacts):
    engine, server, clock = serve(tmp_path, "tour_approval.bpmn")
    inst = engine.start("tour_approval", "liuyang", application(clock, "key"))
    waiting = engine.start("tour_approval", "liuyang", application(clock, "key", customer="厦门面料公司"))
    approve_key(engine, inst)
    permit = engine.data(inst.id)["permit"]["permit_no"]
    _seq, head = engine.audit_head(inst.id)
    with server:
        page = as_user(browser, server, "liuyang")
        page.goto(f"{server.url}/requests/{waiting.id}")
        expect(page.locator("#document-tour_permit")).to_contain_text("参观申请获批并编出许可编号后才有此单据。")
        page.goto(f"{server.url}/requests/{inst.id}")
        page.locator("#document-tour_permit a", has_text="客户参观许可证").click()
        expect(page.locator("#document-title")).to_have_text("客户参观许可证")
        expect(page.locator("#document")).to_contain_text(permit)
        expect(page.locator("#qr svg")).to_be_visible()
        expect(page.locator("#print-foot")).to_contain_text(head)
        plain_words(page)
        page.screenshot(path=str(artifacts / "permit-page.png"), full_page=True)
        with page.expect_download() as download:
            page.click("#pdf-link")
        download.value.save_as(artifacts / "permit.pdf")
        data = (artifacts / "permit.pdf").read_bytes()
        page.context.close()

        stranger = as_user(browser, server, "fenggang")  # 冯刚, 生产部: not part of this tour
        stranger.goto(f"{server.url}/requests/{inst.id}/documents/tour_permit")
        expect(stranger.locator(".error-page")).to_contain_text("您无权打开此申请。")
        stranger.screenshot(path=str(artifacts / "permit-refused.png"), full_page=True)
        stranger.context.close()
    engine.sa_engine.dispose()
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages))
    assert "客户参观许可证" in text and "福州纺织集团" in text and "王强" in text, text[:500]
    assert permit in text and head in text.replace("\n", "")
