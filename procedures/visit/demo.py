"""Demo visits: the planning round due since the cycle began, waiting for the CS manager's regional plan,
and a visit outside the plan waiting for its preparation."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

WORKFLOWS = Path(__file__).resolve().parent.parent.parent / "workflows"


def seed(engine, clock_now: datetime) -> int:
    """Deploy both diagrams, let the worker start the rounds already due, and ask for one visit by hand."""
    if not engine.definitions("customer_visit"):
        engine.deploy_paths([WORKFLOWS / "customer_visit.bpmn"])
    if not engine.definitions("visit_plan"):
        engine.deploy_paths([WORKFLOWS / "visit_plan.bpmn"])
    before = engine.count_instances("visit_plan")
    engine.fire_due_timers(clock_now)
    engine.start("customer_visit", "liuyang", {"customer": "泉州服饰有限公司", "planned_on": clock_now.date().isoformat(),
                                               "purpose": "了解新一季面料需求，回访上月交货质量"})
    return engine.count_instances("visit_plan") - before + 1
