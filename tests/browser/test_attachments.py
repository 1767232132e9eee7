"""Attachments in a real browser, on the real complaint procedure, as the people of the seeds: 刘洋 (客服)
registers a complaint with the customer's two photos; 郑凯 (主管领导), who investigates next, sees them as
thumbnails on the request and opens the preview; 林海 (仓库), who has no part in it, is refused in words."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_unhappy_paths import as_user, plain_words, serve
from tests.files import HTML, pdf, png

LOADED = "img => img.complete && img.naturalWidth > 0"


def drawn(page, path, tries: int = 60) -> None:
    """Screenshot the browser's PDF viewer once it has drawn the document and stopped drawing (it draws
    outside the page's DOM, so only the picture can tell)."""
    blank = previous = page.screenshot()
    for _ in range(tries):
        page.wait_for_timeout(250)
        picture = page.screenshot(path=str(path))
        if picture == previous != blank:
            return
        previous = picture
    raise AssertionError("the PDF viewer drew nothing")


def test_a_complaint_with_the_customers_photos_previewed_by_the_next_actor(browser, tmp_path, artifacts):
    engine, server, _clock = serve(tmp_path, "complaint_handling.bpmn")
    with server:
        clerk = as_user(browser, server, "liuyang")  # 刘洋, 客服: takes the customer's call
        clerk.goto(f"{server.url}/start/complaint_handling")
        clerk.fill("#f-customer", "莆田鞋业有限公司")
        clerk.fill("#f-contact_phone", "0594-2345678")
        clerk.check("input[name=channel][value=phone]")
        clerk.check("input[name=kind][value=complaint]")
        clerk.check("input[name=severity][value=general]")
        clerk.fill("#f-content", "到货面料有色差，与确认样不符，客户发来两张照片")
        photos = clerk.locator("#f-photos-input")
        expect(photos).to_have_attribute("accept", ".pdf,.jpg,.jpeg,.png,.gif,.webp,.doc,.xls,.ppt,.docx,.xlsx,.pptx")
        photos.set_input_files([
            {"name": "色差-到货面料.png", "mimeType": "image/png", "buffer": png((176, 58, 46), 320, 240)},
            {"name": "色差-确认样.png", "mimeType": "image/png", "buffer": png((192, 57, 43), 320, 240)},
            {"name": "客户来函.pdf", "mimeType": "application/pdf", "buffer": HTML}])  # a web page, renamed
        clerk.screenshot(path=str(artifacts / "attachments-start.png"), full_page=True)
        clerk.click("form.task-form button[type=submit]")
        # refused in words; the two photos are kept (ticked) and what was typed is still there
        box = clerk.locator("#f-photos")
        expect(box.locator(".error")).to_contain_text("客户来函.pdf: 文件内容不是 PDF 格式，与文件名不符。")
        expect(box.locator("input[type=checkbox]:checked")).to_have_count(2)
        expect(box.locator(".uploaded")).to_contain_text("色差-确认样.png")
        expect(clerk.locator("#f-customer")).to_have_value("莆田鞋业有限公司")
        assert engine.instances("complaint_handling") == []
        plain_words(clerk)
        clerk.screenshot(path=str(artifacts / "attachments-start-refused.png"), full_page=True)
        clerk.click("form.task-form button[type=submit]")
        expect(clerk.locator(".flash-success")).to_contain_text("已提交")
        [inst] = engine.instances("complaint_handling")
        # the worker's part (approvals serve runs one): steps a busy machine left to it run now
        engine.fire_due_timers()
        assert [t.bpmn_id for t in engine.open_tasks(inst.id)] == ["investigate"]
        clerk.goto(f"{server.url}/requests/{inst.id}")
        expect(clerk.locator("#files li.file")).to_have_count(2)
        expect(clerk.locator("#timeline li.kind-attached")).to_have_count(2)
        # the customer's written complaint follows by fax: scanned, added to the request itself
        clerk.locator("#file-input").set_input_files(
            {"name": "客户来函.pdf", "mimeType": "application/pdf", "buffer": pdf("Complaint letter, order PT-2026-031")})
        clerk.click(".files-form button[type=submit]")
        expect(clerk.locator(".flash-success")).to_contain_text("已上传 1 个附件。")

        supervisor = as_user(browser, server, "zhengkai")  # 郑凯, 主管领导: investigates the complaint next
        supervisor.goto(f"{server.url}/requests/{inst.id}")
        files = supervisor.locator("#files li.file")
        expect(files).to_have_count(3)
        expect(files.nth(2).locator(".file-name")).to_have_text("客户来函.pdf")
        expect(files.nth(0).locator(".file-name")).to_have_text("色差-到货面料.png")
        expect(files.nth(1).locator(".file-name")).to_have_text("色差-确认样.png")
        for thumb in supervisor.locator("#files img").all():
            thumb.scroll_into_view_if_needed()
            expect(thumb).to_be_visible()
            supervisor.wait_for_function("img => img.complete", arg=thumb.element_handle())
            assert thumb.evaluate(LOADED), "the photo is drawn, not a broken image"
            assert thumb.evaluate("img => img.naturalWidth") == 320
        expect(files.nth(0).locator(".meta")).to_contain_text("刘洋")
        plain_words(supervisor)
        supervisor.locator("#files-h").scroll_into_view_if_needed()
        supervisor.screenshot(path=str(artifacts / "attachments-supervisor.png"), full_page=True)
        with supervisor.context.expect_page() as opened:
            files.nth(0).locator(".preview-link").click()
        preview = opened.value
        preview.wait_for_load_state()
        assert preview.evaluate("document.contentType") == "image/png"  # the photo itself, never a page
        preview.screenshot(path=str(artifacts / "attachments-preview.png"))
        preview.close()
        with supervisor.context.expect_page() as opened:
            files.nth(2).locator(".preview-link").click()
        letter = opened.value
        letter.wait_for_load_state()
        assert letter.evaluate("document.contentType") == "application/pdf"  # in the browser's PDF viewer
        drawn(letter, artifacts / "attachments-pdf-preview.png")
        letter.close()
        # the task page he works from shows the same photos above his form
        [task] = engine.open_tasks(inst.id)
        supervisor.goto(f"{server.url}/tasks/{task.id}")
        expect(supervisor.locator("#files img")).to_have_count(2)
        expect(supervisor.locator("#files li.file")).to_have_count(3)
        supervisor.screenshot(path=str(artifacts / "attachments-task.png"), full_page=True)

        stranger = as_user(browser, server, "linhai")  # 林海, 仓库: nothing to do with this complaint
        first = engine.attachments(inst.id, "liuyang")[0]
        response = stranger.goto(f"{server.url}/files/{first.id}/preview")
        assert response.status == 403
        expect(stranger.locator("main")).to_contain_text("您无权查看此申请及其附件。")
        plain_words(stranger)
        stranger.screenshot(path=str(artifacts / "attachments-refused.png"), full_page=True)
        for page in (clerk, supervisor, stranger):
            page.context.close()
    engine.sa_engine.dispose()
