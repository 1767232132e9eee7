"""A process owner edits a grade rule in the browser's decision-table editor, checks it and reads the change
in plain words: the rule, and which inputs would now get another grade; an overlapping UNIQUE table is
refused with the rules named."""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer
from tests.browser.test_modeler import sign_in
from tests.conftest import DEMO_USERS, FORMS, IN_CI, PROCEDURES, ROOT, WORKFLOWS, build_engine
from web import create_app

DMN_MODELER = ROOT / "node_modules" / "dmn-js" / "dist" / "dmn-modeler.production.min.js"


@pytest.fixture
def rules_site(browser, tmp_path):
    if not DMN_MODELER.is_file():
        if IN_CI:
            pytest.fail("node_modules/dmn-js is missing: CI must run `npm install --no-audit --no-fund`")
        pytest.skip("dmn-js is not installed (npm install --no-audit --no-fund)")
    engine = build_engine(f"sqlite:///{tmp_path / 'rules.sqlite3'}", None, DEMO_USERS, FORMS, extensions=PROCEDURES)
    engine.deploy_paths([WORKFLOWS / "grade_rules.dmn"], "luoming")
    app = create_app({"ENGINE": engine, "SECRET_KEY": os.urandom(16).hex(), "WTF_CSRF_ENABLED": True})
    with LiveServer(app) as server:
        yield engine, server
    engine.sa_engine.dispose()


def edit_cell(page, element_id: str, text: str) -> None:
    cell = page.locator(f'#dmn-canvas td[data-element-id="{element_id}"]')
    cell.click()
    editable = cell.locator("[contenteditable]").first
    editable.press("Control+a")
    editable.type(text)


def test_owner_raises_the_b_threshold_and_reads_which_customers_change_grade(browser, rules_site, artifacts):
    engine, server = rules_site
    page = sign_in(browser, server.url, "luoming")
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{server.url}/models/grade_rules")
    page.click("#edit-newest")
    expect(page.locator("#dmn-editor")).to_have_attribute("data-state", "ready")
    expect(page.locator("#dmn-canvas")).to_contain_text("年业务量（元）")
    edit_cell(page, "rule_grade_b_volume", ">= 1500000")
    page.fill("#draft-name", "B类门槛提高到150万")
    page.screenshot(path=str(artifacts / "dmn-edit.png"), full_page=True)
    page.click("#save-check")
    expect(page).to_have_url(re.compile(r"/models/drafts/\d+/check$"))
    changes = page.locator("#decision-changes")
    expect(changes).to_contain_text("规则 2：由「当 年业务量（元） >= 1000000 → \"B\"」改为「当 年业务量（元） >= 1500000 → \"B\"」")
    expect(changes).to_contain_text("输入 年业务量（元） = 1000000")
    expect(changes).to_contain_text("结果由 \"B\" 变为 \"C\"")
    expect(page.locator("#deploy")).to_be_visible()
    page.screenshot(path=str(artifacts / "dmn-check.png"), full_page=True)
    [draft] = engine.drafts("grade_rules")
    assert draft.name == "B类门槛提高到150万" and "&gt;= 1500000" in engine.draft_xml(draft.id)
    assert problems == []


def test_an_overlapping_unique_table_is_refused_with_the_rules_named(browser, rules_site, artifacts):
    engine, server = rules_site
    [deployed] = engine.definitions("grade_rules")
    unique = engine.definition_xml(deployed.id).replace('hitPolicy="FIRST"', 'hitPolicy="UNIQUE"')
    draft = engine.save_draft("grade_rules", deployed.filename, unique, "luoming", base_version=1)
    page = sign_in(browser, server.url, "luoming")
    page.goto(f"{server.url}/models/drafts/{draft.id}/check")
    listing = page.locator("#problems")
    expect(listing).to_contain_text("UNIQUE 决策表的规则重叠")
    expect(listing).to_contain_text("rules 1, 2")
    expect(page.locator("#deploy")).to_have_count(0)
    page.screenshot(path=str(artifacts / "dmn-overlap.png"), full_page=True)
