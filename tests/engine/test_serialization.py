"""Instance state round-trips through JSON in the middle of a scenario, without a copy of the spec."""
from __future__ import annotations

import json

from sqlalchemy import select

from engine.storage import serialization
from engine.storage.models import ProcessInstance
from engine.runtime.scripting import ScriptEngine


def test_round_trip_mid_scenario(small):
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5000})
    [task] = small.tasks("bob")
    with small.Session() as s:
        row = s.scalars(select(ProcessInstance).where(ProcessInstance.id == inst.id)).one()
        stored = json.loads(row.state)
        assert "spec" not in stored and "subprocess_specs" not in stored
        assert stored["serializer_version"] == serialization.SERIALIZER_VERSION
        spec, subs = small.specs.get(s, row.definition_id, row.dependency_ids)
        workflow = serialization.loads(row.state, spec, subs, ScriptEngine())
        again = serialization.dumps(workflow)
    assert json.loads(again) == stored
    # the scenario goes on from the stored state
    small.complete(task.id, "bob", {"decision": "approve"})
    [gm] = small.tasks("gina")
    assert small.complete(gm.id, "gina", {"decision": "approve"}).status == "completed"


def test_unknown_serializer_version_is_refused():
    import pytest
    with pytest.raises(ValueError, match="no migration"):
        serialization.loads(json.dumps({"serializer_version": "approvals-0"}), None, {}, ScriptEngine())
