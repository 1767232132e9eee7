"""客户拜访计划 (visit_plan) and 客户拜访 (customer_visit), walked end to end.

Seeds: 003 客户管理制度 7.2a (A and B customers visited at least once every 2 months), 7.3 (客户拜访报告:
latest needs, opinions and suggestions); 000 企业客户关系管理制度1 第三条-第七条 (preparation), 第十六条 (report,
promises kept); 制度2 第三条 (the CS manager owns the regional plan), 第十一条2 (客户拜访表: customer,
purpose, region, date, order).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine.errors import FormInvalid, NotAllowed
from procedures.customer.records import Customer, import_customers
from procedures.visit.records import CustomerVisit, VisitPlan
from procedures.visit.report import visit_rows
from tests.conftest import WORKFLOWS, rows

UTC = timezone.utc
ROUND = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # a due time of the diagram's cycle (R/2026-11-02T01:00Z/P28D)


@pytest.fixture
def visits(engine, clock):
    engine.deploy_paths([WORKFLOWS / "customer_visit.bpmn"], "luoming")
    engine.deploy_paths([WORKFLOWS / "visit_plan.bpmn"], "luoming")
    # deployed after the cycle's first due time (2026-11-02): the worker starts that round at once, and
    # with no customer in the register yet it has nothing to plan
    assert engine.fire_due_timers(clock()) == 1
    [first] = engine.instances("visit_plan")
    assert (engine.instance(first.id).status, engine.instance(first.id).outcome) == ("completed", "not_applicable")
    import_customers(engine, [("福州纺织集团", "A"), ("泉州服饰有限公司", "B"), ("厦门面料贸易公司", "C")])
    with engine.session() as s:  # regions as the admission review records them
        for name, region in (("福州纺织集团", "福州"), ("泉州服饰有限公司", "泉州")):
            s.execute(Customer.__table__.update().where(Customer.name == name).values(region=region))
        s.commit()
    return engine


def open_round(engine, clock, when=ROUND):
    """The worker at a due time of the cycle: one planning round starts; returns its instance."""
    clock.set(when)
    engine.fire_due_timers(when)
    return max(engine.instances("visit_plan"), key=lambda i: i.id)


def tasks(engine, instance_id, bpmn_id):
    return [t for t in engine.open_tasks(instance_id) if t.bpmn_id == bpmn_id]


def listed(engine, instance_id) -> list[dict]:
    """The customers a round put forward, as the CS manager's plan form shows them."""
    [task] = tasks(engine, instance_id, "plan_visits")
    return engine.task_data(task.id)["visits"]


def plan(engine, instance_id, edit=None, user="zhangwei"):
    [task] = tasks(engine, instance_id, "plan_visits")
    rows_ = [dict(v) for v in listed(engine, instance_id)]
    for row in rows_:
        row.update((edit or {}).get(row["customer"], {}))
    return engine.complete(task.id, user, {"visits": rows_})


def prepare(engine, task, user):
    return engine.complete(task.id, user, {"objectives": "了解明年采购计划", "method": "visit", "policies_known": True,
                                           "materials": ["brochures", "cards"]})


def report(engine, task, user, promises=None, visited_on="2026-12-02"):
    data = {"visited_on": visited_on, "receiver": "采购部 王经理", "decision_maker": True,
            "needs": "明年需要更细旦的弹力纱", "opinions": "希望缩短交货期"}
    if promises:
        data["promises"] = promises
    return engine.complete(task.id, user, data)


def test_a_round_every_four_weeks_plans_every_a_and_b_customer_by_region(visits, clock):
    """7.2a: A and B (never C) customers; 制度2 第三条: the CS manager plans; 第十一条2: by region and order."""
    import_customers(visits, [("福州织带厂", "B", "福州")])
    assert visits.scheduled_starts()[0][:2] == ("visit_plan", ROUND)
    inst = open_round(visits, clock)
    assert visits.scheduled_starts()[0][:2] == ("visit_plan", ROUND + timedelta(days=28))
    [task] = tasks(visits, inst.id, "plan_visits")
    assert task.lane == "cs_manager" and task.candidate_groups == ("cs_manager",)
    assert [(v["customer"], v["grade"], v["region"], v["sequence"], v["due_by"]) for v in listed(visits, inst.id)] == [
        ("泉州服饰有限公司", "B", "泉州", 1, "2026-11-30"), ("福州纺织集团", "A", "福州", 1, "2026-11-30"),
        ("福州织带厂", "B", "福州", 2, "2026-11-30")]


def test_planned_visits_go_to_the_named_visitor_prepared_reported_and_done(visits, clock):
    """000 第三条-第七条 preparation, 7.3 the report, 第十六条 done when nothing was promised."""
    inst = open_round(visits, clock)
    plan(visits, inst.id, {"福州纺织集团": {"visitor": "liuyang", "planned_on": "2026-12-02"},
                           "泉州服饰有限公司": {"visitor": "nobody-here"}})
    assert len(tasks(visits, inst.id, "prepare")) == 2
    fuzhou = next(t for t in tasks(visits, inst.id, "prepare") if t.candidate_users == ("liuyang",))
    other = next(t for t in tasks(visits, inst.id, "prepare") if t is not fuzhou)
    # a visitor who is not in the CS staff: the whole group may take it, so it never waits on nobody
    assert other.candidate_groups == ("cs_staff",) and other.candidate_users == ()
    with pytest.raises(NotAllowed):
        prepare(visits, fuzhou, "chenjing")
    prepare(visits, fuzhou, "liuyang")
    [rep] = [t for t in tasks(visits, inst.id, "write_report") if t.candidate_users == ("liuyang",)]
    clock.set(datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    report(visits, rep, "liuyang")
    [made] = rows(visits, select(CustomerVisit).where(CustomerVisit.visitor == "liuyang"))
    assert (made.status, made.visited_on, made.report["needs"], made.preparation["method"]) == \
        ("done", date(2026, 12, 2), "明年需要更细旦的弹力纱", "visit")
    assert made.report["reported_by"] == "liuyang" and made.plan_id is not None
    assert visits.instance(inst.id).status == "running"  # the other visit is still to be made
    # the other visit, by the group, with a promise to follow up
    prepare(visits, other, "chenjing")
    [rep2] = tasks(visits, inst.id, "write_report")
    report(visits, rep2, "chenjing", promises="寄送新品小样")
    [follow] = tasks(visits, inst.id, "follow_up")
    assert visits.task_data(follow.id)["promises"] == "寄送新品小样"
    done = visits.complete(follow.id, "chenjing", {"follow_up_result": "小样已于12月3日寄出"})
    assert done.status == "completed" and done.outcome == "done"
    visited = rows(visits, select(CustomerVisit).order_by(CustomerVisit.id))
    assert [(v.status, v.follow_up, v.follow_up_result) for v in visited if v.follow_up] == \
        [("done", "寄送新品小样", "小样已于12月3日寄出")]


def test_the_next_round_lists_only_customers_due_within_six_weeks(visits, clock):
    """7.2a: the next visit is due 2 months after the last; planned ones are not listed twice."""
    inst = open_round(visits, clock)
    plan(visits, inst.id, {"福州纺织集团": {"visitor": "liuyang"}, "泉州服饰有限公司": {"visitor": "chenjing"}})
    for user in ("liuyang", "chenjing"):
        [t] = [t for t in tasks(visits, inst.id, "prepare") if t.candidate_users == (user,)]
        prepare(visits, t, user)
    [t] = [t for t in tasks(visits, inst.id, "write_report") if t.candidate_users == ("liuyang",)]
    report(visits, t, "liuyang", visited_on="2026-11-30")
    # four weeks later (horizon 42 days, to 2027-02-08): 福州 was visited on 11-30, so it is due again on
    # 01-30 and listed; 泉州 still has its visit planned and is not listed twice
    nxt = open_round(visits, clock, ROUND + timedelta(days=28))
    assert [(v["customer"], v["due_by"], v["last_visited_on"]) for v in listed(visits, nxt.id)] == \
        [("福州纺织集团", "2027-01-30", "2026-11-30")]
    # a round started while that plan is still being made puts nobody forward again
    again = open_round(visits, clock, ROUND + timedelta(days=56))
    assert visits.instance(again.id).outcome == "not_applicable"


def test_an_overdue_report_tells_the_cs_manager(visits, clock):
    """7.2a: at most 2 months; the report task is due on the visit's due day and the manager is told after."""
    inst = open_round(visits, clock)
    plan(visits, inst.id, {"福州纺织集团": {"visitor": "liuyang"}, "泉州服饰有限公司": {"visitor": "liuyang"}})
    for t in tasks(visits, inst.id, "prepare"):
        prepare(visits, t, "liuyang")
    [first, _] = tasks(visits, inst.id, "write_report")
    assert first.due_at is not None
    clock.set(first.due_at + timedelta(seconds=1))
    visits.fire_due_timers(clock())
    told = [e.data for e in visits.audit_trail(inst.id) if e.kind == "notified"]
    assert {n["to"] for n in told} == {"group:cs_manager"} and len(told) == 2
    assert all("7.2a" in n["body"] for n in told)
    assert len(tasks(visits, inst.id, "write_report")) == 2  # still to be written: the reminder does not cancel it


def test_a_visit_asked_for_by_hand_needs_an_admitted_customer(visits, clock):
    """Visits outside the plan by the CS staff; a customer not admitted (003 6.1) gets no visit."""
    inst = visits.start("customer_visit", "liuyang", {"customer": "厦门面料贸易公司", "planned_on": "2026-11-25",
                                                     "purpose": "投诉处理后回访"})
    [t] = tasks(visits, inst.id, "prepare")
    assert t.candidate_users == ("liuyang",)
    [visit] = rows(visits, select(CustomerVisit))
    assert (visit.plan_id, visit.visitor, visit.status) == (None, "liuyang", "planned")
    unknown = visits.start("customer_visit", "liuyang", {"customer": "未登记公司", "planned_on": "2026-11-25",
                                                        "purpose": "拜访"})
    after = visits.instance(unknown.id)
    assert after.outcome == "not_applicable"
    [note] = [e.data for e in visits.audit_trail(unknown.id) if e.kind == "notified"]
    assert note["to"] == "liuyang" and "客户准入评审" in note["body"]
    with pytest.raises(NotAllowed):  # the sales department does not start CS visits
        visits.start("customer_visit", "sunli", {"customer": "福州纺织集团", "planned_on": "2026-11-25",
                                                "purpose": "拜访"})


def test_bad_plans_and_reports_are_refused_and_lose_nothing(visits, clock):
    inst = open_round(visits, clock)
    [task] = tasks(visits, inst.id, "plan_visits")
    with pytest.raises(FormInvalid):
        visits.complete(task.id, "zhangwei", {"visits": []})
    with pytest.raises(NotAllowed):
        plan(visits, inst.id, user="liuyang")  # staff carry the plan out, the manager makes it
    # a row naming a customer that was never admitted (a typo, or a new customer) is left out, and the
    # manager is told why; the rest of the plan goes ahead
    [task] = tasks(visits, inst.id, "plan_visits")
    rows_ = [dict(v, visitor="liuyang") for v in listed(visits, inst.id)]
    rows_.append({"customer": "福州纺织集", "region": "福州", "planned_on": "2026-12-01", "sequence": 2,
                  "purpose": "拜访"})
    visits.complete(task.id, "zhangwei", {"visits": rows_})
    [told] = [e.data for e in visits.audit_trail(inst.id) if e.kind == "notified"]
    assert told["to"] == "zhangwei" and "福州纺织集" in told["subject"] and "客户准入评审" in told["body"]
    assert len(tasks(visits, inst.id, "prepare")) == 2
    t = tasks(visits, inst.id, "prepare")[0]
    prepare(visits, t, "liuyang")
    [rep] = [r for r in tasks(visits, inst.id, "write_report")]
    with pytest.raises(FormInvalid) as future:
        report(visits, rep, "liuyang", visited_on="2027-01-05")
    assert "晚于今天" in str(future.value)
    with pytest.raises(FormInvalid) as missing:
        visits.complete(rep.id, "liuyang", {"visited_on": "2026-11-30", "receiver": "王经理"})
    assert {e.field for e in missing.value.errors} == {"needs", "opinions"}
    assert tasks(visits, inst.id, "write_report")[0].status == "open"


def test_the_report_shows_plan_against_visits_made(visits, clock):
    """The seeds' own check: visits planned vs made per customer, overdue when 2 months pass (7.2a)."""
    inst = open_round(visits, clock)
    with visits.session() as s:  # put forward, the manager still planning
        assert {r["status"] for r in visit_rows(s, clock())} == {"已到期，计划编制中"}
    plan(visits, inst.id, {"福州纺织集团": {"visitor": "liuyang"}, "泉州服饰有限公司": {"visitor": "liuyang"}})
    for t in tasks(visits, inst.id, "prepare"):
        prepare(visits, t, "liuyang")
    [first, _] = tasks(visits, inst.id, "write_report")
    report(visits, first, "liuyang", visited_on="2026-11-30")
    with visits.session() as s:
        table = {r["customer"]: r for r in visit_rows(s, datetime(2026, 12, 1, tzinfo=UTC))}
    assert set(table) == {"福州纺织集团", "泉州服饰有限公司"}  # C customers are not required
    made = [r for r in table.values() if r["made"] == 1]
    [waiting] = [r for r in table.values() if r["made"] == 0]
    assert made[0]["planned"] == 1 and made[0]["due_by"] == "2027-01-30" and made[0]["status"] == "按期"
    assert (waiting["planned"], waiting["open"], waiting["status"]) == (1, 1, "已到期，已安排拜访")
    # a never-visited customer with nothing planned is due at once, and says so
    clock.set(datetime(2026, 12, 1, tzinfo=UTC))
    import_customers(visits, [("宁德布业有限公司", "B")])
    with visits.session() as s:
        [new] = [r for r in visit_rows(s, clock()) if r["customer"] == "宁德布业有限公司"]
    assert (new["planned"], new["made"], new["due_by"], new["status"]) == (0, 0, "2026-12-01", "已到期，未安排拜访")
    assert [p.planned_by for p in rows(visits, select(VisitPlan).where(VisitPlan.planned_at.is_not(None)))] == \
        ["zhangwei"]

