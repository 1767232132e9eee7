"""Scripts and expressions run sandboxed; a failing one becomes an error state that retry recovers."""
from __future__ import annotations

import pytest

from engine import ScriptFailed, SpecInvalid
from engine.runtime import scripting
from engine.authoring.specs import SourceFile
from tests.conftest import DATA

ATTACKS = {
    "import os": "import os\nx = os.getpid()",
    "__import__": "x = __import__('os').getpid()",
    "dunder walk": "x = ().__class__.__base__.__subclasses__()",
    "open": "x = open('/etc/hostname').read()",
    "private helper attribute": "x = add_days._cache",
    "helper globals": "x = now.__globals__",
}


def scripted(script: str = "share = total / parts", condition: str = "share > 100") -> SourceFile:
    text = (DATA / "scripted.bpmn").read_text(encoding="utf-8")
    return SourceFile("scripted.bpmn", text.replace("SCRIPT", script).replace("CONDITION", condition).encode())


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_sandbox_refuses_attack(name):
    with pytest.raises(ScriptFailed) as err:
        scripting.execute(ATTACKS[name], {}, element="calc")
    assert err.value.element == "calc"
    assert str(err.value).startswith("calc: ")


def test_sandbox_refuses_attack_in_an_expression():
    with pytest.raises(ScriptFailed):
        scripting.evaluate("__import__('os').system('true')", {}, element="f_big")
    with pytest.raises(ScriptFailed):
        scripting.evaluate("[c for c in ().__class__.__base__.__subclasses__()]", {}, element="f_big")


def test_legitimate_scripts_and_conditions_work():
    out = scripting.execute("total = 0\nfor x in items:\n    total += x\nbig = total > 5\nnames = sorted(d['n'] for d in rows)",
                            {"items": [1, 2, 3], "rows": [{"n": "b"}, {"n": "a"}]})
    assert (out["total"], out["big"], out["names"]) == (6, True, ["a", "b"])
    assert scripting.evaluate("decision == 'approve' and amount >= 1000", {"decision": "approve", "amount": 1000})
    assert scripting.evaluate("hours_until(add_hours(now(), 2)) > 1.9")


@pytest.mark.parametrize("name", ["import os", "__import__", "dunder walk", "private helper attribute"])
def test_deploy_refuses_a_script_the_sandbox_refuses(small, name):
    with pytest.raises(SpecInvalid) as err:
        small.deploy([scripted(ATTACKS[name])], "owen")
    assert err.value.problems[0].element == "calc"
    assert err.value.problems[0].name == "计算分摊"


def test_deploy_refuses_a_bad_condition(small):
    with pytest.raises(SpecInvalid) as err:
        small.deploy([scripted(condition="().__class__")], "owen")
    assert err.value.problems[0].element == "f_big"


def test_failing_script_is_an_error_state_and_retry_with_fixed_data(small):
    small.deploy([scripted()], "owen")
    inst = small.start("scripted", "alice", {"total": 1000, "parts": 0})
    assert inst.status == "error"
    assert inst.error_element == "calc"
    assert "ZeroDivisionError" in inst.error and inst.error.startswith("calc: ")
    assert [e.kind for e in small.audit_trail(inst.id)][-1] == "error"
    fixed = small.retry(inst.id, "owen", data={"parts": 4})
    assert fixed.status == "running" and fixed.error is None
    assert small.data(inst.id)["share"] == 250
    assert [t.bpmn_id for t in small.open_tasks(inst.id)] == ["check"]


def test_refused_call_at_runtime_then_retry_on_fixed_definition(small):
    small.deploy([scripted("share = no_such_name")], "owen")
    inst = small.start("scripted", "alice", {"total": 10, "parts": 2})
    assert inst.status == "error" and inst.error_element == "calc"
    assert "NameError" in inst.error
    small.deploy([scripted("share = total / parts")], "owen")
    fixed = small.retry(inst.id, "owen", upgrade=True)
    assert fixed.status == "completed"
    assert fixed.definition_version == 2
    kinds = [e.kind for e in small.audit_trail(inst.id)]
    assert kinds.index("error") < kinds.index("migrated") < kinds.index("retried")


def test_failing_condition_is_an_error_state(small):
    small.deploy([scripted(condition="missing_value > 1")], "owen")
    inst = small.start("scripted", "alice", {"total": 10, "parts": 2})
    assert inst.status == "error" and inst.error_element == "gw"
    assert "missing_value" in inst.error


def test_only_process_owners_retry(small):
    from engine import NotAllowed
    small.deploy([scripted()], "owen")
    inst = small.start("scripted", "alice", {"total": 1, "parts": 0})
    with pytest.raises(NotAllowed):
        small.retry(inst.id, "alice", data={"parts": 1})
