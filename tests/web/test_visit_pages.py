"""The visit plan and the visit report as people fill them in: the CS manager's plan is a table of rows
pre-filled with the customers falling due (003 7.2a; 000 制度2 第十一条2), and a refused report keeps what
was typed."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine import Engine
from engine.storage.db import make_engine
from procedures.customer.records import import_customers
from tests.conftest import FORMS, PROCEDURES, WORKFLOWS
from tests.web.conftest import login, make_app

ROUND = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def visits(web_engine, clock):
    """The web tests' database and people, with the company's own forms and the visit diagrams."""
    url = web_engine.sa_engine.url.render_as_string(hide_password=False)
    engine = Engine(make_engine(url), forms_dir=FORMS, clock=clock, extensions=PROCEDURES)
    engine.deploy_paths([WORKFLOWS / "customer_visit.bpmn"], "owen")
    engine.deploy_paths([WORKFLOWS / "visit_plan.bpmn"], "owen")
    engine.fire_due_timers(clock())  # the round due before the register had anyone: nothing to plan
    import_customers(engine, [("福州纺织集团", "A", "福州"), ("泉州服饰有限公司", "B", "泉州")])
    clock.set(ROUND)
    engine.fire_due_timers(ROUND)
    yield engine
    engine.sa_engine.dispose()


def plan_task(engine):
    inst = max(engine.instances("visit_plan"), key=lambda i: i.id)
    [task] = [t for t in engine.open_tasks(inst.id) if t.bpmn_id == "plan_visits"]
    return task


def test_the_cs_manager_plans_the_round_row_by_row(visits):
    client = make_app(visits).test_client()
    task = plan_task(visits)
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200
    assert 'value="泉州服饰有限公司"' in page.text and 'value="福州纺织集团"' in page.text
    assert "000 企业客户关系管理制度2" in page.text  # the documentation cites the seed
    form = {"visits-0-customer": "泉州服饰有限公司", "visits-0-region": "泉州", "visits-0-visitor": "alice",
            "visits-0-planned_on": "2026-12-03", "visits-0-sequence": "1", "visits-0-purpose": "回访新品试用情况",
            # the second row is emptied: 福州 is left out of this round
            "visits-1-customer": "", "visits-1-region": "", "visits-1-visitor": "", "visits-1-planned_on": "",
            "visits-1-sequence": "", "visits-1-purpose": ""}
    done = client.post(f"/tasks/{task.id}", data=form)
    assert done.status_code == 302
    [prepare] = [t for t in visits.tasks("alice") if t.bpmn_id == "prepare"]
    assert visits.task_data(prepare.id)["visit"]["customer"] == "泉州服饰有限公司"


def test_a_report_dated_in_the_future_is_refused_with_the_rule_and_keeps_the_text(visits):
    client = make_app(visits).test_client()
    task = plan_task(visits)
    rows = [dict(r, visitor="alice") for r in visits.task_data(task.id)["visits"]]
    visits.complete(task.id, "bob", {"visits": rows})
    [prepare, _] = [t for t in visits.tasks("alice") if t.bpmn_id == "prepare"]
    visits.complete(prepare.id, "alice", {"objectives": "了解明年需求", "method": "visit", "policies_known": True})
    [report] = [t for t in visits.tasks("alice") if t.bpmn_id == "write_report"]
    login(client, "alice")
    refused = client.post(f"/tasks/{report.id}", data={"visited_on": "2027-03-01", "receiver": "采购部 王经理",
                                                       "needs": "更细旦的弹力纱", "opinions": "希望缩短交货期"})
    assert refused.status_code == 422
    assert "拜访日期不能晚于今天" in refused.text and "更细旦的弹力纱" in refused.text
    assert visits.task(report.id).status == "open"
    # someone else's visit: the page says whose it is and offers no form
    login(client, "dave")
    other = client.get(f"/tasks/{report.id}")
    assert other.status_code == 200 and "此任务由 爱丽丝 办理。" in other.text and 'name="needs"' not in other.text
