"""What a browser tour needs to know about one procedure: files, people, how to fill the forms.

The tour in test_tour.py is written against this description only, so another procedure (the
customer plant tour) is added by describing it here and appending it to SCENARIOS, not by writing
a new test: its BPMN and forms folders, its users file (engine/demo/users.yaml with
`password=lambda user: "demo123"`), how to fill the application, and one Step per approval.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from playwright.sync_api import Page

from tests.conftest import DATA

Fill = Callable[[Page], None]


@dataclass(frozen=True)
class Step:
    """One approval on the way: who, which task (its title), which decision button, what to type first."""

    user: str
    task_title: str
    decision: str = "approve"
    fill: Fill | None = None
    claim_first: bool = False
    queue: str = "group"  # where the task waits: "group" (the group queue) or "mine" (already assigned)


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
    final_status: str = "已完成"  # the status badge once every step is done
    password: Callable[[str], str] = field(default=lambda user: f"pw-{user}")


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

SCENARIOS = (SMALL,)
