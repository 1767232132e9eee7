"""Paper and pickers for the company's procedures (issue 13, items 9 and 10): the documents the seeds name
exist once their request reaches that point, and customer fields pick from the customer register."""
from __future__ import annotations

import pytest

from engine import Conflict, EngineError, NotAllowed, NotFound
from procedures.customer.records import blacklist_customer, import_customers
from tests.conftest import WORKFLOWS
from tests.scenarios.test_complaint_handling import registration
from tests.scenarios.test_contract_review import start_review
from tests.scenarios.test_grade_change import propose
from tests.scenarios.test_tour_approval import application, approve_key


@pytest.fixture
def eng(engine):
    engine.deploy_paths([WORKFLOWS / name for name in ("tour_approval.bpmn", "complaint_handling.bpmn",
                                                       "contract_review.bpmn", "grade_rules.dmn",
                                                       "grade_change.bpmn")], "luoming")
    return engine


def register(engine, *customers):
    import_customers(engine, list(customers))


def blacklist(engine, name: str) -> None:
    [found] = engine.lookup("customer", "liuyang", name)
    engine.run_verb("blacklist_for_test", "system", lambda ctx: blacklist_customer(
        ctx, int(found.details["code"][3:]), "恶意拖欠货款", months=6))


# ------------------------------------------------------------------ the customer register as a lookup
def test_customers_are_found_by_part_of_the_name_or_by_code_with_grade_and_blacklist(eng, clock):
    register(eng, ("福州纺织集团", "A"), ("泉州服饰有限公司", "B"), ("宁德布业有限公司", "B"), ("新客户乙", None))
    blacklist(eng, "宁德布业")
    found = eng.lookup("customer", "liuyang", "州")
    assert [i.label for i in found] == ["泉州服饰有限公司", "福州纺织集团"]
    assert [i.summary for i in found] == ["KH-0002 · B 类客户", "KH-0001 · A 类客户"]
    assert all(i.value == i.label and not i.warning for i in found)

    [listed] = eng.lookup("customer", "zhangwei", "kh-0003")  # the code, in any case
    assert listed.value == "宁德布业有限公司" and listed.details["blacklisted"] is True
    assert listed.warning.startswith("销售客户黑名单（至 2027-05-2") and listed.details["grade"] is None
    assert [i.value for i in eng.lookup("customer", "sunli", "3")] == ["宁德布业有限公司"]  # a bare number too
    assert eng.lookup("customer", "sunli", "乙")[0].summary == "KH-0004 · 未定级"
    assert eng.lookup("customer", "sunli", "不存在的公司") == []
    assert len(eng.lookup("customer", "sunli", "", limit=2)) == 2  # nothing typed: the first entries
    assert eng.lookup("customer", "huangyan", "福州")[0].value == "福州纺织集团"  # auditors may look
    clock.advance(days=200)  # the entry has run its time: still out until re-admission is approved
    assert eng.lookup("customer", "liuyang", "宁德")[0].warning.startswith("销售客户黑名单（已于 2027-05-2")


def test_a_search_that_cannot_be_answered_says_why(eng):
    with pytest.raises(NotFound) as unknown:
        eng.lookup("supplier", "liuyang", "福州")
    assert unknown.value.reason == "unknown_lookup"
    with pytest.raises(EngineError) as long:
        eng.lookup("customer", "liuyang", "福" * 101)
    assert long.value.reason == "lookup_text"
    with pytest.raises(EngineError) as many:
        eng.lookup("customer", "liuyang", "福", limit=51)
    assert many.value.reason == "lookup_limit"
    with pytest.raises(NotFound):
        eng.lookup("customer", "nobody", "福")
    assert eng.lookup("customer", "liuyang", "100%_") == []  # wildcards are text, not patterns


def test_a_new_customer_is_registered_from_the_picker_by_those_who_deal_with_customers(eng):
    assert eng.may_register("customer", "liuyang") and eng.may_register("customer", "sunli")
    assert not eng.may_register("customer", "fenggang") and not eng.may_register("customer", "huangyan")
    item = eng.register_lookup("customer", "liuyang", "  厦门新面料  有限公司 ")
    assert item.value == "厦门新面料 有限公司" and item.summary.endswith("未定级") and not item.warning
    # a new engine (a restart, another worker) finds it in the register, and the system chain recorded it
    assert [i.value for i in eng.lookup("customer", "sunli", "新面料")] == ["厦门新面料 有限公司"]
    [event] = [e for e in eng.search_audit(kind="verb") if e.data.get("verb") == "register_lookup"]
    assert event.actor == "liuyang" and event.data["label"] == "厦门新面料 有限公司"
    again = eng.register_lookup("customer", "sunli", "厦门新面料 有限公司")
    assert again.details["code"] == item.details["code"]  # already there: the same customer, not a second

    for user, reason in (("fenggang", "not_registrar"), ("huangyan", "auditor")):
        with pytest.raises(NotAllowed) as refused:
            eng.register_lookup("customer", user, "生产部登记的客户")
        assert refused.value.reason == reason
    with pytest.raises(EngineError) as empty:
        eng.register_lookup("customer", "liuyang", "   ")
    assert empty.value.reason == "lookup_label"
    assert eng.lookup("customer", "liuyang", "生产部") == []  # nothing refused was kept


def test_a_name_typed_outside_the_register_is_still_accepted_as_a_new_customer(eng, clock):
    inst = eng.start("tour_approval", "liuyang", application(clock, "key", customer="从未登记的公司"))
    assert eng.data(inst.id)["customer"] == "从未登记的公司" and inst.status == "running"
    assert eng.lookup("customer", "liuyang", "从未登记") == []  # registering it is a choice made in the picker


# ------------------------------------------------------------------ documents the seeds name
def test_the_tour_permit_and_notice_exist_once_the_tour_is_approved(eng, clock):
    inst = eng.start("tour_approval", "liuyang", application(clock, "key"))
    early = {d.name: d for d in eng.documents(inst.id, "liuyang")}
    assert sorted(early) == ["tour_notice", "tour_permit"]
    assert not early["tour_permit"].ready
    assert early["tour_permit"].pending["zh_CN"] == "参观申请获批并编出许可编号后才有此单据。"
    assert early["tour_permit"].titles["zh_CN"] == "客户参观许可证"
    with pytest.raises(Conflict) as not_yet:
        eng.document(inst.id, "tour_permit", "liuyang")
    assert not_yet.value.reason == "document_not_ready"

    approve_key(eng, inst)
    ready = {d.name: d for d in eng.documents(inst.id, "liuyang")}
    assert ready["tour_permit"].ready and ready["tour_notice"].ready and not ready["tour_permit"].pending
    sheet = eng.document(inst.id, "tour_permit", "liuyang")
    assert sheet.data["permit"]["permit_no"].startswith("CG-2026-") and sheet.template.name == "permit.html"
    assert eng.document(inst.id, "tour_permit", "wangqiang").view.ready  # the GM approved it: a reader

    with pytest.raises(NotAllowed) as stranger:
        eng.document(inst.id, "tour_permit", "fenggang")
    assert stranger.value.reason == "not_reader"
    with pytest.raises(NotAllowed):
        eng.documents(inst.id, "fenggang")
    with pytest.raises(NotFound) as other:
        eng.document(inst.id, "contract_review_sheet", "liuyang")
    assert other.value.reason == "unknown_document"


def test_only_a_complaint_gets_a_handling_sheet_not_a_query(eng, clock):
    query = eng.start("complaint_handling", "liuyang", registration(clock, "query", severity=None))
    [sheet] = eng.documents(query.id, "liuyang")
    assert sheet.name == "complaint_sheet" and not sheet.ready and "咨询和查询不填处理单" in sheet.pending["zh_CN"]
    complaint = eng.start("complaint_handling", "liuyang", registration(clock))
    assert eng.document(complaint.id, "complaint_sheet", "liuyang").data["complaint_rec"]["number"].startswith("TS-")


def test_the_contract_review_sheet_and_the_grade_sheet_exist_from_the_application(eng):
    review = start_review(eng, "sunli")
    assert eng.document(review.id, "contract_review_sheet", "sunli").data["contract_no"].startswith("HT-")
    register(eng, ("华盛服饰", "C"))
    change = propose(eng)
    assert eng.document(change.id, "grade_sheet", "sunli").data["current_grade"] == "C"
