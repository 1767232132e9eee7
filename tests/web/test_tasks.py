"""The task page: guard, form errors with values kept, stale tasks (409), claim, release, delegate."""
from __future__ import annotations

import re

from tests.web.conftest import csrf_login, csrf_token, login, make_app, open_task, start_request


def test_candidate_sees_the_task_with_instructions_and_decision_buttons(client, web_engine):
    inst = start_request(web_engine, amount=1500)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200
    assert "审批 宏达公司 的申请，金额 1500。" in page.text  # documentation rendered over the task data
    assert 'name="decision" value="approve"' in page.text and ">同意<" in page.text and ">驳回<" in page.text
    assert '<label for="f-comment">说明</label>' in page.text
    # The request as submitted is shown among the earlier steps, with the form's own labels.
    assert "<dt>客户</dt><dd>宏达公司</dd>" in page.text and "<dt>金额</dt><dd>1500</dd>" in page.text


def test_stranger_gets_403_and_missing_task_404(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "mallory")
    assert client.get(f"/tasks/{task.id}").status_code == 403
    assert client.post(f"/tasks/{task.id}", data={"decision": "approve"}).status_code == 403
    assert client.post(f"/tasks/{task.id}/claim").status_code == 403
    assert client.get(f"/requests/{inst.id}").status_code == 403
    assert client.get(f"/requests/{inst.id}/diagram.bpmn").status_code == 403
    assert client.get("/tasks/9999").status_code == 404
    assert client.post("/tasks/9999", data={"decision": "approve"}).status_code == 404
    assert client.get("/requests/9999").status_code == 404
    assert web_engine.task(task.id).status == "open"


def test_applicant_sees_own_task_read_only_but_cannot_approve(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "alice")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and 'name="decision"' not in page.text
    assert client.post(f"/tasks/{task.id}", data={"decision": "approve"}).status_code == 403


def test_complete_from_the_form_moves_the_request_on(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "bob")
    response = client.post(f"/tasks/{task.id}", data={"decision": "approve", "comment": "可以"})
    assert response.status_code == 302 and response.location == "/inbox"
    done = web_engine.task(task.id)
    assert done.status == "completed" and done.completed_by == "bob"
    assert [t.bpmn_id for t in web_engine.open_tasks(inst.id)] == ["gm_approval"]
    completed = [e for e in web_engine.audit_trail(inst.id) if e.kind == "completed"]
    assert completed[-1].data["form"] == {"decision": "approve", "comment": "可以"}
    page = client.get(f"/tasks/{task.id}").text  # still readable, no longer a form
    assert "由 鲍勃 于" in page and 'name="decision"' not in page
    assert "已完成：经理审批" in page  # the flash message
    # ... which says where the request went and who has it now
    assert "申请现在到了「总经理审批」（由 " in page


def test_the_last_decision_says_how_the_request_ended(client, web_engine):
    inst = start_request(web_engine)
    web_engine.complete(open_task(web_engine, inst.id, "manager_approval").id, "bob", {"decision": "approve"})
    last = open_task(web_engine, inst.id, "gm_approval")
    login(client, "gina")
    response = client.post(f"/tasks/{last.id}", data={"decision": "approve"})
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "已完成：总经理审批" in page and "申请已结束：完成。" in page
    assert web_engine.instance(inst.id).status == "completed"


def test_submitting_twice_from_two_tabs_says_it_was_you(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "bob")
    assert client.post(f"/tasks/{task.id}", data={"decision": "approve", "comment": "第一次"}).status_code == 302
    again = client.post(f"/tasks/{task.id}", data={"decision": "reject", "comment": "第二个标签页"})
    assert again.status_code == 409
    assert "您已办理过此任务" in again.text and "Someone was faster" not in again.text and "有人抢先" not in again.text
    assert "已由您本人于" in again.text and "第二个标签页" in again.text  # what the second tab sent, not saved
    assert web_engine.task(task.id).completed_by == "bob"
    assert [e.data["form"]["comment"] for e in web_engine.audit_trail(inst.id) if e.kind == "completed"] == ["第一次"]


def test_form_errors_come_back_422_with_messages_and_values(client, web_engine):
    login(client, "alice")
    response = client.post("/start/small_approval", data={"customer": "宏达", "amount": "一千"})
    assert response.status_code == 422
    assert 'value="宏达"' in response.text and 'value="一千"' in response.text
    assert re.search(r'id="f-amount-err">[^<]+<', response.text)
    assert 'aria-invalid="true"' in response.text
    response = client.post("/start/small_approval", data={"customer": "", "amount": "0"})
    assert response.status_code == 422
    assert 'id="f-customer-err"' in response.text and 'id="f-amount-err"' in response.text
    assert 'value="0"' in response.text
    assert web_engine.instances() == []


def test_task_form_errors_keep_what_was_typed(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "bob")
    response = client.post(f"/tasks/{task.id}", data={"comment": "还没想好"})  # no decision pressed
    assert response.status_code == 422
    assert '>还没想好</textarea>' in response.text and 'class="decision invalid"' in response.text  # a long text: a textarea
    response = client.post(f"/tasks/{task.id}", data={"decision": "maybe", "comment": "x" * 501})
    assert response.status_code == 422 and 'id="f-comment-err"' in response.text
    assert web_engine.task(task.id).status == "open"


def test_every_widget_round_trips_through_the_task_page(client, web_engine):
    login(client, "alice")
    posted = {"name": "宏达", "kind": "b", "level": "high", "count": "3", "price": "9.5", "day": "2026-12-01",
              "meeting": "2026-12-01T14:30", "urgent": "true", "confirmed": "true", "areas": ["east", "west"],
              "tags": ["t1"], "lines-0-item": "面料", "lines-0-qty": "2", "lines-0-checked": "true"}
    response = client.post("/start/web_widgets", data=posted)
    assert response.status_code == 302
    inst = web_engine.instances(process_id="web_widgets")[0]
    check = open_task(web_engine, inst.id, "check")
    assert response.location == f"/tasks/{check.id}"  # the applicant's own next task opens directly
    data = web_engine.data(inst.id)
    assert data["meeting"] == "2026-12-01T14:30:00+08:00" and data["lines"] == [
        {"item": "面料", "qty": 2, "checked": True}]
    page = client.get(response.location).text
    assert "请核对 宏达 的 3 件。" in page
    # A data-entry form (no decision) starts from the request's data.
    assert 'value="2026-12-01T14:30"' in page and 'name="lines-0-item" value="面料"' in page
    assert re.search(r'name="areas"\s+value="east" checked', page)
    assert 'name="lines-1-item" value=""' in page  # one spare row
    assert '<option value="b" selected>乙类</option>' in page
    response = client.post(response.location, data={**posted, "count": "4", "lines-0-qty": "x"})
    assert response.status_code == 422 and 'name="lines-0-qty" value="x"' in response.text
    assert 'id="f-lines-0-qty-err"' in response.text and 'value="4"' in response.text
    response = client.post(f"/tasks/{check.id}", data={**posted, "count": "4"})
    assert response.status_code == 302
    assert web_engine.instance(inst.id).status == "completed" and web_engine.data(inst.id)["count"] == 4


def test_stale_task_is_409_and_shows_what_was_typed(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "bob")
    assert client.get(f"/tasks/{task.id}").status_code == 200
    web_engine.complete(task.id, "carol", {"decision": "reject", "comment": "先驳回"})
    response = client.post(f"/tasks/{task.id}", data={"decision": "approve", "comment": "我同意这笔"})
    assert response.status_code == 409
    assert "卡罗尔" in response.text  # who completed it
    assert "我同意这笔" in response.text and "同意" in response.text
    assert f'href="/requests/{inst.id}"' in response.text
    assert web_engine.task(task.id).completed_by == "carol"


def test_task_taken_away_is_409(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    web_engine.claim(task.id, "bob")
    login(client, "bob")
    assert client.get(f"/tasks/{task.id}").status_code == 200
    web_engine.delegate(task.id, "bob", "carol", "休假")
    response = client.post(f"/tasks/{task.id}", data={"decision": "approve", "comment": "迟到的意见"})
    assert response.status_code == 409 and "迟到的意见" in response.text and "卡罗尔" in response.text


def test_claim_release_delegate_with_reasons(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "bob")
    assert "Claim" in client.get("/inbox?tab=group").text or "认领" in client.get("/inbox?tab=group").text
    response = client.post(f"/tasks/{task.id}/claim", data={"reason": "我来"})
    assert response.status_code == 302 and response.location == f"/tasks/{task.id}"
    assert web_engine.task(task.id).assignee == "bob"
    page = client.get(f"/tasks/{task.id}").text
    assert f'action="/tasks/{task.id}/release"' in page and 'value="carol"' in page
    assert 'value="alice"' not in page  # the applicant is never offered as a delegate
    response = client.post(f"/tasks/{task.id}/release", data={"reason": "没空"})
    assert response.status_code == 302 and web_engine.task(task.id).assignee is None
    response = client.post(f"/tasks/{task.id}/delegate", data={"to_user": "carol", "reason": "她熟悉"})
    assert response.status_code == 302 and web_engine.task(task.id).assignee == "carol"
    kinds = [(e.kind, e.data.get("reason")) for e in web_engine.audit_trail(inst.id)
             if e.kind in ("claimed", "released", "delegated")]
    assert kinds == [("claimed", "我来"), ("released", "没空"), ("delegated", "她熟悉")]


def test_claim_conflicts_and_bad_delegations(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    web_engine.claim(task.id, "carol")
    login(client, "bob")
    assert client.post(f"/tasks/{task.id}/claim").status_code == 409
    assert client.post(f"/tasks/{task.id}/release").status_code == 403
    client.post("/logout")
    login(client, "carol")
    assert client.post(f"/tasks/{task.id}/delegate", data={"to_user": "gina"}).status_code == 403
    assert client.post(f"/tasks/{task.id}/delegate", data={"to_user": "ghost"}).status_code == 404
    assert client.post(f"/tasks/{task.id}/delegate", data={"to_user": ""}).status_code == 302
    assert web_engine.task(task.id).assignee == "carol"


def test_auditor_reads_the_task_but_never_acts(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "audrey")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and 'name="decision"' not in page.text
    for url in (f"/tasks/{task.id}", f"/tasks/{task.id}/claim", f"/tasks/{task.id}/delegate"):
        assert client.post(url, data={"decision": "approve", "to_user": "bob"}).status_code == 403
    assert client.post("/start/small_approval", data={"customer": "x", "amount": "1"}).status_code == 403
    assert client.post(f"/requests/{inst.id}/cancel").status_code == 403
    assert web_engine.task(task.id).status == "open" and web_engine.instance(inst.id).status != "cancelled"


def test_instructions_escape_data_and_refuse_unsafe_templates(client, web_engine):
    login(client, "alice")
    client.post("/start/web_widgets", data={"name": "<script>alert(1)</script>", "kind": "a", "count": "1",
                                            "lines-0-item": "x", "lines-0-qty": "1"})
    inst = web_engine.instances(process_id="web_widgets")[0]
    page = client.get(f"/tasks/{open_task(web_engine, inst.id, 'check').id}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_csrf_is_enforced_when_enabled(web_engine):
    app = make_app(web_engine, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    refused = client.post("/login", data={"username": "alice", "password": "pw-alice"})
    assert refused.status_code == 400
    assert csrf_login(client, "alice").status_code == 302
    inst = start_request(web_engine)
    response = client.post(f"/requests/{inst.id}/cancel", data={"reason": "没有令牌"})
    assert response.status_code == 400 and "没有令牌" in response.text  # what was typed is shown
    assert web_engine.instance(inst.id).status != "cancelled"
    token = csrf_token(client, f"/requests/{inst.id}")
    response = client.post(f"/requests/{inst.id}/cancel", data={"reason": "改期", "csrf_token": token})
    assert response.status_code == 302 and web_engine.instance(inst.id).status == "cancelled"


def test_the_task_page_reads_the_workflow_once(client, web_engine, monkeypatch):
    from engine.storage import serialization
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    loads = []
    original = serialization.loads
    monkeypatch.setattr(serialization, "loads", lambda *a, **k: loads.append(1) or original(*a, **k))
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and "宏达公司" in page.text
    assert len(loads) == 1
