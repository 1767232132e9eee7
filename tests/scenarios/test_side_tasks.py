"""加签 and a return that comes straight back, on the real procedures: the GM asks the technical department
before deciding on a tour with photography; finance sends a phone order back to the salesperson and gets it
back without the other countersigners deciding again; an approval required after the approver's own. Every
refusal (wrong user, wrong state, bad input, a step that allows nobody or turned 加签 off) is tried. Each call
on a new engine in the restarting run."""
from __future__ import annotations

import pytest

from engine import Conflict, FormInvalid, NotAllowed, NotFound
from tests.conftest import WORKFLOWS
from tests.scenarios.test_contract_review import CHECKS, review_form
from tests.scenarios.test_tour_approval import CS_OK, PROCESS, application, eng  # noqa: F401 (eng: fixture)
from tests.scenarios.walk import do, task_for

PHOTO = dict(photo_requested=True, photo_reason="用于产品推广")
CONFIRMED = {"customer_confirmed": "yes", "confirmation_method": "message", "confirmation_evidence": "微信截图",
             "confirmed_at": "2026-11-23T15:00:00+08:00"}


def deploy_with_task_properties(engine, tmp_path, filename, bpmn_id, **properties) -> None:
    """A new version of a procedure whose user task `bpmn_id` carries these properties."""
    source = (WORKFLOWS / filename).read_text(encoding="utf-8")
    at = source.index("<spiffworkflow:properties>", source.index(f'<bpmn:userTask id="{bpmn_id}"')) \
        + len("<spiffworkflow:properties>")
    added = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in properties.items())
    changed = tmp_path / filename
    changed.write_text(source[:at] + added + source[at:], encoding="utf-8")
    engine.deploy_paths([changed], "luoming")


def trail(engine, inst, kind):
    return [e for e in engine.audit_trail(inst.id) if e.kind == kind]


def test_the_gm_asks_the_technical_department_before_deciding(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", **PHOTO))
    do(eng, "zhangwei", inst, "cs_review", CS_OK)
    gm = task_for(eng, "wangqiang", inst, "gm_photo")
    [asked] = eng.add_signers(gm.id, "wangqiang", "consult", ["group:technical"], "拍照区域是否涉及新工艺？")
    # the department sees it in its queue, with the request; the GM's task waits and says why
    [queued] = eng.tasks("hetao")
    assert (queued.id, queued.kind, queued.side_of, queued.title) == (asked, "consult", gm.id, "总经理审批（含拍照请示）")
    assert eng.task_counts("hetao")["group"] == 1 and eng.may_read("hetao", inst.id)
    assert eng.task(gm.id).held == "consult"
    with pytest.raises(Conflict) as stays:  # it waits on what he asked: it stays with him
        eng.delegate(gm.id, "wangqiang", "wangqiang", "我自己")
    assert stays.value.reason == "waiting_opinions"
    assert eng.remind(inst.id, "liuyang") == ["group:technical"]  # the GM waits on them: they are reminded
    with pytest.raises(Conflict) as waits:
        eng.complete(gm.id, "wangqiang", {"decision": "approve", "photo_decision": "consent"})
    assert waits.value.reason == "waiting_opinions"
    [pending] = eng.side_tasks(inst.id, of=gm.id)
    assert (pending.status, pending.asked_by, pending.reason, pending.candidate_groups) == (
        "open", "wangqiang", "拍照区域是否涉及新工艺？", ("technical",))
    # refusals on the answer: a stranger, an empty opinion, the GM himself; then 何涛 answers
    with pytest.raises(NotAllowed) as stranger:
        eng.answer(asked, "gaofeng", "我来答")
    assert stranger.value.reason == "not_candidate"
    with pytest.raises(FormInvalid):
        eng.answer(asked, "hetao", "   ")
    with pytest.raises(Conflict) as not_a_step:
        eng.complete(asked, "hetao", {})
    assert not_a_step.value.reason == "side_task"
    eng.answer(asked, "hetao", "一车间东侧有新工艺，不宜拍照")
    with pytest.raises(Conflict) as twice:
        eng.answer(asked, "hetao", "再说一次")
    assert (twice.value.reason, twice.value.holder) == ("completed", "hetao")
    [answered] = eng.side_tasks(inst.id)
    assert (answered.answered_by, answered.opinion) == ("hetao", "一车间东侧有新工艺，不宜拍照")
    assert eng.task(gm.id).held is None
    assert [n.subject for n in eng.notices("wangqiang")][0] == "意见已回复：总经理审批（含拍照请示）"
    # the GM decides, seeing the opinion
    do(eng, "wangqiang", inst, "gm_photo", {"decision": "approve", "photo_decision": "refuse",
                                             "photo_comment": "技术部：涉及新工艺"})
    assert [t.bpmn_id for t in eng.open_tasks(inst.id)] == ["gate"]
    assert [e.kind for e in trail(eng, inst, "signers_added") + trail(eng, inst, "opinion_given")] == [
        "signers_added", "opinion_given"]
    assert eng.verify_audit(inst.id)[1] == []


def test_adding_signers_refuses_the_wrong_people_and_states(eng, clock, tmp_path):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", **PHOTO))
    do(eng, "zhangwei", inst, "cs_review", CS_OK)
    gm = task_for(eng, "wangqiang", inst, "gm_photo")
    cases = [
        (lambda: eng.add_signers(gm.id, "zhangwei", "consult", ["hetao"], "?"), NotAllowed, "not_candidate"),
        (lambda: eng.add_signers(gm.id, "huangyan", "consult", ["hetao"], "?"), NotAllowed, "auditor"),
        (lambda: eng.add_signers(gm.id, "wangqiang", "consult", ["wangqiang"], "?"), NotAllowed, "self"),
        (lambda: eng.add_signers(gm.id, "wangqiang", "consult", ["nobody"], "?"), NotFound, None),
        (lambda: eng.add_signers(gm.id, "wangqiang", "consult", ["group:nogroup"], "?"), NotFound, None),
        (lambda: eng.add_signers(gm.id, "wangqiang", "consult", [], "?"), FormInvalid, None),
        (lambda: eng.add_signers(gm.id, "wangqiang", "consult", ["hetao"], "  "), FormInvalid, None),
        (lambda: eng.add_signers(gm.id, "wangqiang", "vote", ["hetao"], "?"), FormInvalid, None),
        # an approval after his own needs a step that names who may be added
        (lambda: eng.add_signers(gm.id, "wangqiang", "countersign", ["hetao"], "?", {"decision": "approve"}),
         NotAllowed, "not_configured"),
    ]
    for call, error, reason in cases:
        with pytest.raises(error) as refused:
            call()
        assert refused.value.reason == reason
    assert eng.side_tasks(inst.id) == [] and eng.task(gm.id).held is None  # nothing half-done
    eng.complete(gm.id, "wangqiang", {"decision": "approve", "photo_decision": "consent"})
    with pytest.raises(Conflict):  # the task is decided: nothing to add signers to
        eng.add_signers(gm.id, "wangqiang", "consult", ["hetao"], "晚了")
    # a process that turned 加签 off
    deploy_with_task_properties(eng, tmp_path, "tour_approval.bpmn", "gm_photo", addSigners="off")
    later = eng.start(PROCESS, "liuyang", application(clock, "key", **PHOTO))
    do(eng, "zhangwei", later, "cs_review", CS_OK)
    with pytest.raises(NotAllowed) as off:
        eng.add_signers(task_for(eng, "wangqiang", later, "gm_photo").id, "wangqiang", "consult", ["hetao"], "?")
    assert off.value.reason == "staple_off"


def test_an_approval_required_after_the_gms_own(eng, clock, tmp_path):
    deploy_with_task_properties(eng, tmp_path, "tour_approval.bpmn", "gm_photo",
                                addSigners="group:quality,zhengkai")
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", **PHOTO))
    do(eng, "zhangwei", inst, "cs_review", CS_OK)
    gm = task_for(eng, "wangqiang", inst, "gm_photo")
    decided = {"decision": "approve", "photo_decision": "consent"}
    for who, reason in ((["hetao"], "not_allowed_signer"), (["liuyang"], "self_approval")):
        with pytest.raises(NotAllowed) as refused:
            eng.add_signers(gm.id, "wangqiang", "countersign", who, "请复核", decided)
        assert refused.value.reason == reason
    with pytest.raises(FormInvalid):  # his own decision is checked by the step's form
        eng.add_signers(gm.id, "wangqiang", "countersign", ["xuhui"], "请复核", {"decision": "maybe"})
    first, second = eng.add_signers(gm.id, "wangqiang", "countersign", ["xuhui", "zhengkai"], "请复核拍照", decided)
    with pytest.raises(Conflict) as waits:
        eng.complete(gm.id, "wangqiang", decided)
    assert waits.value.reason == "waiting_signers"
    with pytest.raises(FormInvalid):
        eng.answer(first, "xuhui", "", "reject")  # a rejection says why
    eng.answer(first, "xuhui", "不同意拍照", "reject")
    # the rejection gives the task back to the GM; the other signer's task goes away
    assert eng.task(gm.id).held is None and eng.task(second).status == "cancelled"
    assert eng.instance(inst.id).status == "running"
    assert eng.notices("wangqiang")[0].subject == "加签驳回：总经理审批（含拍照请示）"
    # he asks again; both approve and his decision goes through
    third, fourth = eng.add_signers(gm.id, "wangqiang", "countersign", ["xuhui", "zhengkai"], "已调整", decided)
    eng.answer(third, "xuhui", "同意", "approve")
    assert eng.task(gm.id).status == "open"
    eng.answer(fourth, "zhengkai", "", "approve")
    assert eng.task(gm.id).status == "completed" and eng.task(gm.id).completed_by == "wangqiang"
    [completed] = [e for e in trail(eng, inst, "completed") if e.bpmn_id == "gm_photo"]
    assert (completed.actor, completed.data["form"]) == ("wangqiang", decided)
    assert [t.bpmn_id for t in eng.open_tasks(inst.id)] == ["designate"]  # photography consented: on it flows
    assert [e.data["decision"] for e in trail(eng, inst, "countersigned")] == ["reject", "approve", "approve"]
    assert eng.verify_audit(inst.id)[1] == []


def test_a_cancelled_request_takes_its_side_tasks_along(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", **PHOTO))
    do(eng, "zhangwei", inst, "cs_review", CS_OK)
    gm = task_for(eng, "wangqiang", inst, "gm_photo")
    [asked] = eng.add_signers(gm.id, "wangqiang", "consult", ["hetao"], "请看")
    eng.cancel(inst.id, "liuyang", "客户取消")
    assert eng.task(asked).status == "cancelled" and eng.tasks("hetao") == []
    with pytest.raises(Conflict):
        eng.answer(asked, "hetao", "还要答吗")


@pytest.fixture
def contracts(engine):
    engine.deploy_paths([WORKFLOWS / "contract_review.bpmn"], "luoming")
    return engine


def test_finance_returns_a_phone_order_to_the_salesperson_and_gets_it_straight_back(contracts):
    eng = contracts
    inst = eng.start("contract_review", "sunli", review_form(order_channel="phone", order_record="电话订货"))
    [confirm] = eng.open_tasks(inst.id)
    eng.complete(confirm.id, "sunli", CONFIRMED)
    finance = task_for(eng, "gaofeng", inst, "countersign")
    assert [(t.bpmn_id, t.completed_by) for t in eng.return_targets(finance.id)] == [("confirm_order", "sunli")]
    eng.return_to(finance.id, "gaofeng", "confirm_order", "确认凭据请附回签件编号")
    assert eng.task(finance.id).status == "open" and eng.task(finance.id).held == "rework"
    with pytest.raises(Conflict) as waits:
        eng.complete(finance.id, "gaofeng", {"decision": "approve", **CHECKS})
    assert waits.value.reason == "waiting_rework"
    assert eng.task(finance.id).assignee == "gaofeng"  # out of the finance queue: it waits with him
    with pytest.raises(Conflict):
        eng.unclaim(finance.id, "gaofeng")
    [rework] = eng.tasks("sunli")
    assert (rework.kind, rework.title, rework.form) == ("rework", "顾客确认订货内容", "contract_confirm.schema.json")
    [side] = eng.side_tasks(inst.id)
    assert side.data == CONFIRMED and side.reason == "确认凭据请附回签件编号"  # prefilled with his answers
    with pytest.raises(NotAllowed):
        eng.answer(rework.id, "zhoujie", data=CONFIRMED)  # another salesperson
    with pytest.raises(FormInvalid):  # checked by the step's own form, nothing lost
        eng.answer(rework.id, "sunli", data={**CONFIRMED, "confirmation_evidence": "x"})
    assert eng.task(rework.id).status == "open"
    eng.answer(rework.id, "sunli", "已补回签件编号", data={**CONFIRMED, "confirmation_evidence": "回签件 HQ-1120"})
    # straight back to finance; production's countersign was never touched
    assert eng.task(finance.id).held is None and eng.task(finance.id).status == "open"
    assert eng.task_data(finance.id)["confirmation_evidence"] == "回签件 HQ-1120"
    assert sorted(t.bpmn_id for t in eng.open_tasks(inst.id)) == ["countersign", "countersign"]
    assert eng.notices("gaofeng")[0].subject == "已修改：相关部门会签"
    [reworked] = trail(eng, inst, "reworked")
    assert (reworked.actor, reworked.data["before"]["confirmation_evidence"],
            reworked.data["form"]["confirmation_evidence"]) == ("sunli", "微信截图", "回签件 HQ-1120")
    [returned] = trail(eng, inst, "returned")
    assert returned.data["mode"] == "back_to_me"
    eng.complete(finance.id, "gaofeng", {"decision": "approve", **CHECKS})
    assert [t.candidate_groups for t in eng.open_tasks(inst.id)] == [("production",)]
    assert [e.bpmn_id for e in trail(eng, inst, "completed")] == ["confirm_order", "countersign"]
    assert eng.verify_audit(inst.id)[1] == []


def test_a_request_someone_asked_about_can_no_longer_be_withdrawn(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    assert eng.withdrawable(inst.id, "liuyang")
    [asked] = eng.add_signers(task_for(eng, "zhangwei", inst, "cs_review").id, "zhangwei", "consult",
                              ["lina"], "客户经理怎么看？")
    assert not eng.withdrawable(inst.id, "liuyang")
    with pytest.raises(Conflict) as acted:
        eng.withdraw(inst.id, "liuyang")
    assert (acted.value.reason, acted.value.holder) == ("someone_acted", "zhangwei")
    assert eng.answer(asked, "lina", "可以").status == "running"


def test_the_applicant_in_an_added_group_may_not_approve_and_a_waiting_task_cannot_be_returned(eng, clock, tmp_path):
    deploy_with_task_properties(eng, tmp_path, "tour_approval.bpmn", "gm_photo", addSigners="group:cs_staff")
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", **PHOTO))  # 刘洋 is in cs_staff
    do(eng, "zhangwei", inst, "cs_review", CS_OK)
    gm = task_for(eng, "wangqiang", inst, "gm_photo")
    with pytest.raises(NotFound):
        eng.answer(gm.id, "wangqiang", "这不是加签")  # a step of the diagram is completed, not answered
    for missing in (lambda: eng.answer(99999, "wangqiang", "?"), lambda: eng.side_task(99999),
                    lambda: eng.add_signers(99999, "wangqiang", "consult", ["hetao"], "?")):
        with pytest.raises(NotFound):
            missing()
    [side] = eng.add_signers(gm.id, "wangqiang", "countersign", ["group:cs_staff"], "客服部确认",
                             {"decision": "approve", "photo_decision": "consent"})
    assert eng.may_answer(side, "liuyang") == (False, "self_approval")  # offered to his group, but his own
    assert eng.may_answer(side, "chenjing") == (True, None)
    with pytest.raises(NotAllowed) as own:
        eng.answer(side, "liuyang", "", "approve")
    assert own.value.reason == "self_approval"
    with pytest.raises(Conflict) as waiting:
        eng.return_to(gm.id, "wangqiang", "cs_review", "再看看")
    assert waiting.value.reason == "waiting_signers"
    eng.answer(side, "chenjing", "", "approve")
    assert eng.task(gm.id).status == "completed"
    assert eng.may_answer(side, "chenjing") == (False, "completed")
