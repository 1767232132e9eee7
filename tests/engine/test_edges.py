"""Edges the engine holds itself, whatever client calls it: auditors never act, numbers are finite,
and a sign-in costs the same for a name that does not exist."""
from __future__ import annotations

import pytest

from engine import FormInvalid, NotAllowed
from engine import directory


def test_an_auditor_cannot_start_or_act_through_the_engine(small, tmp_path):
    small.import_users({"groups": [{"id": "auditor", "name": "审计"}],
                        "users": [{"username": "audrey", "name": "奥黛丽", "password": "pw-audrey",
                                   "groups": ["auditor", "cs_staff", "cs_manager"]}]})
    with pytest.raises(NotAllowed) as refused:
        small.start("small_approval", "audrey", {"customer": "甲", "amount": 5})
    assert refused.value.reason == "auditor"
    assert not small.may_start("small_approval", "audrey")
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    [task] = small.open_tasks(inst.id)
    for verb in (lambda: small.claim(task.id, "audrey"), lambda: small.complete(task.id, "audrey", {"decision": "approve"})):
        with pytest.raises(NotAllowed) as refused:
            verb()
        assert refused.value.reason == "auditor"
    assert small.may_act(task.id, "audrey") == (False, "auditor")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_are_refused_and_nothing_is_saved(small, value):
    with pytest.raises(FormInvalid) as refused:
        small.start("small_approval", "alice", {"customer": "甲", "amount": value})
    assert ("amount", "number") in [(e.field, e.code) for e in refused.value.errors]
    assert small.count_instances() == 0


def test_unknown_users_cost_a_password_check_too(small, monkeypatch):
    checked = []

    class Counting:
        def __init__(self, hasher):
            self.hasher = hasher

        def hash(self, password):
            return self.hasher.hash(password)

        def verify(self, hashed, password):
            checked.append(hashed)
            return self.hasher.verify(hashed, password)
    monkeypatch.setattr(directory, "_hasher", Counting(directory._hasher))
    assert small.authenticate("nobody", "guess") is None
    assert small.authenticate("alice", "wrong") is None
    assert small.authenticate("alice", "pw-alice").username == "alice"
    assert len(checked) == 3  # one verify each, known or not
