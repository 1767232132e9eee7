"""客户准入评审 (customer_admission), walked end to end.

Seed 003 客户管理制度: 6.1 (a customer is reviewed against the review standard before the first
transaction), 6.2 (the information collected), 5.2c (background check by the salesperson), 2.1 (only
customers that meet the admission conditions are graded A/B/C/D), 3.5b (a blacklisted customer comes back
only through re-admission).
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from procedures.customer.admission import CustomerAdmission
from procedures.customer.records import Customer, CustomerGradeHistory, import_customers
from tests.conftest import WORKFLOWS, rows


@pytest.fixture
def admission(engine):
    engine.deploy_paths([WORKFLOWS / "grade_rules.dmn", WORKFLOWS / "customer_admission.bpmn"], "luoming")
    return engine


def apply(engine, user="sunli", **fields):
    data = {"customer_name": "龙岩纺织有限公司", "region": "龙岩", "contact_person": "采购部 林经理",
            "contact_phone": "0597-2233445", "company_profile": "成立于2012年，员工300人，主营牛仔面料",
            "operations": "近三年营业额稳定增长", "background_check": "营业执照与银行资信证明已核实",
            "annual_volume": 1_500_000, "payment_record": "on_time", "default_record": "none",
            "proposed_grade": "B", "reason": "拟采购我司弹力纱，年需求稳定"}
    data.update(fields)
    return engine.start("customer_admission", user, {k: v for k, v in data.items() if v is not None})


def review_task(engine, instance_id):
    [found] = [t for t in engine.open_tasks(instance_id) if t.bpmn_id == "review"]
    return found


def notices(engine, instance_id):
    return [e.data for e in engine.audit_trail(instance_id) if e.kind == "notified"]


def test_admitted_customer_enters_the_register_with_its_initial_grade_and_region(admission):
    """6.1: reviewed before the first transaction; 2.1: the admitted customer is graded."""
    inst = apply(admission)
    task = review_task(admission, inst.id)
    assert task.lane == "sales_manager" and task.candidate_groups == ("sales_manager",)
    assert admission.data(inst.id)["suggested_grade"] == "B"  # the grade rules (2.3) suggest
    done = admission.complete(task.id, "wujun", {"decision": "admit", "grade": "C", "comment": "先按C类合作一年"})
    assert done.status == "completed" and done.outcome == "approved"
    [customer] = rows(admission, select(Customer).where(Customer.name == "龙岩纺织有限公司"))
    assert (customer.grade, customer.region, customer.blacklisted) == ("C", "龙岩", False)
    [history] = rows(admission, select(CustomerGradeHistory).where(CustomerGradeHistory.customer_id == customer.id))
    assert (history.kind, history.from_grade, history.to_grade, history.approvers, history.instance_id) == \
        ("admission", None, "C", ["wujun"], inst.id)
    [review] = rows(admission, select(CustomerAdmission))
    assert (review.outcome, review.grade, review.customer_id, review.reason) == ("admitted", "C", customer.id,
                                                                                 "先按C类合作一年")
    # 6.2: the information collected is kept with the review
    assert review.profile["company_profile"].startswith("成立于2012年") and review.profile["applied_by"] == "sunli"
    assert notices(admission, inst.id)[-1]["to"] == "sunli"
    assert "C类" in notices(admission, inst.id)[-1]["subject"]


def test_refused_customer_stays_out_of_the_register_and_the_applicant_reads_why(admission):
    inst = apply(admission, customer_name="来历不明贸易行", default_record="some", payment_record="late")
    done = admission.complete(review_task(admission, inst.id).id, "wujun",
                              {"decision": "refuse", "comment": "资信证明无法核实"})
    assert done.outcome == "rejected"
    assert rows(admission, select(Customer).where(Customer.name == "来历不明贸易行")) == []
    [review] = rows(admission, select(CustomerAdmission))
    assert (review.outcome, review.grade, review.customer_id, review.reason) == ("refused", None, None, "资信证明无法核实")
    assert notices(admission, inst.id)[-1] == {**notices(admission, inst.id)[-1], "to": "sunli",
                                                "subject": "客户不予准入：来历不明贸易行", "body": "理由：资信证明无法核实"}


def test_a_customer_registered_without_grade_elsewhere_is_reviewed_and_graded(admission):
    """Another procedure registered the name without a grade (e.g. a grade proposal); 6.1 still applies."""
    import_customers(admission, [("三明化纤厂", None)])
    inst = apply(admission, customer_name="三明化纤厂")
    admission.complete(review_task(admission, inst.id).id, "wujun", {"decision": "admit", "grade": "B"})
    [customer] = rows(admission, select(Customer).where(Customer.name == "三明化纤厂"))
    assert customer.grade == "B"


@pytest.mark.parametrize("grade, status, words", [("A", "admitted", "无需准入评审"), (None, "blacklisted", "3.5b")])
def test_graded_or_blacklisted_customers_are_not_reviewed_again(admission, grade, status, words):
    """An admitted customer changes grade through grade_change (2, 3); a listed one through re-admission (3.5b)."""
    import_customers(admission, [("漳州织造厂", grade)])
    if status == "blacklisted":
        with admission.session() as s:
            s.execute(Customer.__table__.update().values(blacklisted=True))
            s.commit()
    inst = apply(admission, customer_name="漳州织造厂")
    after = admission.instance(inst.id)
    assert after.status == "completed" and after.outcome == "not_applicable"
    assert admission.data(inst.id)["register"]["status"] == status
    assert words in notices(admission, inst.id)[-1]["body"]
    assert rows(admission, select(CustomerAdmission)) == []


def test_refusal_needs_a_reason_and_admission_needs_a_grade(admission):
    from engine.errors import FormInvalid
    inst = apply(admission)
    task = review_task(admission, inst.id)
    with pytest.raises(FormInvalid) as refused:
        admission.complete(task.id, "wujun", {"decision": "refuse"})
    assert [e.field for e in refused.value.errors] == ["comment"]
    with pytest.raises(FormInvalid) as ungraded:
        admission.complete(task.id, "wujun", {"decision": "admit"})
    assert [e.field for e in ungraded.value.errors] == ["grade"]
    assert review_task(admission, inst.id).status == "open"  # nothing lost


def test_only_sales_apply_and_only_the_head_reviews(admission):
    from engine.errors import NotAllowed
    with pytest.raises(NotAllowed):
        apply(admission, user="liuyang")  # customer service staff: not the market department
    inst = apply(admission)
    with pytest.raises(NotAllowed):
        admission.complete(review_task(admission, inst.id).id, "zhoujie", {"decision": "admit", "grade": "B"})
