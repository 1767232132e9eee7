"""A request whose script overruns its budget, as the applicant, the process owner and the auditor see it."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.browser.conftest import serve_scenario
from tests.browser.scenarios import SMALL
from tests.browser.test_tour import sign_in
from tests.conftest import DATA


def test_a_runaway_script_seen_by_applicant_owner_and_auditor(browser, tmp_path, monkeypatch):
    monkeypatch.setenv("APPROVALS_SCRIPT_SECONDS", "1")
    diagram = tmp_path / "scripted.bpmn"
    text = (DATA / "scripted.bpmn").read_text(encoding="utf-8")
    diagram.write_text(text.replace("SCRIPT", "while total > 0:\n    parts = parts + 1")
                       .replace("CONDITION", "share > 100"), encoding="utf-8")
    engine, server = serve_scenario(SMALL, tmp_path, bpmn_files=(diagram,), forms_dirs=(DATA / "forms",))
    with server:
        base = server.url
        alice = sign_in(browser, base, SMALL, "alice")
        alice.goto(f"{base}/start/scripted")
        alice.fill("#f-total", "1000")
        alice.fill("#f-parts", "4")
        began = time.monotonic()
        alice.click("button[type=submit].primary")
        expect(alice).to_have_url(re.compile(r"/requests/\d+$"))
        assert time.monotonic() - began < 4  # the budget (1 s), and the page, not a hung request
        instance_id = int(alice.url.rsplit("/", 1)[1])
        expect(alice.locator("#instance-status")).not_to_have_text(re.compile("已完成|已提交"))
        expect(alice.locator("#over-budget")).to_contain_text("超出了时间预算")
        expect(alice.locator("#over-budget")).to_contain_text("数据没有丢失")
        expect(alice.locator("#retry")).to_have_count(0)  # the applicant cannot rerun it

        owen = sign_in(browser, base, SMALL, "owen")
        owen.click("header nav >> text=故障申请")
        owen.click(f"a[href$='/requests/{instance_id}']")
        expect(owen.locator("#over-budget")).to_be_visible()
        owen.click("#retry")
        expect(owen.locator(".flash-error")).to_contain_text("再次失败")  # the diagram was not corrected

        auditor = sign_in(browser, base, SMALL, "audrey")
        auditor.goto(f"{base}/requests/{instance_id}")
        expect(auditor.locator("#over-budget")).to_be_visible()
        expect(auditor.locator("#retry")).to_have_count(0)
        expect(auditor.locator("#chain-status")).to_have_class(re.compile("ok"))
        for page in (alice, owen, auditor):
            page.context.close()
    assert engine.instance(instance_id).status == "error"
    engine.sa_engine.dispose()
