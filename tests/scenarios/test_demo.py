"""The demo organisation sees real work waiting: every role has something in its inbox."""
from __future__ import annotations

import yaml

from procedures.demo import load_demo
from tests.conftest import DEMO_USERS

READ_ONLY_ROLES = {"auditor", "process_owner"}


def test_demo_gives_every_role_work(engine):
    started = load_demo(engine)
    assert started >= 12
    users = yaml.safe_load(DEMO_USERS.read_text(encoding="utf-8"))["users"]
    idle = [u["username"] for u in users
            if not set(u["groups"]) <= READ_ONLY_ROLES and not engine.tasks(u["username"])]
    assert idle == []
    processes = {i.process_id for i in engine.instances()}
    assert processes == {"tour_approval", "complaint_handling", "grade_change", "contract_review",
                         "contract_amendment", "customer_admission", "visit_plan", "customer_visit", "grade_review",
                         "grade_review_customer", "satisfaction_survey"}
    assert {i.status for i in engine.instances()} <= {"running", "completed"}  # none failed
    # the steps the seeds' gaps added wait too: departments study a difficult enquiry (002 6.1(5)), the CS
    # department decides whether a tour's photographs may be published (000 第六条5)
    assert "study" in {t.bpmn_id for t in engine.tasks("hetao")} & {t.bpmn_id for t in engine.tasks("xuhui")}
    assert "publish_consent" in {t.bpmn_id for t in engine.tasks("zhangwei")}
    assert load_demo(engine) == 0  # loading twice adds nothing
