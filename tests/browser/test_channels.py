"""Notifications that arrive, in a real browser on the real tour procedure: the CS manager 张伟 turns copies
out of his mail and names 陈静 his deputy while he is away; the process owner gives his group a 企业微信 robot
(a local HTTP server); 刘洋 applies, 陈静 finds the task in her inbox marked as 张伟's, and 刘洋's reminder
arrives at the robot as markdown. A refusal on the way (the days the wrong way round) says why and keeps what was chosen."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.test_unhappy_paths import as_user, plain_words, serve
from tests.engine.test_robots import Robot
from tests.scenarios.test_tour_approval import application


def test_deputy_gets_the_task_and_the_group_robot_gets_the_reminder(browser, tmp_path, artifacts):
    engine, server, clock = serve(tmp_path, "tour_approval.bpmn")
    first, last = clock.now.date().isoformat(), (clock.now.date() + timedelta(days=3)).isoformat()
    with Robot() as robot, server:
        manager = as_user(browser, server, "zhangwei")  # 张伟, 客户服务部经理, the only one in his group
        manager.click("#bell")
        manager.click("#settings-link")
        expect(manager.locator("h1")).to_have_text("通知设置")
        manager.uncheck("#event-copy")
        manager.click("#save-preferences")
        expect(manager.locator(".flash-success")).to_contain_text("通知设置已保存。")
        expect(manager.locator("#event-copy")).not_to_be_checked()

        manager.select_option("#away-deputy", label="陈静")
        manager.fill("#away-starts", last)  # the days the wrong way round first
        manager.fill("#away-ends", first)
        manager.click("#away-save")
        expect(manager.locator("#away-ends-error")).to_have_text("最后一天早于第一天。")
        expect(manager.locator("#away-deputy")).to_have_value("chenjing")  # nothing chosen is lost
        manager.fill("#away-starts", first)
        manager.fill("#away-ends", last)
        manager.click("#away-save")
        expect(manager.locator(".flash-success")).to_contain_text("新待办将转给 陈静。")
        expect(manager.locator("#away-now")).to_contain_text("陈静")
        plain_words(manager, verbatim=True)
        manager.screenshot(path=str(artifacts / "channels-settings.png"), full_page=True)

        owner = as_user(browser, server, "luoming")  # 罗明, 流程管理员
        owner.goto(f"{server.url}/notices/settings/")
        owner.click("#robots-link")
        owner.select_option("#robot-group", label="客户服务部经理")
        owner.select_option("#robot-kind", "wecom")
        owner.fill("#robot-url", "gopher://example.com/hook")
        owner.click("#robot-save")
        expect(owner.locator("#robot-error")).to_contain_text("请输入机器人的网址")
        owner.fill("#robot-url", robot.url)
        owner.click("#robot-save")
        expect(owner.locator(".flash-success")).to_contain_text("已保存 客户服务部经理 的机器人")
        expect(owner.locator("#robots")).to_contain_text("企业微信")
        owner.screenshot(path=str(artifacts / "channels-robots.png"), full_page=True)

        inst = engine.start("tour_approval", "liuyang", application(clock, "key"))
        deputy = as_user(browser, server, "chenjing")  # 陈静
        deputy.goto(f"{server.url}/inbox?tab=all")
        item = deputy.locator(".task-item", has_text=f"#{inst.id} ")
        expect(item).to_contain_text("代 张伟 办理（外出）")
        item.locator("a.task-title").click()
        expect(deputy.locator("#delegated-from")).to_have_text("代 张伟 办理（外出）")
        plain_words(deputy, verbatim=True)
        deputy.screenshot(path=str(artifacts / "channels-deputy-task.png"), full_page=True)

        applicant = as_user(browser, server, "liuyang")
        applicant.goto(f"{server.url}/requests/{inst.id}")
        expect(applicant.locator("#timeline li.kind-delegated_by_rule")).to_contain_text("转给代理人（外出）")
        applicant.click("#remind")
        expect(applicant.locator(".flash-success")).to_contain_text("已催办：客户服务部经理、陈静。")
        assert robot.received == []  # nothing leaves while the page is answered: the worker posts it
        assert engine.deliver_webhooks(server.url) == 1
        applicant.screenshot(path=str(artifacts / "channels-reminded.png"), full_page=True)
        for page in (manager, owner, deputy, applicant):
            page.context.close()
    [(_path, body)] = robot.received
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["content"].startswith("### 催办：客户服务部经理审核\n\n")
    assert body["markdown"]["content"].endswith(f"[查看申请]({server.url}/requests/{inst.id})")
    engine.sa_engine.dispose()
