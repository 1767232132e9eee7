"""The forms of 客户参观审批 and 客户投诉处理: shape checks, and invalid data refused per field."""
from __future__ import annotations

import json
import re

import pytest
from lxml import etree

from engine import FormInvalid
from tests.conftest import FORMS, WORKFLOWS
from tests.scenarios.test_complaint_handling import INVESTIGATION, registration
from tests.scenarios.test_tour_approval import CS_OK, application, do, open_ids, task_for

BPMN_FILES = ("tour_approval.bpmn", "complaint_handling.bpmn")
SCHEMAS = sorted(p for prefix in ("tour_", "complaint_") for p in FORMS.glob(f"{prefix}*.schema.json"))
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.fixture
def eng(engine):
    engine.deploy_paths([WORKFLOWS / name for name in BPMN_FILES], "luoming")
    return engine


def refused(call, field: str) -> None:
    with pytest.raises(FormInvalid) as info:
        call()
    assert field in info.value.by_field(), info.value.by_field()


# ------------------------------------------------------------------ shape
@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_form_files_follow_the_conventions(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    ui = json.loads(path.with_name(path.name.replace(".schema.json", ".uischema.json")).read_text(encoding="utf-8"))
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["$schema"].endswith("2020-12/schema") and re.search(r"[\u4e00-\u9fff]", schema["title"])
    assert set(schema["required"]) <= set(schema["properties"])
    for name, prop in schema["properties"].items():
        assert re.search(r"[\u4e00-\u9fff]", prop["title"]), name
        for choice in (prop, prop.get("items", {})):
            if "enum" in choice:
                assert len(choice["x-enumNames"]) == len(choice["enum"]), name
        if prop.get("type") == "string" and "enum" not in prop and "format" not in prop:
            assert "maxLength" in prop, name
    assert ui["ui:order"] == list(schema["properties"])
    if "decision" in schema["properties"]:
        assert schema["properties"]["decision"]["enum"] == ["approve", "reject"]
        assert "decision" in schema["required"]


def test_every_user_task_and_start_event_names_an_existing_form():
    used = set()
    for name in BPMN_FILES:
        root = etree.parse(str(WORKFLOWS / name)).getroot()
        for tag in ("userTask", "startEvent"):
            for element in root.iter(f"{BPMN}{tag}"):
                props = {p.get("name"): p.get("value") for p in element.iter(f"{SPIFF}property")}
                assert (FORMS / props["formJsonSchemaFilename"]).is_file(), element.get("id")
                assert (FORMS / props["formUiSchemaFilename"]).is_file(), element.get("id")
                used.add(props["formJsonSchemaFilename"])
    assert used == {p.name for p in SCHEMAS}


# ------------------------------------------------------------------ tour forms, through the engine
def test_tour_application_refuses_invalid_data(eng, clock):
    start = lambda **kw: eng.start("tour_approval", "liuyang", application(clock, **kw))  # noqa: E731
    refused(lambda: start(contact_phone="12345"), "contact_phone")
    refused(lambda: start(tour_type="vip"), "tour_type")
    refused(lambda: start(tour_start="2026-12-01T09:00:00"), "tour_start")  # no time zone
    refused(lambda: start(visitors=0), "visitors")
    refused(lambda: start(areas=[]), "areas")
    refused(lambda: start(photo_requested=True), "photo_reason")
    refused(lambda: start(special_case=True), "special_reason")
    refused(lambda: start(budget=100), "budget")
    assert eng.instances("tour_approval") == []


def test_tour_task_forms_refuse_invalid_data(eng, clock, monkeypatch):
    from engine.authoring import forms
    with monkeypatch.context() as patched:  # past the form's own notice check, to reach the revise form
        patched.setattr(forms, "refusals", lambda form, clean: [])
        late = eng.start("tour_approval", "liuyang", application(clock, "ordinary", 5))
    revise = task_for(eng, "liuyang", late, "revise")
    refused(lambda: eng.complete(revise.id, "liuyang", {"action": "revise"}), "tour_start")
    refused(lambda: eng.complete(revise.id, "liuyang", {"action": "delay"}), "action")

    ordinary = eng.start("tour_approval", "liuyang", application(clock, "ordinary", 30))
    am = task_for(eng, "lina", ordinary, "am_approve")
    refused(lambda: eng.complete(am.id, "lina", {"comment": "好"}), "decision")
    refused(lambda: eng.complete(am.id, "lina", {"decision": "reject"}), "comment")

    key = eng.start("tour_approval", "liuyang", application(clock, "key", photo_requested=True,
                                                            photo_reason="推广"))
    cs = task_for(eng, "zhangwei", key, "cs_review")
    refused(lambda: eng.complete(cs.id, "zhangwei", {"decision": "approve", "tour_content": "x",
                                                     "tour_scope": "y"}), "tour_route")
    refused(lambda: eng.complete(cs.id, "zhangwei", {"decision": "reject", "comment": ""}), "comment")
    do(eng, "zhangwei", key, "cs_review", CS_OK)
    gm = task_for(eng, "wangqiang", key, "gm_photo")
    refused(lambda: eng.complete(gm.id, "wangqiang", {"decision": "approve"}), "photo_decision")
    refused(lambda: eng.complete(gm.id, "wangqiang", {"decision": "approve", "photo_decision": "refuse"}),
            "photo_comment")
    do(eng, "wangqiang", key, "gm_photo", {"decision": "approve", "photo_decision": "consent"})
    designate = task_for(eng, "zhangwei", key, "designate")
    refused(lambda: eng.complete(designate.id, "zhangwei", {"photographer": ""}), "photographer")
    do(eng, "zhangwei", key, "designate", {"photographer": "陈静"})
    gate = task_for(eng, "maliang", key, "gate")
    refused(lambda: eng.complete(gate.id, "maliang", {"arrived": True}), "badges_issued")
    refused(lambda: eng.complete(gate.id, "maliang", {"arrived": "yes"}), "arrived")
    do(eng, "maliang", key, "gate", {"arrived": True, "badges_issued": 6})
    done = task_for(eng, "liuyang", key, "done")
    refused(lambda: eng.complete(done.id, "liuyang", {"took_place": True}), "badges_returned")
    assert open_ids(eng, key) == ["done"]  # a refused submission changes nothing


def test_tour_gm_approval_form_refuses_invalid_data(eng, clock):
    group = eng.start("tour_approval", "liuyang", application(clock, "group"))
    do(eng, "zhangwei", group, "cs_review", CS_OK)
    gm = task_for(eng, "wangqiang", group, "gm_approve")
    refused(lambda: eng.complete(gm.id, "wangqiang", {"decision": "reject"}), "comment")
    refused(lambda: eng.complete(gm.id, "wangqiang", {"decision": "maybe"}), "decision")


# ------------------------------------------------------------------ complaint forms, through the engine
def test_complaint_registration_refuses_invalid_data(eng, clock):
    start = lambda **kw: eng.start("complaint_handling", "liuyang", registration(clock, **kw))  # noqa: E731
    refused(lambda: start(severity=None), "severity")  # a complaint needs a severity
    refused(lambda: start(channel="email"), "channel")
    refused(lambda: start(kind="praise"), "kind")
    refused(lambda: start(content=""), "content")
    refused(lambda: start(received_at="昨天下午"), "received_at")
    refused(lambda: start(contact_phone="888"), "contact_phone")
    assert eng.instances("complaint_handling") == []


def test_complaint_task_forms_refuse_invalid_data(eng, clock):
    query = eng.start("complaint_handling", "liuyang", registration(clock, "query", severity=None))
    reply = task_for(eng, "liuyang", query, "reply")
    refused(lambda: eng.complete(reply.id, "liuyang", {"reply": ""}), "reply")

    inst = eng.start("complaint_handling", "liuyang", registration(clock, severity="major"))
    investigate = task_for(eng, "zhengkai", inst, "investigate")
    refused(lambda: eng.complete(investigate.id, "zhengkai", {**INVESTIGATION, "responsible_dept": "hr"}),
            "responsible_dept")
    refused(lambda: eng.complete(investigate.id, "zhengkai", {"investigation": "x", "responsible_dept": "quality"}),
            "cause")
    do(eng, "zhengkai", inst, "investigate", INVESTIGATION)
    corrective = task_for(eng, "hetao", inst, "corrective")
    refused(lambda: eng.complete(corrective.id, "hetao", {"corrective_action": "培训", "complete_by": "下周"}),
            "complete_by")
    do(eng, "hetao", inst, "corrective", {"corrective_action": "培训", "complete_by": "2026-12-04"})
    verify = task_for(eng, "zhengkai", inst, "verify")
    refused(lambda: eng.complete(verify.id, "zhengkai", {"decision": "reject"}), "comment")
    do(eng, "zhengkai", inst, "verify", {"decision": "approve"})
    gm = task_for(eng, "wangqiang", inst, "gm_plan")
    refused(lambda: eng.complete(gm.id, "wangqiang", {"decision": "reject", "comment": ""}), "comment")
    do(eng, "wangqiang", inst, "gm_plan", {"decision": "approve"})
    answer = task_for(eng, "liuyang", inst, "answer")
    refused(lambda: eng.complete(answer.id, "liuyang", {}), "answer")
    do(eng, "liuyang", inst, "answer", {"answer": "已处理"})
    callback = task_for(eng, "chenjing", inst, "callback")
    refused(lambda: eng.complete(callback.id, "chenjing", {"satisfied": "unsatisfied"}), "feedback")
    refused(lambda: eng.complete(callback.id, "chenjing", {"satisfied": "ok"}), "satisfied")
    assert open_ids(eng, inst) == ["callback"]
