"""Instances stuck by the restart bug of earlier versions: `approvals repair` resumes them."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from engine.runtime import hooks
from tests.conftest import DEMO_USERS, FORMS, PROCEDURES, WORKFLOWS, build_engine
from tests.files import pdf
from tests.restart import RestartingEngine

CHECKS = dict.fromkeys(["req_in_contract", "quality_terms_match", "legal_requirements", "capability_and_risk",
                        "implied_needs", "differences_settled", "can_meet"], True)
REVIEW = {"customer": "华盛服饰", "products": "真丝领带 TX-01", "quantity": 5000, "unit": "条", "price": 250000,
          "delivery_date": "2027-01-15", "quality_requirements": "符合 FZ/T 82002", "acceptance_method": "抽检 AQL 2.5",
          "warranty_terms": "质保一年", "order_channel": "written", "contract_kind": "routine",
          "countersigners": ["group:production", "group:finance"]}


def stuck_countersign(url, clock, monkeypatch):
    """A contract review stuck the way the previous version left it: both countersigns done, each in a
    new process, and nobody has a task."""
    with monkeypatch.context() as patched:
        patched.setattr(hooks, "prepare", lambda spec, subs: None)  # the previous version: no wiring
        base = build_engine(url, clock, DEMO_USERS, extensions=PROCEDURES)
        base.deploy_paths([WORKFLOWS / "contract_review.bpmn"], "luoming")
        eng = RestartingEngine(base.sa_engine, forms_dir=FORMS, clock=clock, extensions=PROCEDURES)
        scan = eng.stage_attachment("contract_review", "sunli", "合同扫描件.pdf", pdf())
        inst = eng.start("contract_review", "sunli", {**REVIEW, "contract_scan": [scan.id]})
        for group, user in (("production", "fenggang"), ("finance", "gaofeng")):
            [task] = [t for t in eng.open_tasks(inst.id) if t.candidate_groups == (group,)]
            eng.complete(task.id, user, {"decision": "approve", **CHECKS})
        assert eng.instance(inst.id).status == "running" and eng.open_tasks(inst.id) == []
    return base, inst


def test_repair_resumes_a_stuck_countersign(sqlite_url, clock, monkeypatch):
    base, inst = stuck_countersign(sqlite_url, clock, monkeypatch)
    env = {**os.environ, "DATABASE_URL": sqlite_url, "APPROVALS_FORMS_DIR": str(FORMS)}
    proc = subprocess.run([sys.executable, "-m", "web.cli", "--json", "repair"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["repaired"] == [inst.id]
    assert [t.bpmn_id for t in base.open_tasks(inst.id)] == ["sign_contract"]
    repaired = [e for e in base.audit_trail(inst.id) if e.kind == "repaired"]
    assert repaired[0].data == {"resumed": ["countersign"]}
    # both verdicts were merged, as they would have been without the bug
    data = base.data(inst.id)
    assert sorted((v["signer"], v["decision"]) for v in data["votes"]) == [
        ("group:finance", "approve"), ("group:production", "approve")]
    assert data["countersign_passed"] is True
    # a second run finds nothing to do
    proc = subprocess.run([sys.executable, "-m", "web.cli", "repair"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "repaired 0 instance(s)" in proc.stdout
    assert base.verify_audit()[1] == []
    base.sa_engine.dispose()
