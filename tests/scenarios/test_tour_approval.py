"""Scenarios for 客户参观审批 (PROCEDURES.md §1; seed 000 ㈠客户参观接待管理制度 第一条–第八条)."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import FormInvalid, NotAllowed, render_template
from engine.clock import parse_iso
from procedures.numbering import RecordCounter, next_value
from procedures.tour.records import Tour
from tests.scenarios.walk import do, task_data, task_for
from tests.conftest import WORKFLOWS

PROCESS = "tour_approval"


@pytest.fixture
def eng(engine):
    engine.deploy_paths([WORKFLOWS / "tour_approval.bpmn"], "luoming")
    return engine




def application(clock, tour_type="key", hours_ahead=96.0, **extra):
    data = {"customer": "福州纺织集团", "contact_person": "王经理", "contact_phone": "13800138000",
            "tour_type": tour_type, "tour_start": (clock.now + timedelta(hours=hours_ahead)).isoformat(),
            "visitors": 6, "purpose": "考察生产线", "areas": ["showroom", "workshop"],
            "photo_requested": False, "special_case": False}
    data.update(extra)
    return data






def open_ids(engine, inst):
    return [t.bpmn_id for t in engine.open_tasks(inst.id)]


def tour(engine, inst) -> Tour:
    with engine.session() as s:
        row = s.scalars(select(Tour).where(Tour.instance_id == inst.id)).one()
        s.expunge(row)
        return row


CS_OK = {"decision": "approve", "tour_content": "参观生产线与质检流程", "tour_scope": "一车间、质检实验室",
         "tour_route": "展厅→一车间→实验室"}


def approve_key(engine, inst, photo=None):
    do(engine, "zhangwei", inst, "cs_review", CS_OK)
    if photo is None:
        return do(engine, "wangqiang", inst, "gm_approve", {"decision": "approve"})
    return do(engine, "wangqiang", inst, "gm_photo", {"decision": "approve", **photo})


def notices(engine, inst):
    return [e.data for e in engine.audit_trail(inst.id) if e.kind == "notified"]


# ------------------------------------------------------------------ rule 1–2: approver by type
@pytest.mark.parametrize("tour_type", ["key", "group"])
def test_key_and_group_tours_go_to_cs_manager_then_gm(eng, clock, tour_type):
    inst = eng.start(PROCESS, "liuyang", application(clock, tour_type))
    assert open_ids(eng, inst) == ["cs_review"]
    review = task_for(eng, "zhangwei", inst, "cs_review")
    assert review.candidate_groups == ("cs_manager",)
    assert review.due_at == parse_iso(application(clock, tour_type)["tour_start"])  # expiry is its deadline
    assert not [t for t in eng.tasks("lina") if t.instance_id == inst.id]
    assert tour(eng, inst).status == "applied" and not tour(eng, inst).late

    do(eng, "zhangwei", inst, "cs_review", CS_OK)
    assert open_ids(eng, inst) == ["gm_approve"]
    assert tour(eng, inst).status == "applied"  # the CS manager alone does not approve a formal application
    do(eng, "wangqiang", inst, "gm_approve", {"decision": "approve"})

    row = tour(eng, inst)
    assert row.status == "approved" and row.permit_no
    assert [(a["role"], a["user"], a["decision"]) for a in row.approvers] == [
        ("cs_manager", "zhangwei", "approve"), ("gm", "wangqiang", "approve")]
    assert row.arrangement["route"] == "展厅→一车间→实验室"
    # 《参观通知单》 to all departments (第二条1)
    assert {n["to"] for n in notices(eng, inst)} == {"group:cs_staff", "group:production", "group:technical",
                                                     "group:quality", "group:gatekeeper"}
    if tour_type == "key":  # 第八条1: reception noted for key customers
        assert "客户服务部经理陪同" in row.arrangement["reception"]
        assert "接待安排" in notices(eng, inst)[0]["body"]


@pytest.mark.parametrize("tour_type,hours_ahead", [("ordinary", 30), ("temporary", 2)])
def test_ordinary_and_temporary_tours_end_at_account_manager(eng, clock, tour_type, hours_ahead):
    inst = eng.start(PROCESS, "liuyang", application(clock, tour_type, hours_ahead))
    assert open_ids(eng, inst) == ["am_approve"]
    assert not [t for t in eng.tasks("zhangwei") if t.instance_id == inst.id]
    do(eng, "lina", inst, "am_approve", {"decision": "approve"})
    assert open_ids(eng, inst) == ["gate"]
    row = tour(eng, inst)
    assert row.status == "approved"
    assert [(a["role"], a["user"]) for a in row.approvers] == [("account_manager", "lina")]
    assert [n["to"] for n in notices(eng, inst)] == ["group:cs_staff"]


def test_rejection_refuses_the_tour(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "ordinary", 30))
    done = do(eng, "lina", inst, "am_approve", {"decision": "reject", "comment": "本周接待已满"})
    assert done.status == "completed"
    assert (done.outcome, done.outcome_label) == ("rejected", "参观申请未获核准")  # never a plain "completed"
    row = tour(eng, inst)
    assert (row.status, row.status_reason, row.permit_no) == ("refused", "本周接待已满", None)


def test_applicant_cannot_approve_own_application(eng, clock):
    inst = eng.start(PROCESS, "lina", application(clock, "ordinary", 30))
    with pytest.raises(NotAllowed):
        do(eng, "lina", inst, "am_approve", {"decision": "approve"})


# ------------------------------------------------------------------ rule 3: notice periods
@pytest.mark.parametrize("tour_type,hours_ahead,in_time", [
    ("key", 71, False), ("key", 73, True), ("group", 71, False), ("group", 73, True),
    ("ordinary", 23, False), ("ordinary", 25, True), ("temporary", 0.5, False), ("temporary", 1.5, True)])
def test_notice_period_per_type(eng, clock, tour_type, hours_ahead, in_time):
    if not in_time:  # refused at the form, with the rule, before anything is created
        before = len(eng.instances(process_id=PROCESS))
        with pytest.raises(FormInvalid) as err:
            eng.start(PROCESS, "liuyang", application(clock, tour_type, hours_ahead))
        assert err.value.by_field()["tour_start"].startswith("未满足提前通知期限") and "第二条1–3" in str(err.value)
        assert len(eng.instances(process_id=PROCESS)) == before
        return
    inst = eng.start(PROCESS, "liuyang", application(clock, tour_type, hours_ahead))
    first = "cs_review" if tour_type in ("key", "group") else "am_approve"
    assert open_ids(eng, inst) == [first] and tour(eng, inst).status == "applied"


def test_a_tour_in_the_past_is_refused_at_the_form(eng, clock):
    with pytest.raises(FormInvalid) as err:
        eng.start(PROCESS, "liuyang", application(clock, "key", -2, special_case=True, special_reason="补登"))
    assert err.value.by_field()["tour_start"].startswith("计划参观时间已过")


@pytest.fixture
def form_checks_passed(monkeypatch):
    """The process's own check is the safety net behind the form's (a start by message has no form):
    these tests reach it as if the form had let the application through."""
    from engine.authoring import forms
    monkeypatch.setattr(forms, "refusals", lambda form, clean: [])


def test_late_application_without_special_case_is_returned_and_may_be_revised(eng, clock, form_checks_passed):
    inst = eng.start(PROCESS, "liuyang", application(clock, "ordinary", 10))
    revise = task_for(eng, "liuyang", inst, "revise")
    assert revise.lane == "initiator" and revise.candidate_users == ("liuyang",)
    assert "提前24小时" in task_data(eng, revise)["return_reason"]
    assert tour(eng, inst).status == "returned"

    new_start = (clock.now + timedelta(days=3)).isoformat()
    do(eng, "liuyang", inst, "revise", {"action": "revise", "tour_start": new_start, "special_case": False})
    assert open_ids(eng, inst) == ["am_approve"]
    row = tour(eng, inst)
    assert row.status == "applied" and row.tour_start == parse_iso(new_start) and not row.late


def test_returned_application_may_be_withdrawn(eng, clock, form_checks_passed):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", 24))
    done = do(eng, "liuyang", inst, "revise", {"action": "withdraw", "revise_note": "客户取消来访"})
    assert done.status == "completed"
    assert (tour(eng, inst).status, tour(eng, inst).status_reason) == ("withdrawn", "客户取消来访")


def test_late_application_with_special_case_goes_on_marked_late(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", 24, special_case=True,
                                                     special_reason="客户总裁临时来闽"))
    review = task_for(eng, "zhangwei", inst, "cs_review")
    data = task_data(eng, review)
    assert data["late"] is True and data["special_reason"] == "客户总裁临时来闽"
    assert "{% if late %}【逾期申请】" in data["__doc__"]
    row = tour(eng, inst)
    assert row.late and row.special_case and row.status == "applied"
    approve_key(eng, inst)
    assert tour(eng, inst).status == "approved" and tour(eng, inst).late


# ------------------------------------------------------------------ rule 4: expiry
@pytest.mark.parametrize("tour_type,hours_ahead,step", [("key", 96, "cs_review"), ("group", 96, "gm_approve"),
                                                        ("temporary", 2, "am_approve")])
def test_unapproved_application_expires_when_tour_time_arrives(eng, clock, tour_type, hours_ahead, step):
    inst = eng.start(PROCESS, "liuyang", application(clock, tour_type, hours_ahead))
    if step == "gm_approve":
        do(eng, "zhangwei", inst, "cs_review", CS_OK)
    assert open_ids(eng, inst) == [step]
    clock.advance(hours=hours_ahead - 1)
    assert eng.fire_due_timers() == 0 and open_ids(eng, inst) == [step]
    clock.advance(hours=1, minutes=1)
    assert eng.fire_due_timers() == 1
    ended = eng.instance(inst.id)
    assert (ended.status, ended.outcome, ended.outcome_label) == ("completed", "expired", "申请已过期")
    assert open_ids(eng, inst) == []
    row = tour(eng, inst)
    assert row.status == "expired" and "自动失效" in row.status_reason and row.permit_no is None


def test_returned_application_not_resubmitted_expires(eng, clock, form_checks_passed):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", 48))
    clock.advance(hours=49)
    eng.fire_due_timers()
    assert tour(eng, inst).status == "expired"


# ------------------------------------------------------------------ rule 5: photography
def test_photography_on_ordinary_tour_is_refused_but_the_tour_goes_on(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "ordinary", 30, photo_requested=True,
                                                     photo_reason="宣传资料"))
    row = tour(eng, inst)
    assert row.photo_status == "refused" and "仅重点客户" in row.photo_reason and row.status == "applied"
    do(eng, "lina", inst, "am_approve", {"decision": "approve"})
    row = tour(eng, inst)
    assert row.status == "approved" and row.photo_status == "refused" and row.permit_no


def test_photography_on_key_tour_gm_consents_and_a_photographer_is_designated(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", photo_requested=True, photo_reason="用于产品推广"))
    assert tour(eng, inst).photo_status == "requested"
    do(eng, "zhangwei", inst, "cs_review", {**CS_OK, "photo_opinion": "建议同意"})
    assert open_ids(eng, inst) == ["gm_photo"]
    do(eng, "wangqiang", inst, "gm_photo", {"decision": "approve", "photo_decision": "consent"})
    assert open_ids(eng, inst) == ["designate"]
    do(eng, "zhangwei", inst, "designate", {"photographer": "陈静"})
    row = tour(eng, inst)
    assert (row.photo_status, row.photographer, row.status) == ("consented", "陈静", "approved")
    assert open_ids(eng, inst) == ["gate"]
    # the gatekeeper's instructions follow the decision: photography allowed, not "谢绝拍照"
    told = gate_instructions(eng, inst)
    assert "谢绝拍照" not in told and "本次参观经总经理同意可拍照，拍照人员：陈静。" in told


def test_photography_on_key_tour_gm_refuses_without_refusing_the_tour(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", photo_requested=True, photo_reason="用于产品推广"))
    approve_key(eng, inst, {"photo_decision": "refuse", "photo_comment": "涉及新工艺，不宜拍照"})
    row = tour(eng, inst)
    assert (row.photo_status, row.photo_reason) == ("refused", "涉及新工艺，不宜拍照")
    assert row.status == "approved" and row.photographer == "" and open_ids(eng, inst) == ["gate"]
    assert "本次参观谢绝拍照" in gate_instructions(eng, inst)


def gate_instructions(eng, inst) -> str:
    """The gate task's instructions as the gatekeeper reads them (the template over the task's data)."""
    gate = task_for(eng, "maliang", inst, "gate")
    page = eng.task_screen(gate.id, "maliang")
    return render_template(page.documentation, page.data)


# ------------------------------------------------------------------ rules 6–8: permit, gate, done
def test_permit_numbers_are_unique_and_reach_the_gatekeeper(eng, clock):
    first = eng.start(PROCESS, "liuyang", application(clock, "key"))
    second = eng.start(PROCESS, "chenjing", application(clock, "ordinary", 30, customer="厦门面料公司"))
    do(eng, "lina", second, "am_approve", {"decision": "approve"})
    approve_key(eng, first)
    numbers = [tour(eng, first).permit_no, tour(eng, second).permit_no]
    assert all(re.fullmatch(r"CG-2026-\d{4}", n) for n in numbers)
    assert numbers == ["CG-2026-0002", "CG-2026-0001"]
    with eng.session() as s:
        assert s.scalars(select(RecordCounter.value).where(RecordCounter.kind == "CG")).one() == 2

    gate = task_for(eng, "maliang", first, "gate")
    assert gate.lane == "gatekeeper" and gate.candidate_groups == ("gatekeeper",)
    gate_data = task_data(eng, gate)
    assert gate_data["permit"]["permit_no"] == numbers[0]
    assert "{{ permit.permit_no }}" in gate_data["__doc__"]
    assert all(numbers[0] in n["subject"] for n in notices(eng, first))
    # the 《参观通知单》 gives the time as people read it, in Beijing time, not the stored ISO value
    bodies = [n["body"] for n in notices(eng, first)]
    assert bodies and all(re.search(r"参观时间 2026-11-27 09:00，", b) for b in bodies), bodies  # 4 days on, Beijing
    assert not [b for b in bodies if re.search(r"\d{4}-\d\d-\d\dT", b)]


def test_tour_recorded_as_done_by_the_host(eng, clock):
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    approve_key(eng, inst)
    clock.advance(hours=96)
    do(eng, "maliang", inst, "gate", {"arrived": True, "badges_issued": 6})
    assert tour(eng, inst).badges_issued == 6 and tour(eng, inst).arrived_at is not None
    done_task = task_for(eng, "liuyang", inst, "done")
    assert done_task.lane == "initiator"
    result = do(eng, "liuyang", inst, "done", {"took_place": True, "badges_returned": True, "done_notes": "顺利"})
    assert result.status == "completed"
    row = tour(eng, inst)
    assert (row.status, row.took_place, row.badges_returned) == ("done", True, True)
    assert "顺利" in row.notes and row.closed_at is not None


# ------------------------------------------------------------------ 第六条5: publishing the photographs
PUBLISH = {"took_place": True, "badges_returned": True, "publish_requested": True,
           "publish_medium": "公司网站新闻栏目", "publish_purpose": "报道重点客户来访，推广新产品"}


def photographed_tour_done(eng, clock, done=PUBLISH):
    """A key tour photographed with the GM's consent, held, and recorded as done with `done`."""
    inst = eng.start(PROCESS, "liuyang", application(clock, "key", photo_requested=True, photo_reason="用于产品推广"))
    approve_key(eng, inst, {"photo_decision": "consent"})
    do(eng, "zhangwei", inst, "designate", {"photographer": "陈静"})
    clock.advance(hours=96)
    do(eng, "maliang", inst, "gate", {"arrived": True, "badges_issued": 6})
    do(eng, "liuyang", inst, "done", done)
    return inst


def test_photographs_are_published_only_with_the_cs_departments_consent(eng, clock):
    """000 第六条5: 参观照片不得擅自公开刊登；如有必要刊登，必须事先征得客户服务部的同意."""
    inst = photographed_tour_done(eng, clock)
    assert eng.instance(inst.id).status == "running" and open_ids(eng, inst) == ["publish_consent"]
    row = tour(eng, inst)
    assert (row.status, row.publication_status, row.publication) == ("done", "none", None)  # not yet allowed
    consent = task_for(eng, "zhangwei", inst, "publish_consent")
    assert consent.lane == "cs_manager" and consent.candidate_groups == ("cs_manager",)
    page = eng.task_screen(consent.id, "zhangwei")
    told = render_template(page.documentation, page.data)
    assert "公司网站新闻栏目" in told and "须事先征得客户服务部的同意" in told
    with pytest.raises(NotAllowed):  # the applicant cannot consent to their own request
        eng.complete(consent.id, "liuyang", {"decision": "approve"})
    with pytest.raises(FormInvalid) as info:
        eng.complete(consent.id, "zhangwei", {"decision": "reject"})
    assert sorted(info.value.by_field()) == ["publish_comment"]
    done = do(eng, "zhangwei", inst, "publish_consent", {"decision": "approve"})
    assert (done.status, done.outcome) == ("completed", "done")
    row = tour(eng, inst)
    assert row.publication_status == "consented"
    assert {k: row.publication[k] for k in ("medium", "purpose", "requested_by", "decided_by")} == {
        "medium": "公司网站新闻栏目", "purpose": "报道重点客户来访，推广新产品", "requested_by": "liuyang",
        "decided_by": "zhangwei"}


def test_cs_department_may_refuse_publication_with_a_reason(eng, clock):
    """000 第六条5: without the CS department's consent the photographs stay unpublished."""
    inst = photographed_tour_done(eng, clock)
    do(eng, "zhangwei", inst, "publish_consent", {"decision": "reject", "publish_comment": "照片含未公开工艺"})
    row = tour(eng, inst)
    assert (row.publication_status, row.publication["comment"]) == ("refused", "照片含未公开工艺")
    assert eng.instance(inst.id).status == "completed"


def test_no_publication_request_leaves_the_photographs_unpublished(eng, clock):
    """000 第六条4–5: the originals stay with the CS department; nothing is asked, nothing is published."""
    inst = photographed_tour_done(eng, clock, {"took_place": True, "badges_returned": True})
    assert eng.instance(inst.id).status == "completed"
    assert tour(eng, inst).publication_status == "none"


def test_publication_of_a_tour_without_consented_photographs_is_refused(eng, clock):
    """000 第六条1–3 and 5: a tour photographed without consent (or not held) has nothing to publish."""
    inst = eng.start(PROCESS, "liuyang", application(clock, "key"))
    approve_key(eng, inst)
    clock.advance(hours=96)
    do(eng, "maliang", inst, "gate", {"arrived": True, "badges_issued": 6})
    done = task_for(eng, "liuyang", inst, "done")
    page = eng.task_screen(done.id, "liuyang")
    assert "没有可刊登的参观照片" in render_template(page.documentation, page.data)
    with pytest.raises(FormInvalid) as info:  # a tour that did not take place has no photographs at all
        eng.complete(done.id, "liuyang", {**PUBLISH, "took_place": False})
    assert info.value.by_field() == {"publish_requested": "参观未进行，没有参观照片可刊登（第六条5）"}
    with pytest.raises(FormInvalid) as info:
        eng.complete(done.id, "liuyang", {"took_place": True, "badges_returned": True, "publish_requested": True})
    assert sorted(info.value.by_field()) == ["publish_medium", "publish_purpose"]
    assert do(eng, "liuyang", inst, "done", PUBLISH).status == "completed"
    assert "publish_consent" not in {t.bpmn_id for t in eng.instance_tasks(inst.id)}
    row = tour(eng, inst)
    assert row.publication_status == "refused" and "没有可刊登的参观照片" in row.publication["comment"]


def test_number_counters_serialise_concurrent_transactions(engine):
    """Two transactions asking for the first number of a year at once get 1 and 2, never the same."""
    results, errors = [], []

    def other():
        try:
            with engine.Session() as s, s.begin():
                results.append(next_value(s, "XX", 2026))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=other)
    with engine.Session() as s:
        with s.begin():
            results.append(next_value(s, "XX", 2026))
            thread.start()
            thread.join(0.5)
            assert thread.is_alive()  # waits for this transaction's row
        thread.join(30)
    assert errors == [] and results == [1, 2]
