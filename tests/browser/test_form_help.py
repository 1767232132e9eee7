"""Forms that help, in a real browser: fields shown and marked required by the schema's own conditions,
character counters on limited text, long text in a textarea, a received time that starts at now."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import serve_scenario
from tests.browser.scenarios import TOUR, TOUR_NOW
from tests.browser.test_tour import sign_in
from tests.conftest import WORKFLOWS


def test_conditional_fields_counters_and_defaults(browser, tmp_path, artifacts):
    engine, server = serve_scenario(TOUR, tmp_path, bpmn_files=(WORKFLOWS / "complaint_handling.bpmn",))
    with server:
        page = sign_in(browser, server.url, TOUR, "liuyang")
        page.goto(f"{server.url}/start/tour_approval")
        reason = page.locator("#f-photo_reason")
        box = page.locator(".field", has=reason)
        # 拍照理由 is required only when photography is asked for (the schema's if/then): hidden until then
        expect(box).to_be_hidden()
        page.check("#f-photo_requested")
        expect(box).to_be_visible()
        expect(box.locator(".req")).to_have_count(1)  # marked required while shown
        page.uncheck("#f-photo_requested")
        expect(box).to_be_hidden()
        expect(reason).to_be_disabled()  # hidden, it sends nothing
        # 参观目的 has a limit: the counter follows the typing, in characters
        counter = page.locator("#f-purpose-count")
        expect(counter).to_have_text("已输入 0 / 500 字")
        page.fill("#f-purpose", "考察生产线")
        expect(counter).to_have_text("已输入 5 / 500 字")
        page.screenshot(path=str(artifacts / "form-help-tour.png"), full_page=True)

        # without script every field shows, and the server still requires the reason when it applies
        bare = browser.new_context(java_script_enabled=False).new_page()
        bare.goto(f"{server.url}/login")
        bare.fill("#username", "liuyang")
        bare.fill("#password", "demo123")
        bare.click("button[type=submit]")
        bare.goto(f"{server.url}/start/tour_approval")
        expect(bare.locator("#f-photo_reason")).to_be_visible()
        bare.context.close()

        page.goto(f"{server.url}/start/complaint_handling")
        # 接到时间 starts at the server's now, in the user's time zone (Beijing)
        value = page.locator("#f-received_at").input_value()
        assert value.startswith(TOUR_NOW.strftime("%Y-%m-%dT%H:")), value
        expect(page.locator("#f-content")).to_have_js_property("tagName", "TEXTAREA")
        page.context.close()
    engine.sa_engine.dispose()
