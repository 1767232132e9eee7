"""合同评审与合同修改 (contract_review, contract_amendment calling it), walked end to end.

Seed: 001 与顾客有关的管理控制程序 3.2-3.5 (review before signing, 3.3.4 checklist, oral/phone orders
confirmed first, countersign / meeting / stock review, production order on effect, amendment re-reviewed
by the same procedure).
"""
from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import select

from engine import FormInvalid

from procedures.contract.records import Contract, ProductionOrder
from procedures.contract.amendment import ContractAmendment
from engine import FormInvalid, NotAllowed
from tests.conftest import WORKFLOWS, rows
from tests.files import pdf

CHECKS = dict.fromkeys(["req_in_contract", "quality_terms_match", "legal_requirements", "capability_and_risk",
                        "implied_needs", "differences_settled", "can_meet"], True)
MEETING_CHECKS = {**CHECKS, "qualified_reviewers": True}
MEMBER = {"production": "fenggang", "technical": "hetao", "quality": "xuhui", "finance": "gaofeng"}
SIGN = {"signed_on": "2026-11-25", "dispatch_to": ["group:production", "group:technical"]}


@pytest.fixture
def contracts(engine):
    engine.deploy_paths([WORKFLOWS / "contract_review.bpmn"], "luoming")
    engine.deploy_paths([WORKFLOWS / "contract_amendment.bpmn"], "luoming")
    return engine


def review_form(**fields):
    data = {"customer": "华盛服饰", "products": "真丝领带 TX-01", "quantity": 5000, "unit": "条", "price": 250000,
            "delivery_date": "2027-01-15", "quality_requirements": "符合 FZ/T 82002", "acceptance_method": "抽检 AQL 2.5",
            "warranty_terms": "质保一年", "order_channel": "written", "contract_kind": "routine",
            "countersigners": ["group:production", "group:finance"]}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def start_review(engine, user, **fields):
    """Start a review as the salesperson does: a written order comes with its contract scan (合同扫描件)."""
    data = review_form(**fields)
    if data.get("order_channel") == "written":
        data.setdefault("contract_scan", [engine.stage_attachment("contract_review", user, "合同扫描件.pdf", pdf()).id])
    return engine.start("contract_review", user, data)


def open_ids(engine, instance_id):
    return sorted(t.bpmn_id for t in engine.open_tasks(instance_id))


def do(engine, instance_id, bpmn_id, user, data):
    [t] = [t for t in engine.open_tasks(instance_id) if t.bpmn_id == bpmn_id]
    return engine.complete(t.id, user, data)


def countersign(engine, instance_id, verdicts: dict[str, dict]):
    """Complete the open countersign children: {"production": {...form...}, ...}."""
    result = None
    for group, form in verdicts.items():
        [t] = [t for t in engine.open_tasks(instance_id) if t.bpmn_id == "countersign" and t.candidate_groups == (group,)]
        result = engine.complete(t.id, MEMBER[group], form)
    return result


def contract(engine, number=None) -> Contract:
    stmt = select(Contract) if number is None else select(Contract).where(Contract.number == number)
    [found] = rows(engine, stmt)
    return found


def notices(engine, instance_id):
    return [e.data for e in engine.audit_trail(instance_id) if e.kind == "notified"]


def effective_routine(engine, **fields):
    """A routine contract reviewed (all approve), signed, in effect; returns the instance."""
    inst = start_review(engine, "sunli", **fields)
    countersign(engine, inst.id, {"production": {"decision": "approve", **CHECKS},
                                  "finance": {"decision": "approve", **CHECKS}})
    do(engine, inst.id, "sign_contract", "sunli", SIGN)
    return inst


def test_routine_countersign_all_approve_then_production_order(contracts):
    inst = start_review(contracts, "sunli")
    signs = [t for t in contracts.open_tasks(inst.id) if t.bpmn_id == "countersign"]
    assert sorted(t.candidate_groups for t in signs) == [("finance",), ("production",)]
    assert contracts.tasks("hetao") == [] and contracts.tasks("xuhui") == []  # only the departments picked
    c = contract(contracts)
    assert (c.number, c.status, c.kind, c.channel) == ("HT-2026-0001", "under_review", "routine", "written")
    assert open_ids(contracts, inst.id) == ["countersign", "countersign"]  # 3.3.1: no signing before review
    countersign(contracts, inst.id, {"production": {"decision": "approve", **CHECKS}})
    assert open_ids(contracts, inst.id) == ["countersign"]
    countersign(contracts, inst.id, {"finance": {"decision": "approve", **CHECKS}})
    assert [(v["signer"], v["decision"], v["by"]) for v in contracts.data(inst.id)["votes"]] == \
        [("group:production", "approve", "fenggang"), ("group:finance", "approve", "gaofeng")]
    c = contract(contracts)
    assert (c.status, c.review_outcome, c.terms["price"]) == ("reviewed", "passed", 250000)
    assert open_ids(contracts, inst.id) == ["sign_contract"]
    done = do(contracts, inst.id, "sign_contract", "sunli", SIGN)
    assert done.status == "completed"
    c = contract(contracts)
    assert (c.status, str(c.signed_on)) == ("effective", "2026-11-25")
    [order] = rows(contracts, select(ProductionOrder))
    assert (order.number, order.contract_id, order.departments, order.issued_by) == \
        ("SC-2026-0001", c.id, ["group:production", "group:technical"], "sunli")
    sent = notices(contracts, inst.id)
    assert {n["to"] for n in sent} == {"group:production", "group:technical"}
    assert all("SC-2026-0001" in n["subject"] and "工艺单" in n["subject"] for n in sent)


def test_a_written_contract_goes_to_countersign_only_with_its_scan(contracts):
    """书面订货: the contract scan is required before the departments countersign; oral and phone orders
    have no document yet (their record and the customer's confirmation stand for it)."""
    with pytest.raises(FormInvalid) as missing:
        contracts.start("contract_review", "sunli", review_form())
    assert [(e.field, e.code) for e in missing.value.errors] == [("contract_scan", "required")]
    with pytest.raises(FormInvalid) as empty:
        contracts.start("contract_review", "sunli", review_form(contract_scan=[]))
    assert [(e.field, e.code) for e in empty.value.errors] == [("contract_scan", "minItems")]
    assert contracts.instances("contract_review") == []
    inst = start_review(contracts, "sunli", countersigners=["group:production"])
    [scan] = contracts.attachments(inst.id, "sunli")
    assert (scan.filename, scan.media_type, scan.field) == ("合同扫描件.pdf", "application/pdf", "contract_scan")
    [sign] = [t for t in contracts.open_tasks(inst.id) if t.bpmn_id == "countersign"]
    assert contracts.attachment_file(scan.id, "fenggang")[1] == pdf()  # the countersigner reads the scan
    with pytest.raises(NotAllowed):
        contracts.attachment_file(scan.id, "linhai")  # the warehouse has no part in this routine contract
    assert sign.candidate_groups == ("production",)


def test_the_request_says_whether_the_customer_passed_the_admission_review(contracts):
    """003 6.1: a new customer is reviewed before the first transaction; the contract review says so."""
    from procedures.customer.records import import_customers
    new = start_review(contracts, "sunli", customer="未登记客户")
    assert contracts.data(new.id)["registration"]["customer_admission"].startswith("未经客户准入评审")
    import_customers(contracts, [("福州纺织集团", "A")])
    known = start_review(contracts, "sunli", customer="福州纺织集团")
    assert contracts.data(known.id)["registration"]["customer_admission"] == "已准入（A类）"


def test_one_veto_returns_to_salesperson_who_revises_for_a_new_round(contracts):
    inst = start_review(contracts, "sunli", countersigners=[
        "group:production", "group:finance", "group:quality"])
    countersign(contracts, inst.id, {"production": {"decision": "approve", **CHECKS}})
    countersign(contracts, inst.id, {"finance": {"decision": "reject", **CHECKS, "comment": "付款条件不明确"}})
    assert open_ids(contracts, inst.id) == ["revise"]  # the quality child was cancelled by the veto
    assert contracts.tasks("xuhui") == []
    # the returned contract goes back to the salesperson who applied, not to the whole sales group
    [revise] = [t for t in contracts.open_tasks(inst.id) if t.bpmn_id == "revise"]
    assert (revise.candidate_users, revise.candidate_groups) == (("sunli",), ())
    assert contracts.tasks("zhoujie") == []
    assert contracts.data(inst.id)["review_feedback"] == "财务部：付款条件不明确"
    do(contracts, inst.id, "revise", "sunli", {"action": "revise", "revision_note": "补充预付30%条款", "price": 260000,
                                               "countersigners": ["group:production", "group:finance"]})
    assert open_ids(contracts, inst.id) == ["countersign", "countersign"]
    assert contracts.data(inst.id)["review_round"] == 2
    countersign(contracts, inst.id, {"production": {"decision": "approve", **CHECKS},
                                     "finance": {"decision": "approve", **CHECKS}})
    c = contract(contracts)
    assert (c.status, c.review_outcome, c.terms["price"]) == ("reviewed", "passed", 260000)
    do(contracts, inst.id, "sign_contract", "sunli", SIGN)
    assert contract(contracts).status == "effective"


def test_salesperson_may_withdraw_after_a_veto(contracts):
    inst = start_review(contracts, "sunli", countersigners=["group:technical"])
    countersign(contracts, inst.id, {"technical": {"decision": "reject", **CHECKS, "can_meet": False,
                                                   "comment": "现有设备达不到精度"}})
    done = do(contracts, inst.id, "revise", "sunli", {"action": "withdraw", "comment": "客户不接受修改"})
    assert done.status == "completed"
    c = contract(contracts)
    assert (c.status, c.review_outcome) == ("withdrawn", "withdrawn")
    assert rows(contracts, select(ProductionOrder)) == []


def test_special_contract_meeting_review(contracts):
    inst = start_review(contracts, "zhoujie", contract_kind="special", countersigners=None,
                                                                     special_requirements="定制花型，需打样确认")
    assert open_ids(contracts, inst.id) == ["review_meeting"]
    assert [t.bpmn_id for t in contracts.tasks("wujun")] == ["review_meeting"]
    meeting = {"decision": "approve", "meeting_date": "2026-11-24", "attendees": "业务部、生产部、技术部、品管部",
               "minutes": "确认打样周期10天，交货期可满足", **MEETING_CHECKS}
    do(contracts, inst.id, "review_meeting", "wujun", meeting)
    data = contracts.data(inst.id)
    assert (data["attendees"], data["minutes"], data["meeting_date"]) == \
        (meeting["attendees"], meeting["minutes"], "2026-11-24")
    assert contract(contracts).review_outcome == "passed"
    do(contracts, inst.id, "sign_contract", "zhoujie", SIGN)
    assert len(rows(contracts, select(ProductionOrder))) == 1


def test_stock_contract_signed_by_sales_and_warehouse_approved_by_head(contracts):
    inst = start_review(contracts, "sunli", contract_kind="stock", countersigners=None)
    assert open_ids(contracts, inst.id) == ["sign_note_sales"]
    do(contracts, inst.id, "sign_note_sales", "sunli", {"delivery_note_number": "CK-2026-118", "signed": True})
    assert [t.bpmn_id for t in contracts.tasks("linhai")] == ["sign_note_warehouse"]
    do(contracts, inst.id, "sign_note_warehouse", "linhai", {"decision": "approve"})
    assert contract(contracts).status == "under_review"
    do(contracts, inst.id, "approve_stock", "wujun", {"decision": "approve"})
    c = contract(contracts)
    assert (c.status, c.review_outcome) == ("reviewed", "passed")  # 3.3.7: the head's approval completes it
    done = do(contracts, inst.id, "sign_stock", "sunli", {"signed_on": "2026-11-24", "shipping_note": "11月26日发货"})
    assert done.status == "completed" and contract(contracts).status == "effective"
    assert rows(contracts, select(ProductionOrder)) == []  # shipped from stock, nothing to produce


def test_oral_order_blocked_until_the_customer_confirms(contracts):
    inst = start_review(contracts, "sunli", order_channel="oral",
                                                                   order_record="11月20日客户来访口头订货5000条")
    assert open_ids(contracts, inst.id) == ["confirm_order"]
    assert contracts.tasks("fenggang") == [] and contracts.tasks("gaofeng") == []
    do(contracts, inst.id, "confirm_order", "sunli", {
        "customer_confirmed": "yes", "confirmation_method": "signed_copy", "confirmation_evidence": "回签件 HQ-1120",
        "confirmed_at": "2026-11-23T15:00:00+08:00"})
    assert open_ids(contracts, inst.id) == ["countersign", "countersign"]


def test_unconfirmed_phone_order_is_withdrawn(contracts):
    inst = start_review(contracts, "sunli", order_channel="phone", order_record="电话订货")
    done = do(contracts, inst.id, "confirm_order", "sunli", {"customer_confirmed": "no", "comment": "客户不予确认"})
    assert done.status == "completed"
    c = contract(contracts)
    assert (c.status, c.review_outcome) == ("withdrawn", "not_confirmed")


def test_numbers_are_sequential_and_a_taken_number_is_refused(contracts):
    effective_routine(contracts)
    effective_routine(contracts, contract_no="HT-2026-0002")  # typed by hand: the counter skips it
    effective_routine(contracts)
    assert [c.number for c in rows(contracts, select(Contract).order_by(Contract.id))] == \
        ["HT-2026-0001", "HT-2026-0002", "HT-2026-0003"]
    assert [o.number for o in rows(contracts, select(ProductionOrder).order_by(ProductionOrder.id))] == \
        ["SC-2026-0001", "SC-2026-0002", "SC-2026-0003"]
    dup = start_review(contracts, "sunli", contract_no="HT-2026-0002")
    assert contracts.instance(dup.id).status == "completed" and contracts.open_tasks(dup.id) == []
    assert "已存在" in notices(contracts, dup.id)[-1]["body"]
    assert len(rows(contracts, select(Contract))) == 3


def test_amendment_diagram_calls_the_review_instead_of_copying_it():
    root = etree.parse(str(WORKFLOWS / "contract_amendment.bpmn"))
    calls = root.xpath('//*[local-name()="callActivity"]/@calledElement')
    assert calls == ["contract_review"]
    assert root.xpath('//*[local-name()="userTask" and @id="countersign"]') == []


def amend(contracts, number, user="zhoujie", **fields):
    data = {"contract_no": number, "requested_by": "customer", "change": "数量由5000条增至6000条，交货期顺延",
            "reason": "客户追加订单", "new_quantity": 6000, "new_delivery_date": "2027-02-01"}
    data.update(fields)
    return contracts.start("contract_amendment", user, {k: v for k, v in data.items() if v is not None})


def sign_both(contracts, inst_id):
    do(contracts, inst_id, "sign_company", "wujun", {"decision": "approve", "signed_on": "2026-11-26"})
    do(contracts, inst_id, "sign_customer", "zhoujie", {"customer_signed": "yes", "customer_signatory": "王经理",
                                                        "customer_signed_on": "2026-11-27"})


def test_amendment_signed_by_both_parties_and_re_reviewed_by_the_same_review(contracts):
    effective_routine(contracts)
    inst = amend(contracts, "HT-2026-0001")
    assert open_ids(contracts, inst.id) == ["sign_company"]
    sign_both(contracts, inst.id)
    # the called contract_review runs inside the amendment instance: same countersign, same departments
    signs = [t for t in contracts.open_tasks(inst.id) if t.bpmn_id == "countersign"]
    assert sorted(t.candidate_groups for t in signs) == [("finance",), ("production",)]
    assert contracts.data(inst.id)["quantity"] == 6000
    assert contract(contracts).terms["quantity"] == 5000  # unchanged until the re-review passes
    countersign(contracts, inst.id, {"production": {"decision": "approve", **CHECKS},
                                     "finance": {"decision": "approve", **CHECKS}})
    assert contracts.instance(inst.id).status == "completed"
    c = contract(contracts)
    assert (c.status, c.terms["quantity"], c.terms["delivery_date"]) == ("effective", 6000, "2027-02-01")
    [a] = rows(contracts, select(ContractAmendment))
    assert (a.contract_id, a.outcome, a.company_signer, str(a.company_signed_on), a.customer_signatory,
            str(a.customer_signed_on), a.changes) == \
        (c.id, "passed", "wujun", "2026-11-26", "王经理", "2026-11-27", {"quantity": 6000, "delivery_date": "2027-02-01"})
    assert len(rows(contracts, select(Contract))) == 1 and len(rows(contracts, select(ProductionOrder))) == 1
    assert any(e.kind == "step_completed" and e.bpmn_id == "rereview" for e in contracts.audit_trail(inst.id))
    assert notices(contracts, inst.id)[-1]["to"] == "group:production"


def test_amendment_refused_by_the_customer_changes_nothing(contracts):
    effective_routine(contracts)
    inst = amend(contracts, "HT-2026-0001", requested_by="company")
    do(contracts, inst.id, "sign_company", "wujun", {"decision": "approve", "signed_on": "2026-11-26"})
    done = do(contracts, inst.id, "sign_customer", "zhoujie", {"customer_signed": "no", "comment": "客户不同意顺延"})
    assert done.status == "completed"
    [a] = rows(contracts, select(ContractAmendment))
    assert (a.outcome, a.company_signer, a.customer_signed_on) == ("refused", "wujun", None)
    assert contract(contracts).terms["quantity"] == 5000


def test_amendment_vetoed_in_re_review_and_withdrawn_keeps_the_contract(contracts):
    effective_routine(contracts)
    inst = amend(contracts, "HT-2026-0001")
    sign_both(contracts, inst.id)
    countersign(contracts, inst.id, {"production": {"decision": "reject", **CHECKS, "capability_and_risk": False,
                                                    "comment": "产能已排满"}})
    done = do(contracts, inst.id, "revise", "zhoujie", {"action": "withdraw", "comment": "修改撤回"})
    assert done.status == "completed"
    [a] = rows(contracts, select(ContractAmendment))
    c = contract(contracts)
    assert (a.outcome, c.status, c.review_outcome, c.terms["quantity"]) == ("withdrawn", "effective", "passed", 5000)


def test_amendment_of_an_unknown_contract_is_not_accepted(contracts):
    inst = amend(contracts, "HT-2099-0001")
    assert contracts.instance(inst.id).status == "completed"
    assert "不存在" in notices(contracts, inst.id)[-1]["body"]
    assert rows(contracts, select(ContractAmendment)) == []


# ------------------------------------------------------------------ 001 3.3.3: who may review; 3.2.1c: laws
QUALIFIED = "会签部门须包括生产部或技术部：参加评审的人员应是负责或从事生产、技术的管理人员（001 与顾客有关的管理控制程序 3.3.3）"


def refusal(call) -> dict[str, str]:
    """The call is refused by the form; returns {field: message}."""
    with pytest.raises(FormInvalid) as info:
        call()
    return {e.field: e.message for e in info.value.errors}


@pytest.mark.parametrize("signers", [["group:finance"], ["group:quality", "group:finance"]])
def test_countersign_without_production_or_technical_is_refused_in_words(contracts, signers):
    """001 3.3.3: reviewers are production or technical managers; finance or quality alone do not qualify."""
    assert refusal(lambda: start_review(contracts, "sunli", countersigners=signers)) == {"countersigners": QUALIFIED}
    assert contracts.instances("contract_review") == [] and rows(contracts, select(Contract)) == []


@pytest.mark.parametrize("signers", [["group:technical"], ["group:technical", "group:finance"],
                                     ["group:production", "group:quality"]])
def test_production_or_technical_with_others_may_countersign(contracts, signers):
    """001 3.3.3 with 3.3.6: production or technical reviews; quality and finance may join them."""
    inst = start_review(contracts, "sunli", countersigners=signers)
    signs = [t for t in contracts.open_tasks(inst.id) if t.bpmn_id == "countersign"]
    assert sorted(t.candidate_groups[0] for t in signs) == sorted(s.split(":")[1] for s in signers)


def test_revision_may_not_drop_the_qualified_reviewers(contracts):
    """001 3.3.3: a revised contract is reviewed again by production or technical, never finance alone."""
    inst = start_review(contracts, "sunli")
    countersign(contracts, inst.id, {"finance": {"decision": "reject", **CHECKS, "comment": "付款条件不明确"}})
    [revise] = [t for t in contracts.open_tasks(inst.id) if t.bpmn_id == "revise"]
    form = {"action": "revise", "revision_note": "只请财务复核", "countersigners": ["group:finance"]}
    assert refusal(lambda: contracts.complete(revise.id, "sunli", form)) == {"countersigners": QUALIFIED}
    assert open_ids(contracts, inst.id) == ["revise"] and contracts.data(inst.id)["review_round"] == 1


def test_an_amendment_of_a_contract_once_signed_by_finance_alone_goes_back_to_pick_reviewers(contracts):
    """001 3.3.3 and 3.5.1: the re-review of a contract whose departments no longer qualify does not
    start; the salesperson is told why and picks production or technical."""
    effective_routine(contracts)
    with contracts.session() as s:
        c = s.scalars(select(Contract)).one()
        c.terms = {**c.terms, "countersigners": ["group:finance"]}
        s.commit()
    inst = amend(contracts, "HT-2026-0001")
    sign_both(contracts, inst.id)
    assert open_ids(contracts, inst.id) == ["revise"]
    [revise] = [t for t in contracts.open_tasks(inst.id) if t.bpmn_id == "revise"]
    assert "会签部门须包括生产部或技术部" in contracts.task_data(revise.id)["review_feedback"]
    assert "{{ review_feedback }}" in contracts.task_screen(revise.id, "zhoujie").documentation
    do(contracts, inst.id, "revise", "zhoujie", {"action": "revise", "revision_note": "增加技术部会签",
                                                 "countersigners": ["group:technical", "group:finance"]})
    signs = [t for t in contracts.open_tasks(inst.id) if t.bpmn_id == "countersign"]
    assert sorted(t.candidate_groups for t in signs) == [("finance",), ("technical",)]


def test_legal_requirements_are_on_the_countersign_checklist(contracts):
    """001 3.2.1c with 3.3.4: approving needs the product's legal and regulatory requirements ticked."""
    inst = start_review(contracts, "sunli", countersigners=["group:production"])
    [sign] = [t for t in contracts.open_tasks(inst.id) if t.bpmn_id == "countersign"]
    assert "法律法规" in contracts.task_screen(sign.id, "fenggang").documentation
    unticked = {"decision": "approve", **CHECKS, "legal_requirements": False}
    assert set(refusal(lambda: contracts.complete(sign.id, "fenggang", unticked))) == {"legal_requirements"}
    missing = {k: v for k, v in CHECKS.items() if k != "legal_requirements"}
    assert set(refusal(lambda: contracts.complete(sign.id, "fenggang", {"decision": "approve", **missing}))) == \
        {"legal_requirements"}
    # a department that finds a legal requirement missing rejects with its reason
    countersign(contracts, inst.id, {"production": {"decision": "reject", **CHECKS, "legal_requirements": False,
                                                    "comment": "缺少 GB 18401 安全技术类别"}})
    assert contracts.data(inst.id)["review_feedback"] == "生产部：缺少 GB 18401 安全技术类别"


def test_review_meeting_needs_qualified_reviewers_and_legal_requirements(contracts):
    """001 3.3.3 and 3.2.1c for the meeting review of a special contract (3.3.6)."""
    inst = start_review(contracts, "zhoujie", contract_kind="special", countersigners=None)
    [meeting] = [t for t in contracts.open_tasks(inst.id) if t.bpmn_id == "review_meeting"]
    base = {"decision": "approve", "meeting_date": "2026-11-24", "attendees": "业务部、财务部", "minutes": "同意"}
    for unticked in ("qualified_reviewers", "legal_requirements"):
        form = {**base, **MEETING_CHECKS, unticked: False}
        assert set(refusal(lambda: contracts.complete(meeting.id, "wujun", form))) == {unticked}
    assert open_ids(contracts, inst.id) == ["review_meeting"]
    do(contracts, inst.id, "review_meeting", "wujun", {**base, **MEETING_CHECKS, "attendees": "业务部、生产部、财务部"})
    assert contract(contracts).review_outcome == "passed"
