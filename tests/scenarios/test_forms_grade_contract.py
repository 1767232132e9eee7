"""Every grade_* and contract_* form refuses bad data through engine.start / engine.complete, per field."""
from __future__ import annotations

import json

import pytest

from engine import FormInvalid
from tests.conftest import FORMS, WORKFLOWS
from tests.scenarios.test_contract_review import CHECKS, MEETING_CHECKS, review_form, start_review
from tests.scenarios.test_grade_change import propose, seed

OWN_FORMS = sorted(p.name for p in FORMS.glob("*.schema.json") if p.name.startswith(("grade_", "contract_", "survey_")))


@pytest.fixture
def eng(engine):
    engine.deploy_paths([WORKFLOWS / "grade_rules.dmn", WORKFLOWS / "grade_change.bpmn"], "luoming")
    engine.deploy_paths([WORKFLOWS / "contract_review.bpmn"], "luoming")
    engine.deploy_paths([WORKFLOWS / "contract_amendment.bpmn"], "luoming")
    return engine


def refused(call, *fields):
    """The call raises FormInvalid naming exactly these fields."""
    with pytest.raises(FormInvalid) as info:
        call()
    assert sorted({e.field for e in info.value.errors}) == sorted(fields), info.value.errors


def open_task(engine, instance_id, bpmn_id):
    [t] = [t for t in engine.open_tasks(instance_id) if t.bpmn_id == bpmn_id]
    return t


def check_task(engine, instance_id, bpmn_id, user, cases, good):
    """Each (data, fields) case is refused and leaves the task open; then `good` completes it."""
    t = open_task(engine, instance_id, bpmn_id)
    for data, fields in cases:
        refused(lambda: engine.complete(t.id, user, data), *fields)
        assert open_task(engine, instance_id, bpmn_id).id == t.id
    return engine.complete(t.id, user, good)


def test_every_own_form_is_used_and_has_chinese_titles():
    used = set()
    for bpmn in ("grade_change", "grade_review_customer", "contract_review", "contract_amendment",
                 "satisfaction_survey"):
        text = (WORKFLOWS / f"{bpmn}.bpmn").read_text(encoding="utf-8")
        used |= {f for f in OWN_FORMS if f'"{f}"' in text}
    assert used == set(OWN_FORMS)
    for name in OWN_FORMS:
        schema = json.loads((FORMS / name).read_text(encoding="utf-8"))
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p["title"]) for p in schema["properties"].values())
        ui = json.loads((FORMS / name.replace(".schema.", ".uischema.")).read_text(encoding="utf-8"))
        assert sorted(ui["ui:order"]) == sorted(schema["properties"])


def test_grade_proposal_form(eng):
    refused(lambda: propose(eng, kind="downgrade", proposed_grade="D", found_at="2026-11-20T09:00:00+08:00"),
            "proposed_grade")
    refused(lambda: propose(eng, kind="downgrade", proposed_grade="B"), "found_at")
    refused(lambda: propose(eng, kind="downgrade", proposed_grade="B", found_at="2026-11-20T09:00:00"), "found_at")
    refused(lambda: propose(eng, kind="upgrade", proposed_grade="B"), "proposed_grade")
    refused(lambda: propose(eng, kind="readmission", proposed_grade="A"), "proposed_grade")
    refused(lambda: propose(eng, proposed_grade=None), "proposed_grade")
    refused(lambda: propose(eng, annual_volume=-1, payment_record="sometimes"), "annual_volume", "payment_record")
    refused(lambda: propose(eng, evidence=None, grade="A"), "evidence", "grade")
    assert eng.instances("grade_change") == []


def test_grade_approval_form(eng):
    inst = propose(eng)
    check_task(eng, inst.id, "approve_grade", "wujun",
               [({"decision": "reject"}, ["comment"]), ({"decision": "maybe"}, ["decision"]), ({}, ["decision"])],
               {"decision": "approve"})


def test_grade_blacklist_verify_and_readmission_review_forms(eng, clock):
    seed(eng, "华盛服饰", "A")
    inst = propose(eng, kind="blacklist", proposed_grade=None)
    check_task(eng, inst.id, "verify_blacklist", "zhaomin", [
        ({"decision": "approve", "verification": "属实"}, ["validity_months"]),
        ({"decision": "approve", "verification": "属实", "validity_months": 7}, ["validity_months"]),
        ({"decision": "approve", "verification": "属实", "validity_months": 3}, ["special_case_reason"]),
        ({"decision": "reject", "verification": "不属实"}, ["comment"]),
    ], {"decision": "approve", "verification": "属实", "validity_months": 1, "special_case_reason": "已部分赔偿"})
    clock.advance(days=32)
    eng.fire_due_timers()
    check_task(eng, inst.id, "review_expiry", "sunli", [
        ({"changed": True, "review_notes": "已整改"}, ["meets_criteria"]),
        ({"changed": "yes", "meets_criteria": True, "review_notes": "已整改"}, ["changed"]),
    ], {"changed": True, "meets_criteria": True, "review_notes": "已整改"})
    assert open_task(eng, inst.id, "approve_readmit_head")


def test_contract_review_form(eng):
    start = lambda **f: start_review(eng, "sunli", **f)  # noqa: E731
    refused(lambda: start(order_channel="oral"), "order_record")
    refused(lambda: start(countersigners=None), "countersigners")
    refused(lambda: start(countersigners=["group:sales"]), "countersigners.0")
    refused(lambda: start(order_channel="fax", contract_kind="big"), "order_channel", "contract_kind")
    refused(lambda: start(delivery_date="2027-13-01", quantity=0), "delivery_date", "quantity")
    refused(lambda: start(contract_no="HT 2026/1"), "contract_no")
    refused(lambda: eng.start("contract_review", "sunli", review_form()), "contract_scan")
    assert eng.instances("contract_review") == []


def test_contract_confirm_form(eng):
    inst = start_review(eng, "sunli", order_channel="phone", order_record="电话订货")
    check_task(eng, inst.id, "confirm_order", "sunli", [
        ({"customer_confirmed": "yes", "confirmation_method": "fax"}, ["confirmation_evidence", "confirmed_at"]),
        ({"customer_confirmed": "no"}, ["comment"]),
    ], {"customer_confirmed": "yes", "confirmation_method": "fax", "confirmation_evidence": "传真回签",
        "confirmed_at": "2026-11-23T15:00:00+08:00"})


def test_contract_countersign_revise_and_sign_forms(eng):
    inst = start_review(eng, "sunli", countersigners=["group:production"])
    check_task(eng, inst.id, "countersign", "fenggang", [
        ({"decision": "approve", **CHECKS, "can_meet": False}, ["can_meet"]),
        ({"decision": "reject", **CHECKS}, ["comment"]),
        ({"decision": "approve"}, sorted(CHECKS)),
    ], {"decision": "reject", **CHECKS, "comment": "交期过紧"})
    check_task(eng, inst.id, "revise", "sunli", [
        ({"action": "revise"}, ["revision_note"]),
        ({"action": "withdraw"}, ["comment"]),
        ({"action": "revise", "revision_note": "改交期", "delivery_date": "soon"}, ["delivery_date"]),
    ], {"action": "revise", "revision_note": "交期延后两周", "delivery_date": "2027-01-29"})
    eng.complete(open_task(eng, inst.id, "countersign").id, "fenggang", {"decision": "approve", **CHECKS})
    check_task(eng, inst.id, "sign_contract", "sunli", [
        ({"signed_on": "2026-11-25", "dispatch_to": []}, ["dispatch_to"]),
        ({"dispatch_to": ["group:production"]}, ["signed_on"]),
    ], {"signed_on": "2026-11-25", "dispatch_to": ["group:production"]})


def test_contract_meeting_form(eng):
    inst = start_review(eng, "sunli", contract_kind="special", countersigners=None)
    base = {"decision": "approve", "meeting_date": "2026-11-24", "attendees": "业务部、生产部", **MEETING_CHECKS}
    check_task(eng, inst.id, "review_meeting", "wujun", [
        (base, ["minutes"]),
        ({**base, "minutes": "同意", "implied_needs": False}, ["implied_needs"]),
    ], {**base, "minutes": "一致同意"})


def test_contract_stock_forms(eng):
    inst = start_review(eng, "sunli", contract_kind="stock", countersigners=None)
    check_task(eng, inst.id, "sign_note_sales", "sunli", [
        ({"delivery_note_number": "CK-1", "signed": False}, ["signed"]),
        ({"delivery_note_number": "出库单1", "signed": True}, ["delivery_note_number"]),
    ], {"delivery_note_number": "CK-2026-001", "signed": True})
    check_task(eng, inst.id, "sign_note_warehouse", "linhai", [({"decision": "reject"}, ["comment"])],
               {"decision": "approve"})
    check_task(eng, inst.id, "approve_stock", "wujun", [({"decision": "ok"}, ["decision"])], {"decision": "approve"})
    check_task(eng, inst.id, "sign_stock", "sunli", [({"signed_on": "2026-11-24"}, ["shipping_note"])],
               {"signed_on": "2026-11-24", "shipping_note": "次日发货"})
    assert eng.instance(inst.id).status == "completed"


def test_contract_amendment_forms(eng):
    from tests.scenarios.test_contract_review import effective_routine
    effective_routine(eng)
    start = lambda **f: eng.start("contract_amendment", "zhoujie", {  # noqa: E731
        "contract_no": "HT-2026-0001", "requested_by": "customer", "change": "增加数量", "reason": "追加", **f})
    refused(lambda: start(change=""), "change")
    refused(lambda: start(requested_by="bank", new_quantity=-5), "requested_by", "new_quantity")
    inst = start(new_quantity=5500)
    check_task(eng, inst.id, "sign_company", "wujun", [({"decision": "approve"}, ["signed_on"]),
                                                       ({"decision": "reject"}, ["comment"])],
               {"decision": "approve", "signed_on": "2026-11-26"})
    check_task(eng, inst.id, "sign_customer", "zhoujie", [
        ({"customer_signed": "yes"}, ["customer_signatory", "customer_signed_on"]),
        ({"customer_signed": "no"}, ["comment"]),
    ], {"customer_signed": "yes", "customer_signatory": "王经理", "customer_signed_on": "2026-11-27"})
    assert sorted(t.bpmn_id for t in eng.open_tasks(inst.id)) == ["countersign", "countersign"]
