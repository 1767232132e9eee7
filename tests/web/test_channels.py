"""通知设置, out of office and 群机器人 as pages and as the API, with what each refusal says."""
from __future__ import annotations

from datetime import timedelta

from tests.web.conftest import login, open_task, start_request
from tests.web.test_api import api, auth  # noqa: F401 (api: fixture)


def _today(clock):
    return clock.now.date()


def test_the_settings_page_keeps_channel_preferences(client, web_engine):
    login(client, "bob")
    assert 'href="/notices/settings/"' in client.get("/notices/").text
    page = client.get("/notices/settings/").text
    assert "通知设置" in page and 'id="mail" checked' in page and 'id="robots-link"' not in page
    response = client.post("/notices/settings/", data={"event": ["reminder", "mention", "bogus"]})
    assert "通知设置已保存。" in client.get(response.location).text
    prefs = web_engine.notice_preferences("bob")
    assert (prefs.mail, prefs.events) == (False, ("reminder", "mention"))
    login(client, "owen")
    assert 'id="robots-link"' in client.get("/notices/settings/").text  # process owners reach the robots


def test_out_of_office_refusals_say_why_and_keep_what_was_typed(client, web_engine, clock):
    login(client, "bob")
    first, last = _today(clock).isoformat(), (_today(clock) + timedelta(days=2)).isoformat()
    cases = [({"deputy": "bob", "starts_on": first, "ends_on": last}, 400, "不能指定自己为代理人"),
             ({"deputy": "nobody", "starts_on": first, "ends_on": last}, 404, "没有这位同事"),
             ({"deputy": "carol", "starts_on": last, "ends_on": first}, 400, "最后一天早于第一天。"),
             ({"deputy": "carol", "starts_on": "下周一", "ends_on": last}, 422, "请输入日期，例如 2026-12-01。"),
             ({"deputy": "", "starts_on": first, "ends_on": last}, 422, "请选择代您处理新待办的同事。")]
    for form, status, words in cases:
        response = client.post("/notices/settings/away", data=form)
        assert response.status_code == status and words in response.text, form
        assert f'value="{form["ends_on"]}"' in response.text  # nothing typed is lost
    assert web_engine.out_of_office("bob") is None
    web_engine.set_out_of_office("carol", "dave", _today(clock), _today(clock) + timedelta(days=5))
    response = client.post("/notices/settings/away", data={"deputy": "carol", "starts_on": first, "ends_on": last})
    assert response.status_code == 409 and "卡罗尔 同一时间也不在岗" in response.text


def test_the_deputy_gets_the_task_and_sees_for_whom(client, web_engine, clock):
    login(client, "gina")  # 总经理: the only one in her group
    first, last = _today(clock).isoformat(), (_today(clock) + timedelta(days=2)).isoformat()
    response = client.post("/notices/settings/away", data={"deputy": "dave", "starts_on": first, "ends_on": last})
    assert f"您外出期间（{first} 至 {last}），新待办将转给 戴夫。" in client.get(response.location).text
    inst = start_request(web_engine)
    web_engine.complete(open_task(web_engine, inst.id, "manager_approval").id, "bob", {"decision": "approve"})
    task = open_task(web_engine, inst.id, "gm_approval")
    login(client, "dave")
    assert "代 吉娜 办理（外出）" in client.get("/inbox?tab=all").text
    page = client.get(f"/tasks/{task.id}").text
    assert 'id="delegated-from"' in page and "代 吉娜 办理（外出）" in page
    assert "转给代理人（外出）" in client.get(f"/requests/{inst.id}").text
    login(client, "gina")
    response = client.post("/notices/settings/away/clear")
    assert "欢迎回来" in client.get(response.location).text and web_engine.out_of_office("gina") is None


def test_robots_page_for_process_owners_only(client, web_engine):
    login(client, "bob")
    refused = client.get("/notices/robots/")
    assert refused.status_code == 403 and "只有流程管理员可以配置群机器人。" in refused.text
    assert client.post("/notices/robots/", data={"group": "cs_manager", "kind": "wecom",
                                                 "url": "https://example.com/hook"}).status_code == 403
    login(client, "owen")
    bad = client.post("/notices/robots/", data={"group": "cs_manager", "kind": "wecom", "url": "file:///etc/passwd"})
    assert bad.status_code == 400 and "请输入机器人的网址" in bad.text and 'value="file:///etc/passwd"' in bad.text
    response = client.post("/notices/robots/", data={"group": "cs_manager", "kind": "dingtalk", "secret": "SECsecret",
                                                     "url": "https://oapi.dingtalk.com/robot/send?access_token=t"})
    page = client.get(response.location).text
    assert "已保存 客户服务部经理 的机器人" in page and "已加签" in page and "SECsecret" not in page
    assert "没有放弃发送的消息。" in page
    response = client.post("/notices/robots/cs_manager/remove")
    assert "已移除 客户服务部经理 的机器人。" in client.get(response.location).text


def test_the_api_sets_preferences_absence_and_robots(api, web_engine, clock):
    first, last = _today(clock).isoformat(), (_today(clock) + timedelta(days=1)).isoformat()
    got = api.get("/api/v1/me/notice-settings", headers=auth("bob")).json
    assert got["preferences"]["mail"] is True and got["out_of_office"] is None
    saved = api.post("/api/v1/me/notice-settings", json={"mail": False, "events": ["task"]}, headers=auth("bob"))
    assert saved.json == {"username": "bob", "mail": False, "events": ["task"]}
    bad = api.post("/api/v1/me/notice-settings", json={"mail": True, "events": ["gossip"]}, headers=auth("bob"))
    assert (bad.status_code, bad.json["reason"]) == (400, "unknown_event")
    away = api.post("/api/v1/me/out-of-office", json={"deputy": "carol", "starts_on": first, "ends_on": last},
                    headers=auth("bob"))
    assert away.status_code == 200 and away.json["deputy"] == "carol" and away.json["ends_on"] == last
    self_deputy = api.post("/api/v1/me/out-of-office", json={"deputy": "bob", "starts_on": first, "ends_on": last},
                           headers=auth("bob"))
    assert (self_deputy.status_code, self_deputy.json["reason"]) == (400, "deputy_self")
    no_date = api.post("/api/v1/me/out-of-office", json={"deputy": "carol", "starts_on": "soon", "ends_on": last},
                       headers=auth("bob"))
    assert no_date.status_code == 400 and "starts_on must be a date" in no_date.json["message"]
    assert api.post("/api/v1/me/out-of-office/clear", json={}, headers=auth("bob")).json == {"cleared": True}
    stranger = api.post("/api/v1/groups/cs_manager/robot", json={"url": "https://example.com/h", "kind": "wecom"},
                        headers=auth("bob"))
    assert (stranger.status_code, stranger.json["reason"]) == (403, "not_process_owner")
    robot = api.post("/api/v1/groups/cs_manager/robot", json={"url": "https://example.com/h", "kind": "wecom"},
                     headers=auth("owen"))
    assert robot.status_code == 200 and robot.json["signed"] is False
    bad_url = api.post("/api/v1/groups/cs_manager/robot", json={"url": "javascript:alert(1)", "kind": "wecom"},
                       headers=auth("owen"))
    assert (bad_url.status_code, bad_url.json["reason"]) == (400, "bad_url")
    assert [r["group_id"] for r in api.get("/api/v1/robots", headers=auth("owen")).json] == ["cs_manager"]
    assert api.get("/api/v1/robots/failed", headers=auth("owen")).json == []
    assert api.post("/api/v1/groups/cs_manager/robot/remove", json={}, headers=auth("owen")).json == {"removed": True}
    paths = api.get("/api/v1/openapi.json").json["paths"]
    assert {"/me/notice-settings", "/me/out-of-office", "/robots", "/robots/failed",
            "/groups/{group_id}/robot"} <= set(paths)


def test_posts_given_up_are_listed_for_process_owners(client, web_engine, clock):
    from engine import webhooks
    web_engine.set_group_robot("cs_manager", "owen", "http://127.0.0.1:9/nobody-listens", "wecom")
    inst = start_request(web_engine)
    web_engine.remind(inst.id, "alice")
    for _ in range(webhooks.MAX_ATTEMPTS):
        assert web_engine.deliver_webhooks() == 0
        clock.advance(hours=1)
    login(client, "owen")
    page = client.get("/notices/robots/").text
    assert "放弃发送的消息" in page and "催办：经理审批" in page and f'href="/requests/{inst.id}"' in page
    assert "URLError" in page and "没有放弃发送的消息。" not in page
