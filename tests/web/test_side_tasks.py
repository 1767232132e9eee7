"""加签 and rework on the task page, the side task's own page and the API, as each person sees them: the
manager asks the GM's opinion before deciding, the GM answers on her page, the manager decides seeing it;
every refusal is shown in words (or as the API's reason code)."""
from __future__ import annotations

from tests.web.conftest import login, open_task, start_request
from tests.web.test_api import api, auth  # noqa: F401 (api: fixture)


def test_asking_an_opinion_from_the_task_page_and_answering_it(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}").text
    assert 'id="ask-opinion"' in page and "征求意见（前加签）" in page
    # no one chosen: nothing asked, and he is told what is missing
    response = client.post(f"/tasks/{task.id}/signers", data={"reason": "金额偏大？"})
    assert "请选择征求意见的人员并填写问题。" in client.get(response.location).text
    assert web_engine.side_tasks(inst.id) == []
    response = client.post(f"/tasks/{task.id}/signers", data={"to_user": "gina", "reason": "金额偏大，您看可以吗？"})
    page = client.get(response.location).text
    assert "已向吉娜征求意见；回复后您再办理。" in page
    assert "此任务正在等待您征求的意见；所有人回复后您才能办理。" in page and 'id="side-tasks"' in page
    assert "等待答复" in page and 'class="task-form"' not in page  # no form while he waits
    refused = client.post(f"/tasks/{task.id}", data={"decision": "approve"})
    assert refused.status_code == 409 and "此任务正在等待您征求的意见" in refused.text
    request_page = client.get(f"/requests/{inst.id}").text  # the diagram marks the step waiting on others
    assert 'data-waiting="[&#34;manager_approval&#34;]"' in request_page and "等待他人（加签、退回修改）" in request_page
    # the GM: in her inbox, marked as an opinion asked; opening it shows the question and the request
    login(client, "gina")
    inbox = client.get("/inbox?tab=all").text
    [side] = web_engine.side_tasks(inst.id)
    assert f'/tasks/{side.id}"' in inbox and "征求意见" in inbox
    assert client.get(f"/tasks/{side.id}").location.endswith(f"/side-tasks/{side.id}")
    page = client.get(f"/side-tasks/{side.id}").text
    assert "鲍勃在办理“经理审批”前征求您的意见" in page and "金额偏大，您看可以吗？" in page
    empty = client.post(f"/side-tasks/{side.id}", data={"opinion": "  "})
    assert empty.status_code == 422 and 'id="opinion-error"' in empty.text
    response = client.post(f"/side-tasks/{side.id}", data={"opinion": "可以，客户信誉好"})
    assert "您的意见已回复给鲍勃。" in client.get(response.location).text
    again = client.post(f"/side-tasks/{side.id}", data={"opinion": "再说一次"})
    assert again.status_code == 409
    assert "吉娜已于" in client.get(f"/side-tasks/{side.id}").text  # answered, by whom and when
    # someone else may read the request (carol, same group as bob) but not answer
    login(client, "carol")
    assert "吉娜已于" in client.get(f"/side-tasks/{side.id}").text  # answered: says by whom
    # the manager decides, seeing the opinion among the earlier steps and in the list
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}").text
    assert "可以，客户信誉好" in page and "回复了意见" in page and 'class="task-form"' in page
    client.post(f"/tasks/{task.id}", data={"decision": "approve"})
    timeline = client.get(f"/requests/{inst.id}").text
    assert "加签" in timeline and "回复了意见" in timeline
    printed = client.get(f"/requests/{inst.id}/print").text  # on paper too, with the opinion
    assert "回复了意见" in printed and "可以，客户信誉好" in printed


def test_someone_else_sees_why_they_cannot_answer(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    [side] = web_engine.add_signers(task.id, "bob", "consult", ["gina"], "请看")
    web_engine.comment(inst.id, "alice", "@卡罗尔 请知悉")  # carol may read the request now
    login(client, "carol")
    page = client.get(f"/side-tasks/{side}").text
    assert "此任务由 吉娜 办理" in page and 'id="answer"' not in page
    assert client.post(f"/side-tasks/{side}", data={"opinion": "我来"}).status_code == 403
    login(client, "mallory")
    assert client.get(f"/side-tasks/{side}").status_code == 403


def test_side_tasks_through_the_api(api, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    bad = api.post(f"/api/v1/tasks/{task.id}/signers", json={"kind": "consult", "to": "gina", "reason": "?"},
                   headers=auth("bob"))
    assert bad.status_code == 400
    stranger = api.post(f"/api/v1/tasks/{task.id}/signers", json={"kind": "consult", "to": ["gina"], "reason": "?"},
                        headers=auth("alice"))
    assert stranger.status_code == 403 and stranger.json["reason"] == "not_candidate"
    me = api.post(f"/api/v1/tasks/{task.id}/signers", json={"kind": "consult", "to": ["bob"], "reason": "?"},
                  headers=auth("bob"))
    assert me.status_code == 403 and me.json["reason"] == "self"
    after = api.post(f"/api/v1/tasks/{task.id}/signers", headers=auth("bob"), json={
        "kind": "countersign", "to": ["gina"], "reason": "?", "data": {"decision": "approve"}})
    assert after.status_code == 403 and after.json["reason"] == "not_configured"
    made = api.post(f"/api/v1/tasks/{task.id}/signers", json={"kind": "consult", "to": ["group:gm"],
                                                              "reason": "请给意见"}, headers=auth("bob"))
    assert made.status_code == 201
    [side] = made.json["side_tasks"]
    busy = api.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "approve"}}, headers=auth("bob"))
    assert busy.status_code == 409 and busy.json["reason"] == "waiting_opinions"
    assert api.get(f"/api/v1/tasks/{task.id}", headers=auth("bob")).json["reason"] == "waiting_opinions"
    shown = api.get(f"/api/v1/side-tasks/{side}", headers=auth("gina")).json
    assert (shown["kind"], shown["status"], shown["candidate_groups"]) == ("consult", "open", ["gm"])
    assert api.get(f"/api/v1/side-tasks/{side}", headers=auth("mallory")).status_code == 403
    wrong = api.post(f"/api/v1/side-tasks/{side}/answer", json={"opinion": "x"}, headers=auth("carol"))
    assert wrong.status_code == 403 and wrong.json["reason"] == "not_candidate"
    empty = api.post(f"/api/v1/side-tasks/{side}/answer", json={"opinion": ""}, headers=auth("gina"))
    assert empty.status_code == 422 and "opinion" in empty.json["fields"]
    done = api.post(f"/api/v1/side-tasks/{side}/answer", json={"opinion": "同意"}, headers=auth("gina"))
    assert done.status_code == 200
    twice = api.post(f"/api/v1/side-tasks/{side}/answer", json={"opinion": "同意"}, headers=auth("gina"))
    assert twice.status_code == 409 and (twice.json["reason"], twice.json["holder"]) == ("completed", "gina")
    [listed] = api.get(f"/api/v1/instances/{inst.id}/side-tasks", headers=auth("alice")).json
    assert (listed["answered_by"], listed["opinion"]) == ("gina", "同意")
    assert api.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "approve"}},
                    headers=auth("bob")).status_code == 200


def _signers_diagram(tmp_path, allowed: str):
    """The small approval whose manager step lists who may be added (`addSigners`)."""
    from tests.conftest import DATA
    source = (DATA / "approval.bpmn").read_text(encoding="utf-8")
    marked = source.replace('<spiffworkflow:property name="formJsonSchemaFilename" value="decision.schema.json" />',
                            '<spiffworkflow:property name="formJsonSchemaFilename" value="decision.schema.json" />'
                            f'<spiffworkflow:property name="addSigners" value="{allowed}" />', 1)
    assert marked != source
    path = tmp_path / "approval.bpmn"
    path.write_text(marked, encoding="utf-8")
    return path


def test_approval_after_the_managers_own_from_the_task_form(client, web_engine, tmp_path):
    web_engine.deploy_paths([_signers_diagram(tmp_path, "gina,group:process_owner")], "owen")
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}").text
    assert '<option value="gina">吉娜</option>' in page and 'name="after"' in page
    consult = page.split('id="consult-h"')[1].split("</section>")[0]
    assert '<option value="gina">吉娜</option>' in consult and 'value="carol"' not in consult  # opinions too
    response = client.post(f"/tasks/{task.id}", data={"decision": "approve", "after": "gina",
                                                       "sign_note": "金额较大，请总经理复核"})
    page = client.get(response.location).text
    assert "您的审批意见已记录；吉娜审批同意后生效。" in page
    assert "您的审批意见已记录，正在等待后加签人员审批。" in page and "后加签审批" in page
    [side] = web_engine.side_tasks(inst.id)
    login(client, "gina")
    page = client.get(f"/side-tasks/{side.id}").text
    assert "鲍勃已办理“经理审批”，请您加签审批" in page and "金额较大，请总经理复核" in page
    assert 'value="approve"' in page and 'value="reject"' in page
    refused = client.post(f"/side-tasks/{side.id}", data={"decision": "reject", "opinion": ""})
    assert refused.status_code == 422 and 'id="opinion-error"' in refused.text
    client.post(f"/side-tasks/{side.id}", data={"decision": "reject", "opinion": "金额需再核"})
    # back to the manager, who sees why and decides again
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}").text
    assert "金额需再核" in page and 'class="task-form"' in page and "驳回" in page
    client.post(f"/tasks/{task.id}", data={"decision": "approve", "after": "gina"})
    [_first, second] = web_engine.side_tasks(inst.id)
    login(client, "gina")
    response = client.post(f"/side-tasks/{second.id}", data={"decision": "approve"})
    assert "您的加签审批已告知鲍勃。" in client.get(response.location).text
    assert web_engine.task(task.id).completed_by == "bob"
    assert [t.bpmn_id for t in web_engine.open_tasks(inst.id)] == ["gm_approval"]
    # someone the step does not list: refused in words, nothing recorded
    other = start_request(web_engine, customer="另一家")
    other_task = open_task(web_engine, other.id, "manager_approval")
    login(client, "bob")
    refused = client.post(f"/tasks/{other_task.id}", data={"decision": "approve", "after": "carol"})
    assert refused.status_code == 403 and "此步骤不允许加签给卡罗尔。" in refused.text
    assert web_engine.side_tasks(other.id) == [] and web_engine.task(other_task.id).status == "open"
