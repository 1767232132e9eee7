"""A rejected request in a real browser, as the applicant, the approver who rejected it and the auditor see it."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import serve_scenario
from tests.browser.scenarios import SMALL
from tests.browser.test_tour import sign_in


def test_rejection_seen_by_applicant_approver_and_auditor(browser, tmp_path):
    engine, server = serve_scenario(SMALL, tmp_path)
    inst = engine.start("small_approval", "alice", {"customer": "宏达贸易公司", "amount": 1500})
    with server:
        base = server.url
        bob = sign_in(browser, base, SMALL, "bob")
        [task] = engine.open_tasks(inst.id)
        bob.goto(f"{base}/tasks/{task.id}")
        expect(bob.locator("#instructions-h")).to_be_visible()  # the task page, from one engine read
        bob.fill("#f-comment", "金额超出预算，请修改")
        bob.click("button[name=decision][value=reject]")
        expect(bob.locator(".flash-success")).to_be_visible()
        # the approver's own task is done: its page no longer offers the form, and says who did it
        bob.goto(f"{base}/tasks/{task.id}")
        expect(bob.locator("button[name=decision]")).to_have_count(0)
        expect(bob.locator("#why-not")).to_contain_text("鲍勃")

        alice = sign_in(browser, base, SMALL, "alice")
        alice.goto(f"{base}/requests/{inst.id}")
        timeline = alice.locator("#timeline")
        expect(timeline.locator(".badge.decision-reject")).to_have_count(1)
        expect(timeline).to_contain_text("驳回")
        expect(timeline).to_contain_text("金额超出预算，请修改")
        # the next step is the revision, offered to the applicant's group (cs_staff), where she finds it
        alice.click("header nav >> text=组内待认领")
        expect(alice.locator(".task-item", has_text="修改申请")).to_have_count(1)

        auditor = sign_in(browser, base, SMALL, "audrey")
        auditor.goto(f"{base}/requests/{inst.id}")
        expect(auditor.locator("#timeline .badge.decision-reject")).to_have_count(1)
        expect(auditor.locator("#chain-status")).to_have_class(re.compile("ok"))
        expect(auditor.locator("#chain-status")).to_contain_text("未配置审计密钥")  # no key: said plainly
        for page in (bob, alice, auditor):
            page.context.close()
    engine.sa_engine.dispose()
