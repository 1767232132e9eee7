"""What a browser tour needs to know about one procedure: files, people, how to fill the forms.

The tour in test_tour.py is written against this description only, so another procedure is added by
describing it here and appending it to SCENARIOS, not by writing a new test: its BPMN and forms
folders, its users file, how to fill the application, one Step per task, and what the applicant sees
at the end. TOUR is the real customer plant tour (workflows/tour_approval.bpmn, forms/, the demo
organisation of procedures/users.yaml) on a server whose clock puts the tour four days ahead.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from playwright.sync_api import Page

from tests.conftest import DATA, DEMO_USERS, FORMS, WORKFLOWS

Fill = Callable[[Page], None]


@dataclass(frozen=True)
class Step:
    """One approval on the way: who, which task (its title), which decision button, what to type first."""

    user: str
    task_title: str
    decision: str | None = "approve"  # None: a form without a decision, sent with its one submit button
    fill: Fill | None = None
    claim_first: bool = False
    queue: str = "group"  # where the task waits: "group" (the group queue) or "mine" (already assigned)
    expect: str | None = None  # a regular expression the task page must show (in its instructions, say)


@dataclass(frozen=True)
class Scenario:
    name: str
    process_id: str
    process_name: str
    bpmn_files: tuple[Path, ...]
    forms_dirs: tuple[Path, ...]
    users_file: Path
    applicant: str
    fill_request: Fill  # fills the start form completely
    break_request: Fill  # leaves the start form with one invalid field (the page must answer 422)
    steps: tuple[Step, ...]
    auditor: str
    has_layout: bool = True  # the BPMN carries DI, so the instance page draws it
    final_status: str = "完成"  # the status badge once every step is done: the end event's own words
    password: Callable[[str], str] = field(default=lambda user: f"pw-{user}")
    clock: Callable[[], Callable[[], datetime] | None] = field(default=lambda: None)  # None: the real clock
    current_task: str | None = None  # the BPMN id marked as the open task on the diagram after the last step
    record: tuple[tuple[str, str], ...] = ()  # (label, regular expression) on the instance page's record panel


def _fill_small(page: Page) -> None:
    page.fill("#f-customer", "宏达贸易公司")
    page.fill("#f-amount", "1500")
    page.fill("#f-due_date", "2026-12-31")


def _break_small(page: Page) -> None:
    page.fill("#f-customer", "宏达贸易公司")
    page.fill("#f-amount", "")


SMALL = Scenario(
    name="small_approval",
    process_id="small_approval",
    process_name="小额审批",
    bpmn_files=(DATA / "approval.bpmn",),
    forms_dirs=(DATA / "forms",),
    users_file=DATA / "web_users.yaml",
    applicant="alice",
    fill_request=_fill_small,
    break_request=_break_small,
    steps=(
        Step("bob", "经理审批", fill=lambda page: page.fill("#f-comment", "金额合理，同意"), claim_first=True),
        Step("gina", "总经理审批"),
    ),
    auditor="audrey",
    has_layout=False,  # tests/data/approval.bpmn has no BPMN DI: the page says so instead of drawing
)



class TickingClock:
    """The server's clock: starts at a fixed moment and runs on with real time (so events keep their order)."""

    def __init__(self, start: datetime):
        self.start, self.began = start, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


BEIJING = timezone(timedelta(hours=8))
TOUR_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING)
# Four days ahead of the server's clock: a key-customer tour needs 3 days' notice (seed 000 第二条1).
TOUR_START = TOUR_NOW + timedelta(days=4)


def _fill_tour(page: Page) -> None:
    """The key-customer application of tests/scenarios/test_tour_approval.py, typed into the start form."""
    page.fill("#f-customer", "福州纺织集团")
    page.fill("#f-contact_person", "王经理")
    page.fill("#f-contact_phone", "13800138000")
    page.check("input[name=tour_type][value=key]")
    page.fill("#f-tour_start", TOUR_START.strftime("%Y-%m-%dT%H:%M"))  # the user's time zone: Beijing
    page.fill("#f-visitors", "6")
    page.fill("#f-purpose", "考察生产线")
    page.check("input[name=areas][value=showroom]")
    page.check("input[name=areas][value=workshop]")


def _break_tour(page: Page) -> None:
    _fill_tour(page)
    page.fill("#f-contact_phone", "12345")  # not a phone number: the pattern refuses it


def _fill_cs_review(page: Page) -> None:
    page.fill("#f-tour_content", "参观生产线与质检流程")
    page.fill("#f-tour_scope", "一车间、质检实验室")
    page.fill("#f-tour_route", "展厅→一车间→实验室")


def _fill_gate(page: Page) -> None:
    page.check("#f-arrived")
    page.fill("#f-badges_issued", "6")


PERMIT = r"CG-2026-\d{4}"  # CG-<year>-<4 digits>, the year of the server's clock

TOUR = Scenario(
    name="tour_approval",
    process_id="tour_approval",
    process_name="客户参观审批",
    bpmn_files=(WORKFLOWS / "tour_approval.bpmn",),
    forms_dirs=(FORMS,),
    users_file=DEMO_USERS,
    applicant="liuyang",  # 客户服务部人员
    fill_request=_fill_tour,
    break_request=_break_tour,
    steps=(
        Step("zhangwei", "客户服务部经理审核", fill=_fill_cs_review, claim_first=True),  # 客户服务部经理
        Step("wangqiang", "总经理审批", fill=lambda page: page.fill("#f-comment", "同意接待")),  # 总经理
        # 门卫: the permit number is in the instructions; a form without a decision.
        Step("maliang", "门卫登记/发放胸卡", decision=None, fill=_fill_gate, expect=f"许可编号 {PERMIT}"),
    ),
    auditor="huangyan",
    final_status="进行中",  # after the gate the applicant still records the tour's end (参观完成登记)
    password=lambda user: "demo123",
    clock=lambda: TickingClock(TOUR_NOW),
    current_task="done",
    record=(("许可编号", PERMIT),),  # the record panel's label for permit.permit_no
)

SCENARIOS = (SMALL, TOUR)
