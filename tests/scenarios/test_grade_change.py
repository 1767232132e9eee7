"""客户等级调整与黑名单 (grade_change + grade_rules.dmn), walked end to end.

Seeds: 003 客户管理制度 2 (grades), 3.2 (A downgrade within 5 days, blacklist via 总经办), 3.3 (B/C -> A),
3.5 (blacklist 6 months, re-admission only as C); 002 大客户管理制度 第3条.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree
from sqlalchemy import select

from procedures.customer.records import Customer, CustomerBlacklist, CustomerGradeHistory, add_months, import_customers
from tests.conftest import WORKFLOWS, rows

UTC = timezone.utc


@pytest.fixture
def grade(engine):
    engine.deploy_paths([WORKFLOWS / "grade_rules.dmn", WORKFLOWS / "grade_change.bpmn"], "luoming")
    return engine


def seed(engine, name: str, grade: str | None) -> None:
    import_customers(engine, [(name, grade)])


def propose(engine, user="sunli", **fields):
    data = {"customer_name": "华盛服饰", "kind": "evaluation", "proposed_grade": "B", "annual_volume": 1_200_000,
            "payment_record": "on_time", "default_record": "none", "reason": "年度评价", "evidence": "2026年度往来对账单"}
    data.update(fields)
    return engine.start("grade_change", user, {k: v for k, v in data.items() if v is not None})


def task(engine, instance_id: int, bpmn_id: str):
    found = [t for t in engine.open_tasks(instance_id) if t.bpmn_id == bpmn_id]
    assert len(found) == 1, [t.bpmn_id for t in engine.open_tasks(instance_id)]
    return found[0]


def do(engine, instance_id: int, bpmn_id: str, user: str, data: dict):
    return engine.complete(task(engine, instance_id, bpmn_id).id, user, data)


def documentation(engine, t) -> str:
    """The task's documentation rendered over the instance data; every name it uses must exist."""
    root = etree.parse(str(WORKFLOWS / "grade_change.bpmn"))
    [text] = root.xpath(f'//*[@id="{t.bpmn_id}"]/*[local-name()="documentation"]/text()')
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(text).render(**engine.data(t.instance_id))


def customer(engine, name: str) -> Customer:
    [found] = rows(engine, select(Customer).where(Customer.name == name))
    return found


def history(engine, name: str) -> list[CustomerGradeHistory]:
    return rows(engine, select(CustomerGradeHistory).join(Customer, Customer.id == CustomerGradeHistory.customer_id)
                .where(Customer.name == name).order_by(CustomerGradeHistory.id))


def blacklist(engine, name: str) -> list[CustomerBlacklist]:
    return rows(engine, select(CustomerBlacklist).join(Customer, Customer.id == CustomerBlacklist.customer_id)
                .where(Customer.name == name).order_by(CustomerBlacklist.id))


def notices(engine, instance_id: int) -> list[dict]:
    return [e.data for e in engine.audit_trail(instance_id) if e.kind == "notified"]


def test_dmn_suggests_grade_at_every_threshold(grade):
    cases = [(2_999_999, "on_time", "none", "B"), (3_000_000, "on_time", "none", "A"),
             (3_000_000, "late", "none", "B"), (3_000_000, "on_time", "some", "B"),
             (1_000_000, "on_time", "none", "B"), (999_999, "on_time", "none", "C"),
             (500_000, "late", "some", "C"), (499_999, "on_time", "none", "D"), (0, "on_time", "none", "D")]
    for n, (volume, payment, default, expected) in enumerate(cases):
        inst = propose(grade, customer_name=f"客户{n}", annual_volume=volume, payment_record=payment,
                       default_record=default)
        assert grade.data(inst.id)["suggested_grade"] == expected, (volume, payment, default)


def test_evaluation_approved_by_head_writes_grade_and_history(grade, clock):
    inst = propose(grade, customer_name="新客户甲", proposed_grade="B")
    approval = task(grade, inst.id, "approve_grade")
    assert approval.lane == "sales_manager" and approval.candidate_groups == ("sales_manager",)
    assert "新客户甲" in documentation(grade, approval) and "建议：B类" in documentation(grade, approval)
    # 003 6.1: a customer never reviewed is pointed to the admission review
    assert "尚未通过客户准入评审" in documentation(grade, approval)
    done = grade.complete(approval.id, "wujun", {"decision": "approve"})
    assert done.status == "completed"
    assert customer(grade, "新客户甲").grade == "B"
    [row] = history(grade, "新客户甲")
    assert (row.kind, row.from_grade, row.to_grade, row.reason, row.approvers, row.instance_id) == \
        ("evaluation", None, "B", "年度评价", ["wujun"], inst.id)
    assert row.changed_at == clock.now.astimezone(UTC)


def test_rejected_proposal_changes_nothing_and_tells_the_proposer(grade):
    seed(grade, "乙公司", "C")
    inst = propose(grade, customer_name="乙公司", proposed_grade="B")
    assert "准入评审" not in documentation(grade, task(grade, inst.id, "approve_grade"))
    done = do(grade, inst.id, "approve_grade", "wujun", {"decision": "reject", "comment": "业务量证据不足"})
    assert done.status == "completed"
    assert customer(grade, "乙公司").grade == "C" and history(grade, "乙公司") == []
    assert notices(grade, inst.id)[-1]["to"] == "sunli"


def test_upgrade_b_to_a_for_good_performance(grade):
    seed(grade, "丙公司", "B")
    inst = propose(grade, customer_name="丙公司", kind="upgrade", proposed_grade="A", annual_volume=3_600_000,
                   reason="评价阶段表现良好", evidence="全年按期付款，无违约")
    assert grade.data(inst.id)["suggested_grade"] == "A"
    do(grade, inst.id, "approve_grade", "wujun", {"decision": "approve"})
    assert customer(grade, "丙公司").grade == "A"
    [row] = history(grade, "丙公司")
    assert (row.kind, row.from_grade, row.to_grade, row.approvers) == ("upgrade", "B", "A", ["wujun"])


def test_upgrade_and_downgrade_only_apply_to_their_grades(grade):
    seed(grade, "丁公司", "D")
    up = propose(grade, customer_name="丁公司", kind="upgrade", proposed_grade="A", annual_volume=3_600_000)
    down = propose(grade, customer_name="丁公司", kind="downgrade", proposed_grade="C",
                   found_at="2026-11-20T10:00:00+08:00")
    for inst in (up, down):
        assert grade.instance(inst.id).status == "completed" and grade.open_tasks(inst.id) == []
        assert "只适用于" in notices(grade, inst.id)[-1]["body"]
    assert customer(grade, "丁公司").grade == "D" and history(grade, "丁公司") == []


def test_a_downgrade_decided_within_five_days(grade, clock):
    seed(grade, "戊公司", "A")
    inst = propose(grade, customer_name="戊公司", kind="downgrade", proposed_grade="B", payment_record="late",
                   found_at=clock.now.isoformat(), reason="连续两月付款不及时", evidence="应收账款账龄表")
    decision = task(grade, inst.id, "approve_downgrade")
    # found on Monday 23 November: the 5th day is Saturday 28th, so the deadline is Monday 30th
    assert decision.due_at == clock.now.astimezone(UTC) + timedelta(days=7)
    clock.advance(days=3)
    assert grade.fire_due_timers() == 0
    do(grade, inst.id, "approve_downgrade", "wujun", {"decision": "approve"})
    assert customer(grade, "戊公司").grade == "B"
    [row] = history(grade, "戊公司")
    assert (row.kind, row.from_grade, row.to_grade, row.approvers) == ("downgrade", "A", "B", ["wujun"])
    clock.advance(days=5)
    assert grade.fire_due_timers() == 0


def test_a_downgrade_escalates_to_gm_after_five_days(grade, clock):
    seed(grade, "己公司", "A")
    found = clock.now.replace(day=24)  # Tuesday 24 November 2026: the 5th day is Sunday 29th, not worked
    clock.set(found)
    inst = propose(grade, customer_name="己公司", kind="downgrade", proposed_grade="C", found_at=found.isoformat(),
                   reason="经营出现重大危机", evidence="法院公告")
    assert task(grade, inst.id, "approve_downgrade").due_at == found + timedelta(days=6)  # Monday 30th
    clock.set(found + timedelta(days=5, minutes=1))
    assert grade.fire_due_timers() == 0
    assert task(grade, inst.id, "approve_downgrade")
    clock.set(found + timedelta(days=6, minutes=1))
    assert grade.fire_due_timers() == 1
    assert [t.bpmn_id for t in grade.open_tasks(inst.id)] == ["escalate_downgrade"]
    assert [t.bpmn_id for t in grade.tasks("wangqiang")] == ["escalate_downgrade"]
    assert grade.tasks("wujun") == []
    assert any(e.kind == "timer_fired" and e.bpmn_id == "downgrade_deadline" for e in grade.audit_trail(inst.id))
    do(grade, inst.id, "escalate_downgrade", "wangqiang", {"decision": "approve"})
    assert customer(grade, "己公司").grade == "C"
    [row] = history(grade, "己公司")
    assert (row.from_grade, row.to_grade, row.approvers) == ("A", "C", ["wangqiang"])


def test_stale_finding_escalates_at_once(grade, clock):
    seed(grade, "庚公司", "A")
    inst = propose(grade, customer_name="庚公司", kind="downgrade", proposed_grade="B",
                   found_at=(clock.now - timedelta(days=6)).isoformat())
    grade.fire_due_timers()  # the deadline has passed: the start itself or the next worker run escalates
    assert [t.bpmn_id for t in grade.open_tasks(inst.id)] == ["escalate_downgrade"]


def list_customer(grade, name: str, months: int = 6, **verify):
    inst = propose(grade, customer_name=name, kind="blacklist", proposed_grade=None, annual_volume=5_000_000,
                   default_record="some", reason="恶意拖欠货款造成重大损失", evidence="催款函及对账单")
    assert notices(grade, inst.id)[0]["to"] == "group:gm_office"
    data = {"decision": "approve", "verification": "经核实属实", "validity_months": months, **verify}
    do(grade, inst.id, "verify_blacklist", "zhaomin", data)
    return inst


def test_blacklist_six_months_then_readmitted_only_as_c(grade, clock):
    seed(grade, "辛公司", "A")
    listed_at = clock.now.astimezone(UTC)
    inst = list_customer(grade, "辛公司")
    c = customer(grade, "辛公司")
    assert c.blacklisted and c.grade is None
    [entry] = blacklist(grade, "辛公司")
    assert entry.expires_at == add_months(listed_at, 6) == datetime(2027, 5, 23, 1, 0, tzinfo=UTC)
    assert entry.outcome is None and entry.lifted_at is None
    assert notices(grade, inst.id)[-1]["to"] == "group:gm_office"  # 3.5a: filed with the GM office
    [row] = history(grade, "辛公司")
    assert (row.kind, row.from_grade, row.to_grade, row.approvers) == ("blacklist", "A", None, ["zhaomin"])
    assert grade.instance(inst.id).status == "running" and grade.open_tasks(inst.id) == []
    # while listed, no other grade change is possible
    other = propose(grade, customer_name="辛公司", proposed_grade="A", annual_volume=5_000_000)
    assert grade.instance(other.id).status == "completed" and "黑名单" in notices(grade, other.id)[-1]["body"]

    clock.set(datetime(2027, 5, 22, 9, 0, tzinfo=UTC))
    assert grade.fire_due_timers() == 0
    clock.set(datetime(2027, 5, 23, 2, 0, tzinfo=UTC))
    assert grade.fire_due_timers() == 1
    do(grade, inst.id, "review_expiry", "zhoujie", {"changed": True, "meets_criteria": True,
                                                    "review_notes": "已更换管理层，欠款结清"})
    do(grade, inst.id, "approve_readmit_head", "wujun", {"decision": "approve"})
    assert task(grade, inst.id, "approve_readmit_gm").candidate_groups == ("gm",)
    done = do(grade, inst.id, "approve_readmit_gm", "wangqiang", {"decision": "approve"})
    assert done.status == "completed"
    c = customer(grade, "辛公司")
    assert (c.grade, c.blacklisted) == ("C", False)  # 5,000,000 a year, still only C
    [entry] = blacklist(grade, "辛公司")
    assert entry.outcome == "readmitted" and entry.lifted_at == clock.now
    last = history(grade, "辛公司")[-1]
    assert (last.kind, last.from_grade, last.to_grade, last.approvers) == \
        ("readmission", None, "C", ["wujun", "wangqiang"])


def test_shorter_blacklist_then_customer_stays_out(grade, clock):
    seed(grade, "壬公司", "B")
    inst = list_customer(grade, "壬公司", months=3, special_case_reason="客户已部分赔偿")
    [entry] = blacklist(grade, "壬公司")
    assert entry.expires_at == add_months(clock.now.astimezone(UTC), 3)
    clock.advance(days=93)
    assert grade.fire_due_timers() == 1
    done = do(grade, inst.id, "review_expiry", "sunli", {"changed": False, "meets_criteria": False,
                                                         "review_notes": "经营状况未改善"})
    assert done.status == "completed"
    [entry] = blacklist(grade, "壬公司")
    assert entry.outcome == "refused" and entry.lifted_at is None
    assert customer(grade, "壬公司").blacklisted and len(history(grade, "壬公司")) == 1

    # a later re-admission request: the head agrees, company leadership does not
    again = propose(grade, customer_name="壬公司", kind="readmission", proposed_grade="C",
                    reason="客户重组后申请恢复合作", evidence="新营业执照")
    do(grade, again.id, "approve_readmit_head", "wujun", {"decision": "approve"})
    do(grade, again.id, "approve_readmit_gm", "wangqiang", {"decision": "reject", "comment": "观察期不足"})
    assert customer(grade, "壬公司").blacklisted and customer(grade, "壬公司").grade is None


def test_readmission_before_expiry_is_not_applicable(grade):
    seed(grade, "癸公司", "C")
    list_customer(grade, "癸公司")
    early = propose(grade, customer_name="癸公司", kind="readmission", proposed_grade="C")
    assert grade.instance(early.id).status == "completed" and grade.open_tasks(early.id) == []
    assert grade.instance(early.id).outcome == "not_applicable"
    assert "尚未到期" in notices(grade, early.id)[-1]["body"]


def test_unverified_blacklist_report_changes_nothing(grade):
    seed(grade, "子公司", "B")
    inst = propose(grade, customer_name="子公司", kind="blacklist", proposed_grade=None, reason="疑似损害声誉",
                   evidence="网络传言")
    done = do(grade, inst.id, "verify_blacklist", "zhaomin",
              {"decision": "reject", "verification": "经核实不属实", "comment": "证据不足"})
    assert done.status == "completed"
    c = customer(grade, "子公司")
    assert (c.grade, c.blacklisted) == ("B", False) and blacklist(grade, "子公司") == []
