"""Comments, 撤回, 催办 and 抄送 on the request page and in the API, as each role sees them."""
from __future__ import annotations

from tests.web.conftest import login, open_task, start_request
from tests.web.test_api import auth


def test_comment_with_a_mention_opens_the_request_to_the_colleague(client, web_engine):
    inst = start_request(web_engine, customer="宏达贸易公司")
    login(client, "mallory")
    assert client.get(f"/requests/{inst.id}").status_code == 403
    login(client, "alice")
    page = client.get(f"/requests/{inst.id}").text
    assert 'id="comment-text"' in page and 'id="withdraw"' in page and 'id="remind"' in page
    response = client.post(f"/requests/{inst.id}/comments", data={"text": "请 @马洛里 帮忙核对金额"})
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "评论已发表，已通知 马洛里。" in page
    assert "请 @马洛里 帮忙核对金额" in page and "发表了评论" in page
    assert client.post(f"/requests/{inst.id}/comments", data={"text": "  "}).status_code == 302
    assert "请先填写评论内容" in client.get(f"/requests/{inst.id}").text
    login(client, "mallory")
    assert client.get(f"/requests/{inst.id}").status_code == 200  # mentioned: she may read it now


def test_remind_then_withdraw_as_the_applicant(client, web_engine, clock):
    inst = start_request(web_engine)
    login(client, "alice")
    response = client.post(f"/requests/{inst.id}/remind")
    assert "已催办：客户服务部经理。" in client.get(response.location).text
    client.post(f"/requests/{inst.id}/remind")
    assert "您刚催办过" in client.get(f"/requests/{inst.id}").text
    login(client, "bob")  # the holder: no remind or withdraw buttons for him
    page = client.get(f"/requests/{inst.id}").text
    assert 'id="remind"' not in page and 'id="withdraw"' not in page and "催办" in page  # the timeline line
    assert client.post(f"/requests/{inst.id}/withdraw").status_code == 403
    login(client, "alice")
    response = client.post(f"/requests/{inst.id}/withdraw", data={"reason": "客户取消"})
    page = client.get(response.location).text
    assert "您已撤回申请" in page and 'class="badge outcome-withdrawn"' in page and "已撤回" in page
    assert 'id="withdraw"' not in page and 'id="remind"' not in page
    assert web_engine.open_tasks(inst.id) == []


def test_no_withdraw_once_the_manager_acted(client, web_engine):
    inst = start_request(web_engine)
    web_engine.claim(open_task(web_engine, inst.id, "manager_approval").id, "bob")
    login(client, "alice")
    assert 'id="withdraw"' not in client.get(f"/requests/{inst.id}").text
    response = client.post(f"/requests/{inst.id}/withdraw")
    assert response.status_code == 409 and web_engine.instance(inst.id).status == "running"


def test_copy_to_a_group_and_the_copied_list(client, web_engine):
    inst = start_request(web_engine, customer="福州纺织集团")
    login(client, "gina")
    assert client.get(f"/requests/{inst.id}").status_code == 403
    login(client, "alice")
    response = client.post(f"/requests/{inst.id}/copy", data={"to_group": ["gm"], "note": "请知悉"})
    assert "已抄送给 总经理。" in client.get(response.location).text
    login(client, "gina")
    assert client.get(f"/requests/{inst.id}").status_code == 200
    listed = client.get("/requests/?scope=copied").text
    assert f'href="/requests/{inst.id}"' in listed and "抄送我的" in listed
    login(client, "audrey")  # auditors read everything and act on nothing
    page = client.get(f"/requests/{inst.id}").text
    assert 'id="comment-text"' not in page and 'action="/requests/%d/copy"' % inst.id not in page
    assert client.post(f"/requests/{inst.id}/comments", data={"text": "x"}).status_code == 403


def test_the_api_has_the_same_verbs(web_engine, app):
    api = app.test_client()
    inst = start_request(web_engine)
    made = api.post(f"/api/v1/instances/{inst.id}/comments", json={"text": "@bob 请看"}, headers=auth("alice"))
    assert made.status_code == 201 and made.json["mentions"] == ["bob"]
    assert api.post(f"/api/v1/instances/{inst.id}/copy", json={"to": "gina"}, headers=auth("alice")).status_code == 400
    assert api.post(f"/api/v1/instances/{inst.id}/copy", json={"to": ["gina"]},
                    headers=auth("alice")).json == {"copied": ["gina"]}
    assert [i["id"] for i in api.get("/api/v1/copied", headers=auth("gina")).json] == [inst.id]
    assert api.post(f"/api/v1/instances/{inst.id}/remind", json={}, headers=auth("alice")).json == {
        "reminded": ["group:cs_manager"]}
    soon = api.post(f"/api/v1/instances/{inst.id}/remind", json={}, headers=auth("alice"))
    assert soon.status_code == 409 and soon.json["reason"] == "reminded_recently"
    refused = api.post(f"/api/v1/instances/{inst.id}/withdraw", json={}, headers=auth("bob"))
    assert refused.status_code == 403 and refused.json["reason"] == "not_initiator"
    ended = api.post(f"/api/v1/instances/{inst.id}/withdraw", json={"reason": "不要了"}, headers=auth("alice"))
    assert ended.status_code == 200 and ended.json["outcome"] == "withdrawn"


def test_send_back_from_the_task_page_and_the_api(client, web_engine, app):
    inst = start_request(web_engine)
    web_engine.complete(open_task(web_engine, inst.id, "manager_approval").id, "bob", {"decision": "approve"})
    gm = open_task(web_engine, inst.id, "gm_approval")
    login(client, "gina")
    page = client.get(f"/tasks/{gm.id}").text
    assert '<option value="manager_approval">经理审批 · 鲍勃</option>' in page
    assert client.post(f"/tasks/{gm.id}/return", data={"to": "manager_approval", "reason": ""}).status_code == 302
    assert web_engine.task(gm.id).status == "open"  # no reason, nothing sent back
    response = client.post(f"/tasks/{gm.id}/return", data={"to": "manager_approval", "reason": "金额请再核"})
    assert response.status_code == 302
    [again] = web_engine.open_tasks(inst.id)
    assert (again.bpmn_id, again.assignee) == ("manager_approval", "bob")
    login(client, "bob")
    page = client.get(f"/tasks/{again.id}").text
    assert "金额请再核" in page and "退回了申请" in page  # why, in the earlier steps of his task page
    api = app.test_client()
    assert api.get(f"/api/v1/tasks/{again.id}", headers=auth("bob")).json["return_targets"] == []
    web_engine.complete(again.id, "bob", {"decision": "approve"})
    gm2 = open_task(web_engine, inst.id, "gm_approval")
    refused = api.post(f"/api/v1/tasks/{gm2.id}/return", json={"to": "nowhere", "reason": "x"}, headers=auth("gina"))
    assert refused.status_code == 404
    sent = api.post(f"/api/v1/tasks/{gm2.id}/return", json={"to": "manager_approval", "reason": "再核一次"},
                    headers=auth("gina"))
    assert sent.status_code == 200 and [t.bpmn_id for t in web_engine.open_tasks(inst.id)] == ["manager_approval"]


def test_the_bell_counts_unread_notifications_and_opens_the_request(client, web_engine, app):
    inst = start_request(web_engine)
    web_engine.comment(inst.id, "alice", "@bob 麻烦看一下")
    login(client, "bob")
    page = client.get("/inbox").text
    assert 'aria-label="通知：1 条未读"' in page
    listed = client.get("/notices/").text
    assert "有人在“小额审批 - 宏达公司”中提到了您" in listed and "麻烦看一下" in listed
    [notice] = web_engine.notices("bob")
    opened = client.get(f"/notices/{notice.id}")
    assert opened.status_code == 302 and opened.location == f"/requests/{inst.id}"
    assert 'aria-label="通知：0 条未读"' in client.get("/inbox").text
    login(client, "alice")
    assert client.get(f"/notices/{notice.id}").status_code == 404  # not hers
    api = app.test_client()
    web_engine.comment(inst.id, "alice", "@bob 第二次")
    found = api.get("/api/v1/notices", headers=auth("bob"))
    assert found.headers["X-Unread"] == "1" and len(found.json) == 2
    assert api.post("/api/v1/notices/read", json={}, headers=auth("bob")).json == {"marked": 1}


def test_the_start_form_copies_the_new_request(client, web_engine, app):
    login(client, "alice")
    page = client.get("/start/small_approval").text
    assert 'name="to_group"' in page and 'name="to_user"' in page
    response = client.post("/start/small_approval", data={"customer": "宏达", "amount": "800", "to_group": ["gm"]})
    assert response.status_code == 302
    [inst] = web_engine.instances()
    assert web_engine.may_read("gina", inst.id) and [i.id for i in web_engine.copied_to_me("gina")] == [inst.id]
    api = app.test_client()
    bad = api.post("/api/v1/processes/small_approval/instances", json={"data": {"customer": "甲", "amount": 5},
                                                                       "copy_to": "gina"}, headers=auth("alice"))
    assert bad.status_code == 400
    made = api.post("/api/v1/processes/small_approval/instances",
                    json={"data": {"customer": "甲", "amount": 5}, "copy_to": ["carol"]}, headers=auth("alice"))
    assert made.status_code == 201 and web_engine.may_read("carol", made.json["id"])


def test_the_print_view_carries_decisions_names_and_the_audit_head(client, web_engine):
    inst = start_request(web_engine, customer="宏达贸易公司")
    web_engine.complete(open_task(web_engine, inst.id, "manager_approval").id, "bob",
                        {"decision": "approve", "comment": "金额合理"})
    login(client, "alice")
    assert 'id="print-link"' in client.get(f"/requests/{inst.id}").text
    page = client.get(f"/requests/{inst.id}/print").text
    seq, head = web_engine.audit_head(inst.id)
    assert "小额审批" in page and "宏达贸易公司" in page and "经理审批" in page and "鲍勃" in page
    assert "金额合理" in page and "同意" in page
    assert f"第 {seq} 条事件，哈希 {head}" in page and len(head) == 64
    login(client, "mallory")
    assert client.get(f"/requests/{inst.id}/print").status_code == 403


def _bulk_diagram(tmp_path):
    from tests.conftest import DATA
    source = (DATA / "approval.bpmn").read_text(encoding="utf-8")
    marked = source.replace('<spiffworkflow:property name="formJsonSchemaFilename" value="decision.schema.json" />',
                            '<spiffworkflow:property name="formJsonSchemaFilename" value="decision.schema.json" />'
                            '<spiffworkflow:property name="bulk" value="on" />', 1)
    assert marked != source
    path = tmp_path / "approval.bpmn"
    path.write_text(marked, encoding="utf-8")
    return path


def test_bulk_approve_where_the_step_allows_it(client, web_engine, tmp_path):
    plain = start_request(web_engine, customer="旧版本")  # version 1: its step does not allow bulk
    web_engine.deploy_paths([_bulk_diagram(tmp_path)], "owen")
    first = start_request(web_engine, customer="甲公司")
    second = start_request(web_engine, customer="乙公司")
    own = start_request(web_engine, user="dave", customer="戴夫自己的")  # dave may not approve his own
    tasks = {i.id: open_task(web_engine, i.id, "manager_approval").id for i in (plain, first, second, own)}
    assert web_engine.bulk_allowed(tasks.values()) == {tasks[first.id], tasks[second.id], tasks[own.id]}
    login(client, "dave")
    page = client.get("/inbox").text
    assert f'value="{tasks[first.id]}" form="bulk-form"' in page and f'value="{tasks[plain.id]}" form="bulk-form"' not in page
    response = client.post("/inbox/bulk", data={"task": [str(tasks[first.id]), str(tasks[second.id]),
                                                         str(tasks[own.id]), str(tasks[plain.id])]})
    page = client.get(response.location).text
    assert "已同意 2 项任务。" in page and "此步骤须逐项办理" in page and f"任务 {tasks[own.id]} 未能同意" in page
    assert [t.bpmn_id for t in web_engine.open_tasks(first.id)] == ["gm_approval"]
    assert [t.bpmn_id for t in web_engine.open_tasks(second.id)] == ["gm_approval"]
    assert web_engine.task(tasks[own.id]).status == "open" and web_engine.task(tasks[plain.id]).status == "open"
    done = [e for e in web_engine.audit_trail(first.id) if e.kind == "completed"]
    assert done[-1].actor == "dave" and done[-1].data["form"] == {"decision": "approve"}
