"""Why not: the task page asks the engine's may_act before drawing a form, and refusals read as sentences.

The engine's English text stays available, folded under "technical details"; what people read comes from
the stable reason codes (`exc.reason`, `exc.holder`) in the user's language.
"""
from __future__ import annotations

import re
from html import unescape

import pytest

from engine import Conflict
from tests.web.conftest import login, open_task, start_request
from web.refusals import REASONS, reason_message

CONFLICT_CODES = ("completed", "cancelled", "claimed", "not_waiting", "concurrent", "instance_ended", "not_in_error",
                  "not_releasable", "unsafe_migration")
NOT_ALLOWED_CODES = ("assigned_to", "not_candidate", "self_approval", "not_owner", "cannot_start", "event_start", "auditor",
                     "not_initiator",
                     "not_holder", "not_in_group")
TASK_PAGE_CODES = ("self_approval", "assigned_to", "not_candidate", "completed", "cancelled", "not_waiting")


def why_not(html: str) -> str | None:
    found = re.search(r'<p class="notice" id="why-not">([^<]*)</p>', html)
    return unescape(found.group(1)) if found else None


def detail(html: str) -> str | None:
    found = re.search(r'<p class="detail">([^<]*)</p>', html)
    return unescape(found.group(1)) if found else None


def technical(html: str) -> str:
    found = re.search(r'<details class="technical">.*?<small>([^<]*)</small>', html, re.S)
    return unescape(found.group(1)) if found else ""


@pytest.fixture
def task(web_engine):
    inst = start_request(web_engine)
    return open_task(web_engine, inst.id, "manager_approval")


# ------------------------------------------------------------------ the task page: no form, and why
def test_candidate_gets_the_form_and_no_explanation(client, task):
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}").text
    assert 'name="decision"' in page and why_not(page) is None


def test_initiator_who_could_approve_is_told_self_approval(client, web_engine):
    # dave is in cs_staff and cs_manager: the manager's task is offered to his group, but it is his request.
    inst = start_request(web_engine, "dave")
    task = open_task(web_engine, inst.id, "manager_approval")
    assert web_engine.may_act(task.id, "dave") == (False, "self_approval")
    login(client, "dave")
    page = client.get(f"/tasks/{task.id}").text
    assert 'name="decision"' not in page and 'action="/tasks/%d/claim"' % task.id not in page
    assert why_not(page) == "这是您本人发起的申请，您不能审批自己的申请。"
    client.get("/language/en")
    page = client.get(f"/tasks/{task.id}").text
    assert why_not(page) == "You started this request, so you may not approve it yourself."


def test_task_held_by_a_colleague_names_the_holder(client, web_engine, task):
    web_engine.claim(task.id, "carol")
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}").text
    assert 'name="decision"' not in page and why_not(page) == "此任务由 卡罗尔 办理。"
    client.get("/language/en")
    assert why_not(client.get(f"/tasks/{task.id}").text) == "This task is held by 卡罗尔."


def test_people_who_may_look_but_are_not_offered_the_task(client, task):
    for user in ("alice", "owen"):  # the applicant (another lane) and a process owner
        login(client, user)
        page = client.get(f"/tasks/{task.id}").text
        assert 'name="decision"' not in page, user
        assert why_not(page) == "此任务不由您或您所在的组办理。", user
        client.post("/logout")


def test_completed_and_cancelled_tasks(client, web_engine, task):
    web_engine.complete(task.id, "carol", {"decision": "approve"})
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}").text
    assert why_not(page).startswith("由 卡罗尔 于 2026年11月23日") and 'name="decision"' not in page
    inst = start_request(web_engine, customer="乙公司")
    other = open_task(web_engine, inst.id, "manager_approval")
    web_engine.cancel(inst.id, "alice", "不需要了")
    assert why_not(client.get(f"/tasks/{other.id}").text) == "此任务已不再需要。"


def test_task_not_waiting_for_input(client, web_engine, task, monkeypatch):
    # An open row whose task is not READY (the request is between steps or stopped): the engine says so.
    import dataclasses
    screen = web_engine.task_screen
    monkeypatch.setattr(web_engine, "task_screen", lambda task_id, user: dataclasses.replace(
        screen(task_id, user), may_act=False, reason="not_waiting"))
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}").text
    assert 'name="decision"' not in page and why_not(page) == "此任务目前不在等待办理。"


def test_auditor_is_told_auditors_only_read(client, task):
    login(client, "audrey")
    assert why_not(client.get(f"/tasks/{task.id}").text) == "审计人员只能查看，不能操作。"


# ------------------------------------------------------------------ refusals on the error page
def test_delegating_to_someone_outside_the_group(client, web_engine, task):
    web_engine.claim(task.id, "carol")
    login(client, "carol")
    page = client.post(f"/tasks/{task.id}/delegate", data={"to_user": "gina"})
    assert page.status_code == 403
    assert detail(page.text) == "吉娜 不在此任务所属的组中。"
    assert technical(page.text) == f"gina is not in the group task {task.id} belongs to"
    client.get("/language/en")
    page = client.post(f"/tasks/{task.id}/delegate", data={"to_user": "gina"})
    assert detail(page.text) == "吉娜 is not in the group this task belongs to."


def test_delegating_to_the_initiator(client, web_engine):
    inst = start_request(web_engine, "dave")
    task = open_task(web_engine, inst.id, "manager_approval")
    web_engine.claim(task.id, "bob")
    login(client, "bob")
    page = client.post(f"/tasks/{task.id}/delegate", data={"to_user": "dave"})
    assert page.status_code == 403 and detail(page.text) == "戴夫 是此申请的发起人，不能审批自己的申请。"


def test_self_approval_posted_anyway(client, web_engine):
    inst = start_request(web_engine, "dave")
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "dave")
    page = client.post(f"/tasks/{task.id}", data={"decision": "approve"})
    assert page.status_code == 403 and detail(page.text) == "这是您本人发起的申请，您不能审批自己的申请。"
    assert "may not approve it" in technical(page.text)
    assert web_engine.task(task.id).status == "open"


def test_releasing_a_task_someone_else_holds(client, web_engine, task):
    web_engine.claim(task.id, "carol")
    login(client, "bob")
    page = client.post(f"/tasks/{task.id}/release")
    assert page.status_code == 403 and detail(page.text) == "此任务由 卡罗尔 办理，不在您名下。"


def test_cancel_refused_and_cancel_twice(client, web_engine, task):
    login(client, "bob")  # the manager may open the request, but only its initiator may cancel it
    page = client.post(f"/requests/{task.instance_id}/cancel")
    assert page.status_code == 403 and detail(page.text) == "只有申请的发起人或流程管理员可以撤销此申请。"
    client.post("/logout")
    login(client, "alice")
    assert client.post(f"/requests/{task.instance_id}/cancel").status_code == 302
    page = client.post(f"/requests/{task.instance_id}/cancel")
    assert page.status_code == 409 and detail(page.text) == "此申请已经结束。"
    assert technical(page.text) == f"instance {task.instance_id} is already cancelled"


def test_claim_of_a_claimed_task_explains_once(client, web_engine, task):
    web_engine.claim(task.id, "carol")
    login(client, "bob")
    page = client.post(f"/tasks/{task.id}/claim")
    assert page.status_code == 409
    assert "任务“经理审批”现在由 卡罗尔 处理。" in page.text  # the stale task's explanation
    assert detail(page.text) is None  # the stale task's state says it: not twice
    assert technical(page.text) == f"task {task.id} is already claimed by carol"


def test_concurrent_writer(client, web_engine, task, monkeypatch):
    def lost(*args, **kwargs):
        raise Conflict("someone else changed this instance at the same time; try again", "concurrent")
    monkeypatch.setattr(web_engine, "complete", lost)
    login(client, "bob")
    page = client.post(f"/tasks/{task.id}", data={"decision": "approve", "comment": "同意"})
    assert page.status_code == 409
    assert detail(page.text) == "其他人在同一时刻修改了此申请。您的操作未保存，请重试。"
    assert "同意" in page.text.split('id="submitted-h"')[1]  # what was typed is shown


def test_an_error_without_a_known_reason_keeps_the_generic_page(client, task, web_engine, monkeypatch):
    def odd(*args, **kwargs):
        raise Conflict("something new the UI does not know", "brand_new_code")
    monkeypatch.setattr(web_engine, "claim", odd)
    login(client, "bob")
    page = client.post(f"/tasks/{task.id}/claim")
    assert page.status_code == 409 and detail(page.text) is None
    assert technical(page.text) == "something new the UI does not know"


# ------------------------------------------------------------------ every code has its sentence
def test_every_reason_code_of_the_engine_has_a_message():
    assert set(CONFLICT_CODES + NOT_ALLOWED_CODES) <= set(REASONS)
    assert reason_message("no_such_code") is None and reason_message(None) is None


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_messages_in_both_languages(app, lang):
    with app.test_request_context():
        from flask import session
        from flask_login import login_user

        from web.auth import WebUser
        session["lang"] = lang
        login_user(WebUser("bob", "鲍勃", ("cs_manager",)))
        texts = {code: reason_message(code, "carol") for code in CONFLICT_CODES + NOT_ALLOWED_CODES}
    assert all(texts.values())
    chinese = [code for code, text in texts.items() if re.search(r"[\u4e00-\u9fff]", text.replace("卡罗尔", ""))]
    assert chinese == (list(texts) if lang == "zh_CN" else [])
    assert "卡罗尔" in texts["completed"] and "卡罗尔" in texts["assigned_to"] and "卡罗尔" in texts["claimed"]


def test_task_page_codes_are_all_explained(app, task):
    from web.refusals import why_not as explain
    with app.test_request_context():
        from flask_login import login_user

        from web.auth import WebUser
        login_user(WebUser("bob", "鲍勃", ("cs_manager",)))
        texts = [explain(code, task) for code in TASK_PAGE_CODES]
    assert all(texts) and "此任务不由您办理。" not in texts  # none falls back to the generic sentence
