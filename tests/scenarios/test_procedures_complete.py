"""Every diagram in workflows/ is a complete procedure: package, labels, demo, forms, scenarios, notes
(docs/ADDING_A_PROCEDURE.md)."""
from __future__ import annotations

import json

import pytest
from lxml import etree

import procedures
from procedures.demo import load_demo
from tests.conftest import FORMS, ROOT, WORKFLOWS

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
NOTES = (ROOT / "docs" / "PROCEDURE_NOTES.md").read_text(encoding="utf-8")
SCENARIOS = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "scenarios").glob("test_*.py")
                      if p.name != "test_procedures_complete.py")


def diagrams() -> dict[str, etree._Element]:
    found = {}
    for path in sorted(WORKFLOWS.glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for process in root.iter(f"{BPMN}process"):
            if process.get("isExecutable", "true") != "false":
                found[process.get("id")] = root
    return found


DIAGRAMS = diagrams()


def test_every_procedure_module_is_complete():
    for module in procedures.PROCEDURES:
        assert module.PROCESSES, module.__name__
        assert module.RECORD_FIELDS and all({"zh_CN", "en"} <= set(f.labels) for f in module.RECORD_FIELDS)
        assert hasattr(module, "TITLE_KEYS")
        __import__(f"{module.__name__}.demo")


@pytest.mark.parametrize("process_id", sorted(DIAGRAMS))
def test_every_deployed_process_belongs_to_a_procedure_with_notes_and_scenarios(process_id):
    assert process_id in procedures.PROCESSES, f"{process_id}: add it to a procedure's PROCESSES"
    assert f"({process_id}" in NOTES or f"{process_id})" in NOTES or f"`{process_id}`" in NOTES, \
        f"{process_id}: no section in docs/PROCEDURE_NOTES.md"
    assert f'"{process_id}"' in SCENARIOS, f"{process_id}: no scenario test starts it"
    for prop in DIAGRAMS[process_id].iter(f"{SPIFF}property"):
        if prop.get("name") in ("formJsonSchemaFilename", "formUiSchemaFilename"):
            json.loads((FORMS / prop.get("value")).read_text(encoding="utf-8"))


def test_every_process_has_demo_work(engine):
    assert load_demo(engine) > 0
    started = {i.process_id for i in engine.instances(limit=1000)}
    assert set(DIAGRAMS) <= started


def test_decision_buttons_carry_the_decisions_own_words():
    """A decision explained in other words ("同意：情况属实…") shows those words on its buttons, not 同意/驳回."""
    import json

    from tests.conftest import FORMS

    mismatched = []
    for path in sorted(FORMS.glob("*.schema.json")):
        decision = json.loads(path.read_text(encoding="utf-8")).get("properties", {}).get("decision") or {}
        names = decision.get("x-enumNames") or []
        explained = str(decision.get("description", ""))
        if names[:2] == ["同意", "驳回"] and explained.startswith("同意："):
            mismatched.append(path.name)
    assert mismatched == []
