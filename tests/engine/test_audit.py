"""The audit trail is hash-chained per instance; editing or removing a row is detected."""
from __future__ import annotations

from sqlalchemy import delete, func, select, update

from engine.storage.models import AuditEvent, HumanTask, ProcessDefinition, ProcessInstance


def _walk(small):
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5000})
    [task] = small.tasks("bob")
    small.complete(task.id, "bob", {"decision": "approve", "comment": "可以"})
    return inst


def test_every_verb_is_audited_with_who_when_what_and_version(small, clock):
    inst = _walk(small)
    events = small.audit_trail(inst.id)
    started = events[0]
    assert (started.kind, started.actor, started.data["version"]) == ("started", "alice", 1)
    assert started.data["form"] == {"customer": "甲", "amount": 5000}
    assert all(e.at == clock.now for e in events)
    assert all(e.definition_id == inst.definition_id for e in events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))


def test_deploy_is_audited_on_the_system_chain(small):
    [event] = small.search_audit(kind="deployed")
    assert (event.chain, event.actor, event.process_id) == ("system", "owen", "small_approval")


def test_untouched_chains_verify(small):
    _walk(small)
    chains, broken = small.verify_audit()
    assert chains == 2 and broken == []


def test_edited_row_is_reported(small):
    inst = _walk(small)
    target = next(e for e in small.audit_trail(inst.id) if e.kind == "completed")
    with small.Session() as s, s.begin():
        s.execute(update(AuditEvent).where(AuditEvent.id == target.id)
                  .values(data={"title": "经理审批", "form": {"decision": "reject"}}))
    chains, broken = small.verify_audit()
    assert len(broken) == 1
    assert (broken[0].chain, broken[0].seq, broken[0].event_id) == (f"instance:{inst.id}", target.seq, target.id)
    assert "edited" in broken[0].reason


def test_removed_row_is_reported(small):
    inst = _walk(small)
    with small.Session() as s, s.begin():
        victim = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == inst.id, AuditEvent.seq == 2)).one()
        s.execute(delete(AuditEvent).where(AuditEvent.id == victim.id))
    _, broken = small.verify_audit(inst.id)
    assert broken and broken[0].seq == 3 and "missing" in broken[0].reason


def test_search_by_user_kind_and_date(small, clock):
    from datetime import timedelta
    inst = _walk(small)
    assert {e.instance_id for e in small.search_audit(actor="bob")} == {inst.id}
    assert [e.kind for e in small.search_audit(actor="bob", kind="completed")] == ["completed"]
    assert small.search_audit(since=clock.now + timedelta(seconds=1)) == []
    assert small.search_audit(process_id="small_approval", until=clock.now + timedelta(seconds=1))


def _reasons(small, instance_id=None) -> list[str]:
    return [link.reason for link in small.verify_audit(instance_id)[1]]


def test_cutting_the_last_rows_off_a_chain_is_reported(small):
    inst = _walk(small)
    with small.Session() as s, s.begin():
        last = s.scalar(select(func.max(AuditEvent.seq)).where(AuditEvent.chain == f"instance:{inst.id}"))
        s.execute(delete(AuditEvent).where(AuditEvent.chain == f"instance:{inst.id}", AuditEvent.seq == last))
    assert any("rows removed or added" in r for r in _reasons(small))
    assert any("rows removed or added" in r for r in _reasons(small, inst.id))


def test_deleting_a_whole_chain_or_its_instance_is_reported(small):
    first, second = _walk(small), small.start("small_approval", "alice", {"customer": "乙", "amount": 5})
    with small.Session() as s, s.begin():
        s.execute(delete(AuditEvent).where(AuditEvent.chain == f"instance:{first.id}"))
        s.execute(delete(ProcessInstance).where(ProcessInstance.id == second.id))
    reasons = _reasons(small)
    assert "the instance has no audit chain (deleted)" in reasons
    assert "the chain's instance was deleted" in reasons


def test_an_inbox_row_naming_another_approver_is_reported(small):
    inst = _walk(small)
    with small.Session() as s, s.begin():
        s.execute(update(HumanTask).where(HumanTask.instance_id == inst.id).values(completed_by="carol"))
    assert any("completed by carol, which the chain never recorded" in r for r in _reasons(small))


def test_a_deployed_definition_edited_in_place_is_reported(small):
    with small.Session() as s, s.begin():
        s.execute(update(ProcessDefinition).values(xml=ProcessDefinition.xml + " "))
    assert any("changed since it was deployed" in r for r in _reasons(small))


def _rewrite_every_approver(small, instance_id: int, who: str) -> None:
    """The strongest attack on an unkeyed trail: change the history and recompute every hash and head."""
    from engine.audit import GENESIS, compute_hash
    with small.Session() as s, s.begin():
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.chain == f"instance:{instance_id}")
                                .order_by(AuditEvent.seq)))
        prev = GENESIS
        for event in events:
            if event.kind == "completed":
                event.actor = who
            fields = {k: getattr(event, k) for k in ("chain", "seq", "instance_id", "definition_id", "process_id",
                                                      "task_guid", "bpmn_id", "kind", "actor", "at", "data")}
            event.prev_hash, event.hash = prev, compute_hash(prev, fields)
            prev = event.hash
        s.execute(update(HumanTask).where(HumanTask.instance_id == instance_id).values(completed_by=who))
        s.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id).values(audit_hash=prev))


def test_without_a_key_a_full_rewrite_is_not_seen_and_the_engine_says_so(small):
    inst = _walk(small)
    _rewrite_every_approver(small, inst.id, "carol")
    assert small.audit_key is None and small.verify_audit()[1] == []  # the stated limitation


def test_with_a_key_a_full_rewrite_is_found(small, monkeypatch, tmp_path):
    from engine import Engine
    key_file = tmp_path / "audit.key"
    key_file.write_text("a secret kept outside the database\n")
    monkeypatch.setenv("APPROVALS_AUDIT_KEY_FILE", str(key_file))
    keyed = Engine(small.sa_engine, forms_dir=small.forms.forms_dir, clock=small.clock)
    inst = _walk(keyed)
    with small.session() as s:
        assert set(s.scalars(select(AuditEvent.keyed).where(AuditEvent.chain == f"instance:{inst.id}"))) == {True}
    assert keyed.verify_audit(inst.id)[1] == []
    _rewrite_every_approver(keyed, inst.id, "carol")
    assert any("row edited" in link.reason for link in keyed.verify_audit(inst.id)[1])
    # an engine without the key does not pass keyed rows on trust
    monkeypatch.delenv("APPROVALS_AUDIT_KEY_FILE")
    unkeyed = Engine(small.sa_engine, forms_dir=small.forms.forms_dir, clock=small.clock)
    assert any("no audit key is configured" in link.reason for link in unkeyed.verify_audit(inst.id)[1])


def test_membership_changes_are_on_the_system_chain(small):
    small.import_users({"users": [{"username": "alice", "name": "爱丽丝", "groups": ["cs_staff", "gm"]}]})
    small.import_users({"users": [{"username": "alice", "name": "爱丽丝", "groups": ["cs_staff", "gm"]}]})  # same
    changes = [e.data for e in small.search_audit(kind="membership_changed") if e.data["user"] == "alice"]
    assert changes[-1] == {"user": "alice", "added": ["gm"], "removed": [], "active": True, "password_changed": False}
    assert len([c for c in changes if c["added"] == ["gm"]]) == 1  # re-importing the same thing records nothing
    assert small.verify_audit()[1] == []
