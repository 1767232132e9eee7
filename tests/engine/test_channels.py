"""Notifications that arrive: channel preferences, out-of-office deputies and group chat robots as engine
verbs, each call on a new Engine (nothing held in memory), with every refusal."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine import Conflict, EngineError, NotAllowed, NotFound
from engine.audit import SYSTEM_CHAIN
from engine.storage.models import AuditEvent, OutboxMessage
from tests.conftest import DATA
from tests.restart import RestartingEngine

PERSONAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="defs_personal" targetNamespace="http://example.com/channels">
  <bpmn:process id="personal" name="指名审批" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="pick" name="指定审批人"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>approver = "bob"</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="approve" name="指名审批">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidateVariable" value="approver"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:serviceTask id="tell_applicant" name="通知申请人">
      <bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="notify" resultVariable="told">
        <spiffworkflow:parameters>
          <spiffworkflow:parameter id="to" type="str" value="initiator"/>
          <spiffworkflow:parameter id="subject" type="str" value="'已批准'"/>
        </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:serviceTask id="tell_gm" name="通知总经理">
      <bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="notify" resultVariable="told_gm">
        <spiffworkflow:parameters>
          <spiffworkflow:parameter id="to" type="str" value="'group:gm'"/>
          <spiffworkflow:parameter id="subject" type="str" value="'知悉：已批准'"/>
        </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pick"/>
    <bpmn:sequenceFlow id="f2" sourceRef="pick" targetRef="approve"/>
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="tell_applicant"/>
    <bpmn:sequenceFlow id="f4" sourceRef="tell_applicant" targetRef="tell_gm"/>
    <bpmn:sequenceFlow id="f5" sourceRef="tell_gm" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def eng(small, clock, tmp_path):
    """The small approval and the one-person process, every call on a new Engine."""
    path = tmp_path / "personal.bpmn"
    path.write_text(PERSONAL, encoding="utf-8")
    small.deploy_paths([path], "owen")
    return RestartingEngine(small.sa_engine, forms_dir=DATA / "forms", clock=clock)


def system_events(eng, kind):
    with eng.fresh().session() as s:
        return [e.data for e in s.scalars(select(AuditEvent).where(AuditEvent.chain == SYSTEM_CHAIN,
                                                                    AuditEvent.kind == kind).order_by(AuditEvent.seq))]


def today(clock) -> date:
    return clock.now.date()  # the fake clock runs on Beijing time, the company's


# -- preferences --------------------------------------------------------------------------------------------
def test_preferences_start_all_on_and_are_kept_and_audited(eng):
    assert eng.notice_preferences("bob").mail and eng.notice_preferences("bob").events == (
        "task", "reminder", "copy", "mention", "outcome")
    eng.set_notice_preferences("bob", True, ["mention", "task"])
    kept = eng.notice_preferences("bob")
    assert (kept.mail, kept.events) == (True, ("task", "mention"))  # in the documented order
    eng.set_notice_preferences("bob", False, [])
    assert eng.notice_preferences("bob").mail is False
    assert system_events(eng, "notice_preferences_set")[-1] == {"user": "bob", "mail": False, "events": []}


def test_preference_refusals(eng):
    with pytest.raises(NotAllowed) as other:
        eng.set_notice_preferences("bob", False, [], by="alice")
    assert other.value.reason == "not_self"
    with pytest.raises(EngineError) as unknown:
        eng.set_notice_preferences("bob", True, ["task", "gossip"])
    assert unknown.value.reason == "unknown_event" and unknown.value.holder == "gossip"
    with pytest.raises(EngineError) as bad:
        eng.set_notice_preferences("bob", "yes", [])
    assert bad.value.reason == "bad_mail"
    with pytest.raises(NotFound):
        eng.set_notice_preferences("nobody", True, [])
    assert eng.notice_preferences("bob").mail is True  # nothing changed
    assert system_events(eng, "notice_preferences_set") == []


def test_mail_honours_preferences_when_sent(eng):
    from engine import mail
    from engine.preferences import Preferences, wants_mail
    eng.import_users({"users": [{"username": u, "name": u, "email": f"{u}@example.com", "groups": ["cs_manager"]}
                                for u in ("bob", "carol")]})
    eng.set_notice_preferences("carol", True, ["reminder"])
    with eng.fresh().session() as s:
        assert mail._addresses(s, "group:cs_manager", "task") == ["bob@example.com"]
        assert mail._addresses(s, "group:cs_manager", "reminder") == ["bob@example.com", "carol@example.com"]
    eng.set_notice_preferences("bob", False, ["task"])
    with eng.fresh().session() as s:
        assert mail._addresses(s, "bob", "task") == []
    assert wants_mail(Preferences("x", True, ()), "notice")  # a procedure's own notice: whenever mail is on


# -- out of office ------------------------------------------------------------------------------------------
def test_a_personal_task_goes_to_the_deputy_while_out_of_office(eng, clock):
    eng.set_out_of_office("bob", "carol", today(clock), today(clock) + timedelta(days=2))
    inst = eng.start("personal", "alice", {})
    [task] = eng.open_tasks(inst.id)
    assert task.assignee == "carol" and eng.tasks("bob") == []
    assert [t.id for t in eng.tasks("carol")] == [task.id]
    [rule] = [e for e in eng.audit_trail(inst.id) if e.kind == "delegated_by_rule"]
    assert rule.data == {"title": "指名审批", "from": ["bob"], "to": ["carol"]} and rule.actor == "engine"
    assert system_events(eng, "out_of_office_set") == [{"user": "bob", "deputy": "carol",
                                                         "starts_on": today(clock).isoformat(),
                                                         "ends_on": (today(clock) + timedelta(days=2)).isoformat()}]
    eng.complete(task.id, "carol", {})
    # after the last day, new tasks come to bob again
    clock.advance(days=3)
    later = eng.start("personal", "alice", {})
    [again] = eng.open_tasks(later.id)
    assert again.assignee == "bob"


def test_an_absence_not_yet_begun_or_cleared_changes_nothing(eng, clock):
    eng.set_out_of_office("bob", "carol", today(clock) + timedelta(days=1), today(clock) + timedelta(days=3))
    assert eng.open_tasks(eng.start("personal", "alice", {}).id)[0].assignee == "bob"
    clock.advance(days=1)
    assert eng.open_tasks(eng.start("personal", "alice", {}).id)[0].assignee == "carol"
    assert eng.clear_out_of_office("bob") is True
    assert eng.out_of_office("bob") is None and eng.clear_out_of_office("bob") is False
    assert eng.open_tasks(eng.start("personal", "alice", {}).id)[0].assignee == "bob"
    assert system_events(eng, "out_of_office_cleared") == [{"user": "bob", "deputy": "carol"}]


def test_a_group_task_stays_with_the_group_unless_everyone_is_away(eng, clock):
    first, last = today(clock), today(clock) + timedelta(days=1)
    eng.set_out_of_office("bob", "alice", first, last)
    inst = eng.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    [task] = eng.open_tasks(inst.id)
    assert task.candidate_groups == ("cs_manager",) and "delegated_by_rule" not in [
        e.kind for e in eng.audit_trail(inst.id)]  # carol and dave are still there
    eng.complete(task.id, "carol", {"decision": "approve"})
    # 总经理 gina is the only one in her group: while she is away, her deputy is offered her group's task too
    eng.set_out_of_office("gina", "dave", first, last)
    other = eng.start("small_approval", "alice", {"customer": "乙", "amount": 5})
    [manager_task] = eng.open_tasks(other.id)
    eng.complete(manager_task.id, "carol", {"decision": "approve"})
    [gm_task] = eng.open_tasks(other.id)
    assert gm_task.candidate_groups == ("gm",) and gm_task.candidate_users == ("dave",)
    assert [t.id for t in eng.tasks("dave") if t.instance_id == other.id] == [gm_task.id]
    [rule] = [e for e in eng.audit_trail(other.id) if e.kind == "delegated_by_rule"]
    assert rule.data["from"] == ["gina"] and rule.data["to"] == ["dave"]


def test_reminders_and_mentions_reach_the_deputy_too(eng, clock):
    inst = eng.start("personal", "alice", {})  # bob has it, then goes away
    eng.set_out_of_office("bob", "carol", today(clock), today(clock))
    eng.remind(inst.id, "alice")
    eng.comment(inst.id, "alice", "@bob 请看一下")
    notified = [e.data for e in eng.audit_trail(inst.id) if e.kind == "notified"]
    assert [(n["kind"], n["to"], n.get("for")) for n in notified] == [
        ("reminder", "bob", None), ("reminder", "carol", "bob"), ("mention", "bob", None), ("mention", "carol", "bob")]
    assert notified[1]["subject"] == "（代 鲍勃）催办：指名审批"
    assert [n.subject for n in eng.notices("carol")] == ["（代 鲍勃）有人在“指名审批”中提到了您", "（代 鲍勃）催办：指名审批"]
    clock.advance(days=1, hours=5)  # bob is back: a reminder reaches him only
    eng.remind(inst.id, "alice")
    assert [e.data["to"] for e in eng.audit_trail(inst.id) if e.kind == "notified"][-1:] == ["bob"]


def test_a_procedures_notice_to_the_applicant_is_the_outcome_and_robots_get_group_notices(eng, clock):
    eng.set_group_robot("gm", "owen", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "wecom")
    inst = eng.start("personal", "alice", {})
    eng.complete(eng.open_tasks(inst.id)[0].id, "bob", {})
    notified = [(e.data["kind"], e.data["to"]) for e in eng.audit_trail(inst.id) if e.kind == "notified"]
    assert notified == [("outcome", "alice"), ("notice", "group:gm")]
    with eng.fresh().session() as s:
        posts = s.execute(select(OutboxMessage.recipient, OutboxMessage.kind, OutboxMessage.channel)).all()
    assert [tuple(p) for p in posts] == [("group:gm", "notice", "webhook")]  # no SMTP: no mail queued


def test_out_of_office_refusals(eng, clock):
    first = today(clock)
    cases = [
        (dict(username="bob", deputy="bob"), EngineError, "deputy_self"),
        (dict(username="bob", deputy="nobody"), NotFound, "deputy_unknown"),
        (dict(username="bob", deputy="carol", ends_on=first - timedelta(days=1)), EngineError, "dates_reversed"),
        (dict(username="bob", deputy="carol", starts_on=first - timedelta(days=5), ends_on=first - timedelta(days=1)),
         EngineError, "dates_past"),
        (dict(username="bob", deputy="carol", ends_on=first + timedelta(days=400)), EngineError, "dates_too_long"),
        (dict(username="bob", deputy="carol", by="alice"), NotAllowed, "not_self"),
    ]
    for args, error, reason in cases:
        args = {"starts_on": first, "ends_on": first + timedelta(days=1), **args}
        with pytest.raises(error) as refused:
            eng.set_out_of_office(**args)
        assert refused.value.reason == reason, args
    eng.import_users({"users": [{"username": "carol", "name": "卡罗尔", "active": False, "groups": ["cs_manager"]}]})
    with pytest.raises(EngineError) as inactive:
        eng.set_out_of_office("bob", "carol", first, first)
    assert inactive.value.reason == "deputy_inactive"
    # no loops: dave names bob while bob is away naming dave
    eng.set_out_of_office("bob", "dave", first, first + timedelta(days=3))
    with pytest.raises(Conflict) as loop:
        eng.set_out_of_office("dave", "bob", first + timedelta(days=2), first + timedelta(days=5))
    assert loop.value.reason == "deputy_away" and loop.value.holder == "bob"
    assert eng.out_of_office("dave") is None
    assert [e["user"] for e in system_events(eng, "out_of_office_set")] == ["bob"]


def test_a_deputy_who_goes_away_later_leaves_the_task_with_its_owner(eng, clock):
    first = today(clock)
    eng.set_out_of_office("bob", "carol", first, first + timedelta(days=3))
    eng.set_out_of_office("carol", "dave", first, first)  # allowed: carol named nobody away
    assert eng.open_tasks(eng.start("personal", "alice", {}).id)[0].assignee == "bob"  # no chain to dave


def test_a_deputy_never_gets_a_task_of_their_own_request(eng, clock):
    eng.set_out_of_office("bob", "alice", today(clock), today(clock))
    inst = eng.start("personal", "alice", {})
    assert eng.open_tasks(inst.id)[0].assignee == "bob"  # alice may not approve her own request
    assert "delegated_by_rule" not in [e.kind for e in eng.audit_trail(inst.id)]
    assert eng.open_tasks(eng.start("personal", "dave", {}).id)[0].assignee == "alice"


# -- group robots -------------------------------------------------------------------------------------------
def test_process_owners_configure_group_robots_and_the_secret_is_never_shown(eng):
    robot = eng.set_group_robot("cs_manager", "owen", "https://oapi.dingtalk.com/robot/send?access_token=abc",
                                "dingtalk", "SECabc")
    assert robot.signed and not hasattr(robot, "secret")
    [listed] = eng.group_robots("owen")
    assert (listed.group_id, listed.kind, listed.signed) == ("cs_manager", "dingtalk", True)
    assert "SECabc" not in str(system_events(eng, "robot_set"))
    assert eng.remove_group_robot("cs_manager", "owen") is True
    assert eng.group_robots("owen") == [] and eng.remove_group_robot("cs_manager", "owen") is False


def test_group_robot_refusals(eng):
    good = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
    with pytest.raises(NotAllowed) as stranger:
        eng.set_group_robot("cs_manager", "bob", good, "wecom")
    assert stranger.value.reason == "not_process_owner"
    for bad in ("file:///etc/passwd", "javascript:alert(1)", "gopher://x/", "https://", "http://u:p@host/x",
                "https://host/a b", "ftp://host/x", "", "https://h/" + "x" * 1000):
        with pytest.raises(EngineError) as refused:
            eng.set_group_robot("cs_manager", "owen", bad, "wecom")
        assert refused.value.reason == "bad_url", bad
    with pytest.raises(EngineError) as kind:
        eng.set_group_robot("cs_manager", "owen", good, "slack")
    assert kind.value.reason == "bad_kind"
    with pytest.raises(EngineError) as secret:
        eng.set_group_robot("cs_manager", "owen", good, "wecom", "SECx")
    assert secret.value.reason == "bad_secret"
    with pytest.raises(NotFound) as group:
        eng.set_group_robot("no_such_group", "owen", good, "wecom")
    assert group.value.reason == "group_unknown"
    with pytest.raises(NotAllowed):
        eng.group_robots("bob")
    with pytest.raises(NotAllowed):
        eng.failed_robot_posts("bob")
    with pytest.raises(NotAllowed):
        eng.remove_group_robot("cs_manager", "bob")
    assert eng.group_robots("owen") == [] and system_events(eng, "robot_set") == []


def test_a_reminder_to_a_group_with_a_robot_queues_one_post_with_the_step(eng):
    eng.set_group_robot("cs_manager", "owen", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "wecom")
    inst = eng.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    eng.remind(inst.id, "alice")
    with eng.fresh().session() as s:
        posts = s.execute(select(OutboxMessage.recipient, OutboxMessage.kind, OutboxMessage.subject,
                                 OutboxMessage.instance_id).where(OutboxMessage.channel == "webhook")).all()
    assert [tuple(p) for p in posts] == [("group:cs_manager", "reminder", "催办：经理审批", inst.id)]
