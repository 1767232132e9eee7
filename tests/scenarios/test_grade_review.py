"""半年度客户等级评审 (grade_review, calling grade_review_customer for each customer), walked end to end.

Seeds: 003 客户管理制度 5.2e (业务人员每半年向业务经理反馈客户信息), 5.2d (分级评估), 2.1-2.3 (grade rules,
grade_rules.dmn), 3.2-3.3 (grades change in an evaluation period), 3.5b (blacklisted customers have no grade).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine.errors import FormInvalid, NotAllowed
from procedures.customer.records import (Customer, CustomerGradeHistory, blacklist_customer, ensure_customer,
                                         import_customers)
from tests.conftest import WORKFLOWS, rows

UTC = timezone.utc
FIRST_DUE = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)  # the diagram's timer: 2027-01-04 09:00 Beijing, every 6 months
GOOD = {"annual_volume": 3_500_000, "payment_record": "on_time", "default_record": "none"}


@pytest.fixture
def review(engine):
    engine.deploy_paths([WORKFLOWS / "grade_rules.dmn", WORKFLOWS / "grade_review_customer.bpmn",
                         WORKFLOWS / "grade_review.bpmn"], "luoming")
    return engine


def grade_of(engine, name: str) -> str | None:
    [found] = rows(engine, select(Customer).where(Customer.name == name))
    return found.grade


def history(engine, name: str) -> list[CustomerGradeHistory]:
    return rows(engine, select(CustomerGradeHistory).join(Customer, Customer.id == CustomerGradeHistory.customer_id)
                .where(Customer.name == name).order_by(CustomerGradeHistory.id))


def put_on_blacklist(engine, name: str) -> None:
    """The customer on the sales blacklist, as the grade-change procedure's operator puts it there."""
    def work(ctx):
        blacklist_customer(ctx, ensure_customer(ctx.session, name, ctx.now, "B").id, "造成重大损失")
    engine.run_verb("blacklist_customer", "system", work, {"customer": name})


def reviews(engine) -> list:
    return [i for i in engine.instances(limit=100) if i.process_id == "grade_review"]


def open_task(engine, instance_id: int, bpmn_id: str, customer: str):
    found = [t for t in engine.open_tasks(instance_id)
             if t.bpmn_id == bpmn_id and engine.task_data(t.id)["customer_name"] == customer]
    assert len(found) == 1, [(t.bpmn_id, t.id) for t in engine.open_tasks(instance_id)]
    return found[0]


def start_review(engine) -> int:
    """The worker's round a minute after the first due time starts the review."""
    assert engine.fire_due_timers(FIRST_DUE + timedelta(minutes=1)) == 1
    [inst] = reviews(engine)
    return inst.id


def test_every_customer_but_the_blacklisted_is_reviewed_each_half_year(review, clock):
    """003 5.2e: each half year every customer in the register gets a feedback task for a salesperson;
    3.5b: a blacklisted customer has no grade and is left out."""
    import_customers(review, [("甲纺织", "A"), ("乙服饰", "C"), ("丙面料", None)])
    put_on_blacklist(review, "丁鞋业")
    assert review.fire_due_timers(FIRST_DUE - timedelta(seconds=1)) == 0, "nothing before the due time"
    inst = start_review(review)
    tasks = review.open_tasks(inst)
    assert sorted(review.task_data(t.id)["customer_name"] for t in tasks) == ["丙面料", "乙服饰", "甲纺织"]
    assert {(t.bpmn_id, t.lane, t.candidate_groups) for t in tasks} == {("feedback", "sales", ("sales",))}
    # each reads apart in the inbox by its customer (the task's `subject`)
    assert sorted(t.title for t in tasks) == ["业务人员反馈客户半年情况：丙面料", "业务人员反馈客户半年情况：乙服饰",
                                              "业务人员反馈客户半年情况：甲纺织"]
    assert review.task_data(tasks[0].id)["period"] == "2027年上半年", "the half year the review starts in"
    # the next review is six months later (the timer start event's cycle), not before
    assert review.fire_due_timers(FIRST_DUE + timedelta(days=100)) == 0
    assert review.fire_due_timers(FIRST_DUE + timedelta(days=181, minutes=1)) == 1
    assert len(reviews(review)) == 2


def test_blacklisted_customer_is_not_in_the_review(review):
    """003 3.5b: a customer on the sales blacklist is out of the register's grades until re-admitted."""
    import_customers(review, [("甲纺织", "A"), ("黑名单客户", "B")])
    put_on_blacklist(review, "黑名单客户")
    inst = start_review(review)
    assert [review.task_data(t.id)["customer_name"] for t in review.open_tasks(inst)] == ["甲纺织"]


def test_rules_propose_and_the_sales_head_confirms_the_change(review, clock):
    """003 2.1-2.3 via grade_rules.dmn: ≥300万, on time, no default → A; 5.2d: the sales head confirms;
    3.3: a C customer that did well becomes A, written to the register with its history."""
    import_customers(review, [("乙服饰", "C")])
    inst = start_review(review)
    review.complete(open_task(review, inst, "feedback", "乙服饰").id, "zhoujie", {**GOOD, "remarks": "新增产线"})
    confirm = open_task(review, inst, "confirm", "乙服饰")
    assert (confirm.lane, confirm.candidate_groups) == ("sales_manager", ("sales_manager",))
    assert confirm.title == "业务经理确认客户等级：乙服饰"
    assert review.task_data(confirm.id)["suggested_grade"] == "A"
    done = review.complete(confirm.id, "wujun", {"decision": "confirm"})
    assert done.status == "completed" and done.outcome == "done"
    assert grade_of(review, "乙服饰") == "A"
    [row] = history(review, "乙服饰")
    assert (row.kind, row.from_grade, row.to_grade, row.approvers, row.instance_id) == \
        ("evaluation", "C", "A", ["wujun"], inst)
    assert "按分级标准确认为A类" in row.reason and row.changed_at == clock.now.astimezone(UTC)
    data = review.data(inst)
    assert data["results"][0]["changed"] is True and "调整 1 个" in data["summary"] and "乙服饰：C → A" in data["summary"]
    [notice] = [e.data for e in review.audit_trail(inst) if e.kind == "notified"]
    assert notice["to"] == "group:sales_manager"


def test_head_overrides_the_rule_with_a_reason(review):
    """003 3.2: an A customer with problems in the period goes down to B or C, whatever the volume says;
    the override is written with the head's reason."""
    import_customers(review, [("甲纺织", "A")])
    inst = start_review(review)
    review.complete(open_task(review, inst, "feedback", "甲纺织").id, "sunli", GOOD)
    confirm = open_task(review, inst, "confirm", "甲纺织")
    review.complete(confirm.id, "wujun", {"decision": "override", "final_grade": "B",
                                          "reason": "合同执行能力差，两批货逾期未提"})
    assert grade_of(review, "甲纺织") == "B"
    [row] = history(review, "甲纺织")
    assert (row.from_grade, row.to_grade) == ("A", "B")
    assert "建议A类，改定为B类：合同执行能力差" in row.reason


def test_confirmed_unchanged_grade_writes_no_history(review):
    """003 5.2d: a review that keeps the grade changes neither the register nor its history."""
    import_customers(review, [("甲纺织", "A")])
    inst = start_review(review)
    review.complete(open_task(review, inst, "feedback", "甲纺织").id, "sunli", GOOD)
    review.complete(open_task(review, inst, "confirm", "甲纺织").id, "wujun", {"decision": "confirm"})
    assert grade_of(review, "甲纺织") == "A" and history(review, "甲纺织") == []
    assert "调整 0 个" in review.data(inst)["summary"]


def test_override_without_a_reason_is_refused_and_loses_nothing(review):
    """Bad input: 改定等级 needs the grade and the reason; the task stays open with the feedback kept."""
    import_customers(review, [("甲纺织", "A")])
    inst = start_review(review)
    review.complete(open_task(review, inst, "feedback", "甲纺织").id, "sunli", GOOD)
    confirm = open_task(review, inst, "confirm", "甲纺织")
    with pytest.raises(FormInvalid) as refused:
        review.complete(confirm.id, "wujun", {"decision": "override"})
    assert {"final_grade", "reason"} <= set(refused.value.by_field())
    assert open_task(review, inst, "confirm", "甲纺织").id == confirm.id
    assert review.task_data(confirm.id)["annual_volume"] == 3_500_000 and grade_of(review, "甲纺织") == "A"


def test_only_salespeople_feed_back_and_only_the_sales_head_confirms(review):
    """5.2e: 业务人员 feed back, 业务经理 (sales_manager) confirms; anyone else is refused."""
    import_customers(review, [("甲纺织", "A")])
    inst = start_review(review)
    feedback = open_task(review, inst, "feedback", "甲纺织")
    with pytest.raises(NotAllowed):
        review.complete(feedback.id, "wujun", GOOD)
    review.complete(feedback.id, "sunli", GOOD)
    with pytest.raises(NotAllowed):
        review.complete(open_task(review, inst, "confirm", "甲纺织").id, "zhoujie", {"decision": "confirm"})
    assert grade_of(review, "甲纺织") == "A"


def test_an_empty_register_ends_the_review_at_once(review):
    inst = start_review(review)
    view = review.instance(inst)
    assert (view.status, view.outcome) == ("completed", "not_applicable")


def test_a_salesperson_reviews_one_customer_by_hand(review):
    """5.2e outside the half-yearly round: one customer, new to the register, graded for the first time."""
    inst = review.start("grade_review_customer", "sunli", {"customer_name": "新客户戊"})
    [feedback] = review.open_tasks(inst.id)
    review.complete(feedback.id, "sunli", {"annual_volume": 600_000, "payment_record": "late",
                                           "default_record": "none"})
    [confirm] = review.open_tasks(inst.id)
    assert review.task_data(confirm.id)["suggested_grade"] == "C"
    done = review.complete(confirm.id, "wujun", {"decision": "confirm"})
    assert done.outcome == "approved" and grade_of(review, "新客户戊") == "C"
    [row] = history(review, "新客户戊")
    assert (row.from_grade, row.to_grade) == (None, "C")


def test_a_hand_review_of_a_blacklisted_customer_does_not_apply(review):
    """3.5b: a customer on the blacklist is not graded; only re-admission (grade_change) applies."""
    import_customers(review, [("黑名单客户", "B")])
    put_on_blacklist(review, "黑名单客户")
    inst = review.start("grade_review_customer", "sunli", {"customer_name": "黑名单客户"})
    view = review.instance(inst.id)
    assert (view.status, view.outcome) == ("completed", "not_applicable")
    assert review.open_tasks(inst.id) == []
