"""Comments with @mentions, 撤回, 催办 and 抄送 on the real tour procedure, with every refusal: wrong user,
wrong state, too soon, unknown people, a process that turned the staple off. Each call on a new engine in
the restarting run, so nothing relies on memory."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Conflict, FormInvalid, NotAllowed, NotFound
from tests.conftest import WORKFLOWS
from tests.scenarios.test_tour_approval import CS_OK, PROCESS, application, eng  # noqa: F401 (eng: fixture)
from tests.scenarios.walk import do, task_for


def deploy_tour_with_start_properties(engine, tmp_path, **properties) -> None:
    """A new version of the tour whose start event carries these properties (the process-wide switches)."""
    source = (WORKFLOWS / "tour_approval.bpmn").read_text(encoding="utf-8")
    at = source.index("<spiffworkflow:properties>", source.index("<bpmn:startEvent")) + len("<spiffworkflow:properties>")
    added = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in properties.items())
    changed = tmp_path / "tour_approval.bpmn"
    changed.write_text(source[:at] + added + source[at:], encoding="utf-8")
    engine.deploy_paths([changed], "luoming")


def kinds(engine, inst):
    return [e.kind for e in engine.audit_trail(inst.id)]


def notices_to(engine, inst, who):
    return [e.data for e in engine.audit_trail(inst.id) if e.kind == "notified" and e.data["to"] == who]


def test_a_comment_mentions_a_colleague_who_may_then_read_the_request(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    assert not eng.may_read("linhai", inst.id)  # 林海, the warehouse: nothing to do with this tour
    posted = eng.comment(inst.id, "liuyang", "客户想多看一眼仓库 @林海 能否安排？ @zhangwei 请知悉")
    assert posted.mentions == ("linhai", "zhangwei") and posted.by == "liuyang"
    assert eng.may_read("linhai", inst.id)
    [event] = [e for e in eng.audit_trail(inst.id) if e.kind == "commented"]
    assert event.actor == "liuyang" and event.data["text"].startswith("客户想多看一眼仓库")
    assert [n["subject"] for n in notices_to(eng, inst, "linhai")] == ["有人在“客户参观审批 - 福州纺织集团”中提到了您"]
    # the mentioned colleague answers; a correction is a new comment, the first stays as it was
    eng.comment(inst.id, "linhai", "可以，周四下午")
    eng.comment(inst.id, "linhai", "更正：周五下午")
    assert [e.data["text"] for e in eng.audit_trail(inst.id) if e.kind == "commented"] == [
        "客户想多看一眼仓库 @林海 能否安排？ @zhangwei 请知悉", "可以，周四下午", "更正：周五下午"]
    assert eng.verify_audit(inst.id)[1] == []


def test_comment_refusals(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    with pytest.raises(FormInvalid):
        eng.comment(inst.id, "liuyang", "   ")
    with pytest.raises(FormInvalid):
        eng.comment(inst.id, "liuyang", "长" * 2001)
    with pytest.raises(NotAllowed) as stranger:
        eng.comment(inst.id, "linhai", "我能看吗")
    assert stranger.value.reason == "not_reader"
    with pytest.raises(NotAllowed) as auditor:
        eng.comment(inst.id, "huangyan", "审计意见")
    assert auditor.value.reason == "auditor"
    with pytest.raises(NotFound):
        eng.comment(9999, "liuyang", "没有这个申请")
    assert "commented" not in kinds(eng, inst)


def test_withdraw_before_anyone_acted_ends_the_request_as_withdrawn(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    with pytest.raises(NotAllowed):
        eng.withdraw(inst.id, "chenjing", "不是我的")
    ended = eng.withdraw(inst.id, "liuyang", "客户改期")
    assert (ended.status, ended.outcome) == ("cancelled", "withdrawn")
    assert eng.open_tasks(inst.id) == [] and eng.tasks("zhangwei") == []
    trail = eng.audit_trail(inst.id)
    assert [e.data for e in trail if e.kind == "withdrawn"] == [{"reason": "客户改期"}]
    assert trail[-1].kind == "instance_cancelled" and trail[-1].data["outcome"] == "withdrawn"
    with pytest.raises(Conflict) as again:
        eng.withdraw(inst.id, "liuyang")
    assert again.value.reason == "instance_ended"


def test_withdraw_is_refused_once_someone_acted(eng, clock):
    claimed = eng.start(PROCESS, "liuyang", application(clock, "key"))
    eng.claim(task_for(eng, "zhangwei", claimed, "cs_review").id, "zhangwei")
    with pytest.raises(Conflict) as refused:
        eng.withdraw(claimed.id, "liuyang")
    assert (refused.value.reason, refused.value.holder) == ("someone_acted", "zhangwei")
    decided = eng.start(PROCESS, "liuyang", application(clock, "key", customer="厦门面料公司"))
    do(eng, "zhangwei", decided, "cs_review", CS_OK)
    with pytest.raises(Conflict):
        eng.withdraw(decided.id, "liuyang")
    assert eng.instance(claimed.id).status == "running" and eng.instance(decided.id).status == "running"


def test_remind_tells_the_holders_once_every_four_hours(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    with pytest.raises(NotAllowed):
        eng.remind(inst.id, "zhangwei")
    assert eng.remind(inst.id, "liuyang") == ["group:cs_manager"]
    assert notices_to(eng, inst, "group:cs_manager")[-1]["subject"] == "催办：客户服务部经理审核"
    clock.advance(hours=3)
    with pytest.raises(Conflict) as soon:
        eng.remind(inst.id, "liuyang")
    assert soon.value.reason == "reminded_recently"
    clock.advance(hours=1, minutes=1)
    assert eng.remind(inst.id, "liuyang") == ["group:cs_manager"]
    eng.claim(task_for(eng, "zhangwei", inst, "cs_review").id, "zhangwei")
    clock.advance(hours=5)
    assert eng.remind(inst.id, "liuyang") == ["zhangwei"]  # now whoever holds it
    assert kinds(eng, inst).count("reminded") == 3
    eng.cancel(inst.id, "liuyang", "不去了")
    with pytest.raises(Conflict):
        eng.remind(inst.id, "liuyang")


def test_copies_give_read_access_and_a_list(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    assert not eng.may_read("maliang", inst.id) and not eng.may_read("xuhui", inst.id)
    with pytest.raises(NotFound):
        eng.copy_to(inst.id, "liuyang", ["nobody", "group:nowhere"])
    with pytest.raises(NotAllowed):
        eng.copy_to(inst.id, "linhai", ["maliang"])  # who may not read it may not copy it
    assert eng.copy_to(inst.id, "liuyang", ["group:gatekeeper", "xuhui"], "请门卫提前准备胸卡") == [
        "group:gatekeeper", "xuhui"]
    assert eng.copy_to(inst.id, "liuyang", ["xuhui"]) == []  # once is enough
    assert eng.may_read("maliang", inst.id) and eng.may_read("xuhui", inst.id)  # a gate member, the person
    assert [i.id for i in eng.copied_to_me("maliang")] == [inst.id]
    assert [i.id for i in eng.copied_to_me("xuhui")] == [inst.id] and eng.copied_to_me("linhai") == []
    [copied] = [e.data for e in eng.audit_trail(inst.id) if e.kind == "copied"]
    assert copied == {"to": ["group:gatekeeper", "xuhui"], "note": "请门卫提前准备胸卡"}
    with pytest.raises(NotAllowed):
        eng.copy_to(inst.id, "huangyan", ["linhai"])  # auditors read, they do not act


def test_a_process_turns_a_staple_off(eng, clock, tmp_path):
    deploy_tour_with_start_properties(eng, tmp_path, withdraw="off", remind="off")
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    for verb in (lambda: eng.withdraw(inst.id, "liuyang"), lambda: eng.remind(inst.id, "liuyang")):
        with pytest.raises(NotAllowed) as off:
            verb()
        assert off.value.reason == "staple_off"
    assert eng.comment(inst.id, "liuyang", "评论仍然可以").text == "评论仍然可以"
    assert eng.instance(inst.id).status == "running"


def test_the_gm_returns_the_tour_to_the_cs_manager_who_revises_it(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    do(eng, "zhangwei", inst, "cs_review", CS_OK)
    gm = task_for(eng, "wangqiang", inst, "gm_approve")
    targets = eng.return_targets(gm.id)
    assert [(t.bpmn_id, t.title, t.completed_by) for t in targets] == [("cs_review", "客户服务部经理审核", "zhangwei")]
    with pytest.raises(FormInvalid):
        eng.return_to(gm.id, "wangqiang", "cs_review", "  ")
    with pytest.raises(NotAllowed):
        eng.return_to(gm.id, "zhangwei", "cs_review", "我退给我自己")  # not his task
    with pytest.raises(NotFound):
        eng.return_to(gm.id, "wangqiang", "gate", "还没到这一步")
    back = eng.return_to(gm.id, "wangqiang", "cs_review", "参观线路请避开新产线")
    assert back.status == "running" and eng.task(gm.id).status == "cancelled"
    [again] = eng.open_tasks(inst.id)
    assert (again.bpmn_id, again.assignee) == ("cs_review", "zhangwei")  # to him, not his whole group
    # the step starts again as the diagram says (its pre-script clears the fields); his earlier answers and
    # the GM's reason are in the trail the task page shows
    earlier = [e.data["form"] for e in eng.audit_trail(inst.id) if e.kind == "completed"]
    assert earlier[0]["tour_route"] == CS_OK["tour_route"]
    [returned] = [e for e in eng.audit_trail(inst.id) if e.kind == "returned"]
    assert returned.actor == "wangqiang" and returned.data["reason"] == "参观线路请避开新产线"
    assert [n["to"] for n in notices_to(eng, inst, "zhangwei")] == ["zhangwei"]
    # he revises; the request flows on as the diagram says, to the GM again
    do(eng, "zhangwei", inst, "cs_review", {**CS_OK, "tour_route": "展厅→实验室"})
    assert [t.bpmn_id for t in eng.open_tasks(inst.id)] == ["gm_approve"]
    do(eng, "wangqiang", inst, "gm_approve", {"decision": "approve"})
    assert [t.bpmn_id for t in eng.open_tasks(inst.id)] == ["gate"]
    completed = [e.bpmn_id for e in eng.audit_trail(inst.id) if e.kind == "completed"]
    assert completed == ["cs_review", "cs_review", "gm_approve"]  # every decision kept in the trail
    assert eng.verify_audit(inst.id)[1] == []


def test_the_first_step_has_nothing_to_return_to(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    first = task_for(eng, "zhangwei", inst, "cs_review")
    assert eng.return_targets(first.id) == []
    with pytest.raises(NotFound):
        eng.return_to(first.id, "zhangwei", "cs_review", "退给谁？")


def test_notifications_reach_each_person_in_the_app_without_mail(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    assert eng.unread_notices("linhai") == 0
    eng.comment(inst.id, "liuyang", "@林海 请看")
    eng.remind(inst.id, "liuyang")  # to the CS manager group: every member gets one
    [mention] = eng.notices("linhai")
    assert (mention.instance_id, mention.subject, mention.read_at) == (
        inst.id, "有人在“客户参观审批 - 福州纺织集团”中提到了您", None)
    assert [n.subject for n in eng.notices("zhangwei")] == ["催办：客户服务部经理审核"]
    assert eng.unread_notices("linhai") == 1 and eng.unread_notices("liuyang") == 0
    assert eng.mark_notices_read("linhai") == 1 and eng.unread_notices("linhai") == 0
    assert eng.mark_notices_read("linhai") == 0  # nothing left unread
    assert eng.notices("linhai")[0].read_at is not None


def test_copies_declared_by_the_process_and_chosen_on_the_start_form(eng, clock, tmp_path):
    deploy_tour_with_start_properties(eng, tmp_path, copyTo="group:gatekeeper")
    with pytest.raises(NotFound):
        eng.start(PROCESS, "liuyang", application(clock, "key"), copy_to=["nobody"])
    assert eng.instances() == []  # refused before anything was created
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"), copy_to=["xuhui"])
    copies = [(e.actor, e.data["to"]) for e in eng.audit_trail(inst.id) if e.kind == "copied"]
    assert copies == [("engine", ["group:gatekeeper"]), ("liuyang", ["xuhui"])]
    assert eng.may_read("maliang", inst.id) and eng.may_read("xuhui", inst.id)
    assert [i.id for i in eng.copied_to_me("maliang")] == [inst.id]
    assert [n.subject for n in eng.notices("xuhui")] == ["抄送：客户参观审批 - 福州纺织集团"]
