"""Cancelling a request asks first: dismissing the question cancels nothing, accepting it cancels."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import serve_scenario
from tests.browser.scenarios import SMALL
from tests.browser.test_tour import sign_in


def test_cancel_asks_before_it_cancels(browser, tmp_path):
    engine, server = serve_scenario(SMALL, tmp_path)
    inst = engine.start("small_approval", "alice", {"customer": "宏达贸易公司", "amount": 1500})
    with server:
        alice = sign_in(browser, server.url, SMALL, "alice")
        alice.goto(f"{server.url}/requests/{inst.id}")
        asked = []
        alice.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        alice.click("button:has-text('撤销申请'), form[action$='/cancel'] button")
        alice.wait_for_timeout(300)
        assert asked and "无法恢复" in asked[0]
        assert engine.instance(inst.id).status == "running"  # dismissed: nothing happened
        alice.once("dialog", lambda dialog: dialog.accept())
        alice.click("form[action$='/cancel'] button")
        expect(alice.locator("#instance-status")).to_have_class("badge outcome-cancelled")
        alice.context.close()
    assert engine.instance(inst.id).status == "cancelled"
    engine.sa_engine.dispose()
