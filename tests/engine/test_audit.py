"""The audit trail is hash-chained per instance; editing or removing a row is detected."""
from __future__ import annotations

from sqlalchemy import delete, select, update

from engine.storage.models import AuditEvent


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
