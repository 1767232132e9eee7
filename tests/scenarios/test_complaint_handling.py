"""Scenarios for 客户投诉处理 (PROCEDURES.md §2; seeds 001 被动维护客户关系, 002 第六条6.1(6)、第七条)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import FormInvalid, NotAllowed
from engine.clock import parse_iso
from engine.runtime.templates import render
from procedures.complaint.calls import CallRecord
from procedures.complaint.records import Complaint, ComplaintRound
from tests.scenarios.walk import do, task_data, task_for
from tests.conftest import WORKFLOWS
from tests.files import png

PROCESS = "complaint_handling"


@pytest.fixture
def eng(engine):
    engine.deploy_paths([WORKFLOWS / "complaint_handling.bpmn"], "luoming")
    return engine




def registration(clock, kind="complaint", severity="general", **extra):
    data = {"customer": "福州纺织集团", "contact": "王经理", "contact_phone": "0591-87654321", "channel": "phone",
            "received_at": clock.now.isoformat(), "kind": kind, "content": "对面料检测结果有异议",
            "product": "订单 FZ-2026-118", "demand": "重新检测并书面答复"}
    if severity:
        data["severity"] = severity
    data.update(extra)
    return data






def open_ids(engine, inst):
    return sorted(t.bpmn_id for t in engine.open_tasks(inst.id))


def record(engine, inst) -> Complaint:
    with engine.session() as s:
        row = s.scalars(select(Complaint).where(Complaint.instance_id == inst.id)).one()
        s.expunge(row)
        return row


def rounds_of(engine, inst) -> list[ComplaintRound]:
    with engine.session() as s:
        complaint_id = s.scalars(select(Complaint.id).where(Complaint.instance_id == inst.id)).one()
        rows = list(s.scalars(select(ComplaintRound).where(ComplaintRound.complaint_id == complaint_id)
                              .order_by(ComplaintRound.round)))
        s.expunge_all()
        return rows


def notices(engine, inst):
    return [e.data for e in engine.audit_trail(inst.id) if e.kind == "notified"]


INVESTIGATION = {"investigation": "复核留样，检测记录齐全", "cause": "检测员取样操作不规范", "responsible_dept": "technical"}
CORRECTIVE = {"corrective_action": "重新培训取样规范并复检", "complete_by": "2026-12-04"}


def handle_until_answer(engine, inst, dept_user="hetao", investigation=INVESTIGATION):
    do(engine, "zhengkai", inst, "investigate", investigation)
    do(engine, dept_user, inst, "corrective", CORRECTIVE)
    do(engine, "zhengkai", inst, "verify", {"decision": "approve"})


# ------------------------------------------------------------------ rule 1: consultation / query
@pytest.mark.parametrize("kind", ["consultation", "query"])
def test_consultation_and_query_are_answered_and_closed_by_the_receiver(eng, clock, kind):
    inst = eng.start(PROCESS, "liuyang", registration(clock, kind, severity=None))
    reply = task_for(eng, "liuyang", inst, "reply")
    assert reply.lane == "initiator" and reply.candidate_users == ("liuyang",)
    assert not [t for t in eng.tasks("chenjing") + eng.tasks("zhengkai") if t.instance_id == inst.id]
    assert do(eng, "liuyang", inst, "reply", {"reply": "检测周期为5个工作日"}).status == "completed"
    row = record(eng, inst)
    assert (row.kind, row.status, row.answer, row.severity) == (kind, "closed", "检测周期为5个工作日", None)
    assert re.fullmatch(r"TS-2026-\d{4}", row.number) and row.closed_at is not None


# ------------------------------------------------------------------ 002 6.1(5): a difficult enquiry
DIFFICULT = {"difficult": True, "question": "能否按欧盟 REACH 附录 XVII 检测偶氮染料并出具英文报告",
             "departments": ["group:technical", "group:quality"]}


def call_record(engine, inst) -> CallRecord:
    with engine.session() as s:
        complaint_id = s.scalars(select(Complaint.id).where(Complaint.instance_id == inst.id)).one()
        row = s.scalars(select(CallRecord).where(CallRecord.complaint_id == complaint_id)).one()
        s.expunge(row)
        return row


@pytest.mark.parametrize("kind", ["consultation", "query"])
def test_difficult_enquiry_is_recorded_studied_by_the_departments_then_answered(eng, clock, kind):
    """002 6.1(5): a difficult question goes on a 客户来电记录单 and is answered after the departments
    concerned have studied it, not by the receiver alone."""
    inst = eng.start(PROCESS, "liuyang", registration(clock, kind, severity=None))
    do(eng, "liuyang", inst, "reply", DIFFICULT)
    rec = call_record(eng, inst)
    assert re.fullmatch(r"LD-2026-\d{4}", rec.number) and rec.status == "studying"
    assert (rec.question, rec.departments, rec.created_by) == (DIFFICULT["question"], DIFFICULT["departments"],
                                                               "liuyang")
    assert record(eng, inst).status == "studying"
    studies = [t for t in eng.open_tasks(inst.id) if t.bpmn_id == "study"]
    assert sorted(t.candidate_groups for t in studies) == [("quality",), ("technical",)]
    assert "{{ question }}" in task_data(eng, studies[0])["__doc__"]
    assert not [t for t in eng.tasks("liuyang") if t.instance_id == inst.id]  # nothing to answer yet

    do(eng, "hetao", inst, "study", {"opinion": "可按 EN 14362-1 检测，需外委英文报告"})
    assert open_ids(eng, inst) == ["study"]  # still waiting for the quality department
    assert not [t for t in eng.tasks("liuyang") if t.instance_id == inst.id]
    do(eng, "xuhui", inst, "study", {"opinion": "报告周期7个工作日"})

    answer = task_for(eng, "liuyang", inst, "answer_call")
    assert answer.lane == "initiator" and answer.candidate_users == ("liuyang",)
    seen = task_data(eng, answer)
    assert sorted((s["dept"], s["by"], s["opinion"]) for s in seen["studies"]) == [
        ("group:quality", "xuhui", "报告周期7个工作日"), ("group:technical", "hetao", "可按 EN 14362-1 检测，需外委英文报告")]
    assert seen["call_rec"]["number"] == rec.number
    shown = render(seen["__doc__"], seen)  # what the receiver reads before answering
    assert "技术部：可按 EN 14362-1 检测，需外委英文报告；" in shown and "品管部：报告周期7个工作日；" in shown
    rec = call_record(eng, inst)
    assert sorted(s["dept"] for s in rec.studies) == ["group:quality", "group:technical"]

    answered = do(eng, "liuyang", inst, "answer_call", {"reply": "可检测，7个工作日出具英文报告"})
    assert answered.status == "completed"
    rec, row = call_record(eng, inst), record(eng, inst)
    assert (rec.status, rec.answer, rec.answered_by) == ("answered", "可检测，7个工作日出具英文报告", "liuyang")
    assert (row.status, row.answer) == ("closed", "可检测，7个工作日出具英文报告") and row.closed_at


def test_difficult_enquiry_refusals_say_what_is_missing(eng, clock):
    """002 6.1(5) and 6.1(7): no blind answer to a difficult question; the record names the question and
    the departments; only the departments concerned study it."""
    inst = eng.start(PROCESS, "liuyang", registration(clock, "consultation", severity=None))
    reply = task_for(eng, "liuyang", inst, "reply")
    with pytest.raises(FormInvalid) as info:
        eng.complete(reply.id, "liuyang", {**DIFFICULT, "reply": "应该可以"})
    assert info.value.by_field() == {
        "reply": "有一定困难的问题须先由相关部门研究处理，研究后再答复客户（002 第六条6.1(5)）；请清空答复内容"}
    with pytest.raises(FormInvalid) as info:
        eng.complete(reply.id, "liuyang", {"difficult": True})
    assert sorted(info.value.by_field()) == ["departments", "question"]
    with pytest.raises(FormInvalid) as info:
        eng.complete(reply.id, "liuyang", {})
    assert sorted(info.value.by_field()) == ["reply"]
    assert open_ids(eng, inst) == ["reply"] and record(eng, inst).status == "registered"

    do(eng, "liuyang", inst, "reply", {**DIFFICULT, "departments": ["group:technical"]})
    [study] = [t for t in eng.open_tasks(inst.id) if t.bpmn_id == "study"]
    for outsider in ("xuhui", "liuyang", "zhengkai"):  # another department, the receiver, the leader
        with pytest.raises(NotAllowed):
            eng.complete(study.id, outsider, {"opinion": "不是本部门的问题"})
    with pytest.raises(FormInvalid) as info:
        eng.complete(study.id, "hetao", {})
    assert sorted(info.value.by_field()) == ["opinion"]
    assert open_ids(eng, inst) == ["study"] and call_record(eng, inst).studies == []


def test_only_customer_service_staff_register_complaints(eng, clock):
    with pytest.raises(NotAllowed):
        eng.start(PROCESS, "zhengkai", registration(clock))


def test_complaint_numbers_are_unique(eng, clock):
    first = eng.start(PROCESS, "liuyang", registration(clock))
    second = eng.start(PROCESS, "chenjing", registration(clock, "query", severity=None))
    assert [record(eng, first).number, record(eng, second).number] == ["TS-2026-0001", "TS-2026-0002"]


# ------------------------------------------------------------------ rules 2–4, 6: the general path
def test_general_complaint_investigation_corrective_action_answer_and_call_back(eng, clock):
    inst = eng.start(PROCESS, "liuyang", registration(clock))
    investigate = task_for(eng, "zhengkai", inst, "investigate")
    assert investigate.lane == "supervisor"
    assert investigate.due_at == clock.now + timedelta(hours=24)  # first response, the nearer deadline
    assert record(eng, inst).status == "registered"

    do(eng, "zhengkai", inst, "investigate", INVESTIGATION)
    corrective = task_for(eng, "hetao", inst, "corrective")  # the named department, not the lane's group
    assert corrective.candidate_groups == ("technical",)
    assert not [t for t in eng.tasks("xuhui") if t.instance_id == inst.id]
    row = record(eng, inst)
    assert (row.status, row.responsible_dept) == ("investigated", "technical") and row.first_responded_at

    do(eng, "hetao", inst, "corrective", {"corrective_action": "加强培训", "complete_by": "2026-12-04"})
    do(eng, "zhengkai", inst, "verify", {"decision": "reject", "comment": "措施不具体"})
    assert open_ids(eng, inst) == ["corrective"]  # the leader sends it back to the department
    do(eng, "hetao", inst, "corrective", CORRECTIVE)
    do(eng, "zhengkai", inst, "verify", {"decision": "approve", "comment": "可防止再次发生"})
    assert open_ids(eng, inst) == ["answer"]  # a general complaint does not go to the GM

    answer = task_for(eng, "liuyang", inst, "answer")
    assert answer.lane == "initiator"
    do(eng, "liuyang", inst, "answer", {"answer": "已复检，结果无误，向客户致歉并说明"})
    assert record(eng, inst).status == "answered"
    callback = task_for(eng, "chenjing", inst, "callback")
    assert callback.candidate_groups == ("cs_staff",)
    done = do(eng, "chenjing", inst, "callback", {"satisfied": "satisfied", "feedback": "满意"})
    assert done.status == "completed"

    row = record(eng, inst)
    assert (row.status, row.rounds, row.escalations) == ("closed", 1, 0) and row.closed_at
    (only,) = rounds_of(eng, inst)
    assert (only.satisfied, only.corrective_action, only.verification) == (True, CORRECTIVE["corrective_action"],
                                                                         "可防止再次发生")
    assert "gm_plan" not in {t.bpmn_id for t in eng.instance_tasks(inst.id)}


def test_dissatisfied_customer_sends_it_back_to_investigation(eng, clock):
    inst = eng.start(PROCESS, "liuyang", registration(clock))
    handle_until_answer(eng, inst)
    do(eng, "liuyang", inst, "answer", {"answer": "已复检"})
    do(eng, "chenjing", inst, "callback", {"satisfied": "unsatisfied", "feedback": "仍认为结果偏差"})

    assert open_ids(eng, inst) == ["investigate"]
    investigate = task_for(eng, "zhengkai", inst, "investigate")
    assert task_data(eng, investigate)["rounds"] == 2
    assert task_data(eng, investigate)["feedback"] == "仍认为结果偏差"
    row = record(eng, inst)
    assert (row.status, row.rounds) == ("reopened", 2)

    handle_until_answer(eng, inst, "xuhui", {**INVESTIGATION, "responsible_dept": "quality"})
    do(eng, "liuyang", inst, "answer", {"answer": "已送第三方复检"})
    do(eng, "chenjing", inst, "callback", {"satisfied": "satisfied"})
    row = record(eng, inst)
    assert (row.status, row.rounds, row.responsible_dept) == ("closed", 2, "quality")
    first, second = rounds_of(eng, inst)
    assert (first.round, first.satisfied, first.feedback, first.responsible_dept) == (
        1, False, "仍认为结果偏差", "technical")
    assert (second.round, second.satisfied, second.responsible_dept) == (2, True, "quality")


# ------------------------------------------------------------------ rule 5: major complaints
def test_major_complaint_is_escalated_to_the_general_manager(eng, clock):
    inst = eng.start(PROCESS, "liuyang", registration(clock, severity="major"))
    investigate = task_for(eng, "zhengkai", inst, "investigate")
    data = task_data(eng, investigate)
    assert parse_iso(data["first_response_due"]) == clock.now + timedelta(hours=4)
    assert parse_iso(data["resolution_due"]) == clock.now + timedelta(days=2)  # Monday + 2 working days
    assert investigate.due_at == clock.now + timedelta(hours=4)

    handle_until_answer(eng, inst)
    assert open_ids(eng, inst) == ["gm_plan"]
    do(eng, "wangqiang", inst, "gm_plan", {"decision": "reject", "comment": "需追溯同批次全部样品"})
    assert open_ids(eng, inst) == ["investigate"]
    assert (record(eng, inst).status, record(eng, inst).rounds) == ("investigating", 1)

    handle_until_answer(eng, inst)
    do(eng, "wangqiang", inst, "gm_plan", {"decision": "approve"})
    do(eng, "liuyang", inst, "answer", {"answer": "同批次已全部复检"})
    do(eng, "chenjing", inst, "callback", {"satisfied": "satisfied"})
    row = record(eng, inst)
    assert (row.status, row.severity) == ("closed", "major")
    (only,) = rounds_of(eng, inst)
    assert only.gm_decision == "approve"


# ------------------------------------------------------------------ rule 7: deadlines escalate
def test_missed_deadlines_escalate_to_supervisor_then_general_manager(eng, clock):
    inst = eng.start(PROCESS, "liuyang", registration(clock))
    clock.advance(hours=23)
    eng.fire_due_timers()
    assert notices(eng, inst) == [] and record(eng, inst).escalations == 0

    clock.advance(hours=2)  # the 24 h first response has passed
    eng.fire_due_timers()
    (first,) = notices(eng, inst)
    assert first["to"] == "group:supervisor" and "首次响应超时" in first["subject"]
    row = record(eng, inst)
    assert (row.escalations, row.escalation_level) == (1, 1) and "首次响应超时" in row.last_escalation
    investigate = task_for(eng, "zhengkai", inst, "investigate")  # non-interrupting: still there
    assert investigate.is_overdue(clock.now)

    do(eng, "zhengkai", inst, "investigate", INVESTIGATION)
    clock.advance(days=6)  # Tuesday 10:00 + 6 days: past the 5 working days (next Monday 09:00)
    eng.fire_due_timers()
    assert [n["to"] for n in notices(eng, inst)] == ["group:supervisor", "group:gm"]
    row = record(eng, inst)
    assert (row.escalations, row.escalation_level) == (2, 2) and "处理期限超时" in row.last_escalation
    assert open_ids(eng, inst) == ["corrective"]

    # each later step is late too, but the GM is told once per round
    do(eng, "hetao", inst, "corrective", CORRECTIVE)
    do(eng, "zhengkai", inst, "verify", {"decision": "approve"})
    do(eng, "liuyang", inst, "answer", {"answer": "已处理"})
    eng.fire_due_timers()
    assert record(eng, inst).escalations == 2
    do(eng, "chenjing", inst, "callback", {"satisfied": "satisfied"})
    assert eng.instance(inst.id).status == "completed"


def test_major_complaint_has_shorter_deadlines(eng, clock):
    inst = eng.start(PROCESS, "liuyang", registration(clock, severity="major"))
    clock.advance(hours=4, minutes=5)
    eng.fire_due_timers()
    assert [n["to"] for n in notices(eng, inst)] == ["group:supervisor"]
    handle_until_answer(eng, inst)
    assert open_ids(eng, inst) == ["gm_plan"]
    clock.advance(days=2)  # Wednesday 13:05, past Monday + 2 working days
    eng.fire_due_timers()
    assert [n["to"] for n in notices(eng, inst)] == ["group:supervisor", "group:gm"]
    assert record(eng, inst).escalation_level == 2


def test_deadline_met_means_no_escalation(eng, clock):
    inst = eng.start(PROCESS, "liuyang", registration(clock))
    clock.advance(hours=2)
    do(eng, "zhengkai", inst, "investigate", INVESTIGATION)
    clock.advance(hours=30)
    eng.fire_due_timers()
    assert notices(eng, inst) == [] and record(eng, inst).escalations == 0
    assert open_ids(eng, inst) == ["corrective"]


def test_the_customers_photos_come_with_the_registration_for_whoever_handles_the_complaint(eng, clock):
    """002 第七条: the receiver registers what the customer sent; the supervisor who investigates sees it, the
    warehouse (no part in the complaint) does not; photos are optional."""
    photos = [eng.stage_attachment("complaint_handling", "liuyang", name, png(rgb)).id
              for name, rgb in (("色差-到货面料.png", (176, 58, 46)), ("色差-确认样.png", (192, 57, 43)))]
    inst = eng.start("complaint_handling", "liuyang", registration(clock, photos=photos))
    assert open_ids(eng, inst) == ["investigate"]
    task_for(eng, "zhengkai", inst, "investigate")  # 郑凯, 主管领导, investigates next
    shown = eng.attachments(inst.id, "zhengkai")
    assert [(a.filename, a.field, a.uploaded_by) for a in shown] == [
        ("色差-到货面料.png", "photos", "liuyang"), ("色差-确认样.png", "photos", "liuyang")]
    assert eng.attachment_file(shown[0].id, "zhengkai")[1] == png((176, 58, 46))
    with pytest.raises(NotAllowed):
        eng.attachment_file(shown[0].id, "linhai")
    plain = eng.start("complaint_handling", "liuyang", registration(clock))
    assert eng.attachments(plain.id, "liuyang") == []
