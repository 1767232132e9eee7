"""A process owner edits a diagram in the browser: rename a task, save a draft, read the change, deploy, start v2."""
from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, forms_folder
from tests.conftest import DEMO_USERS, FORMS, IN_CI, PROCEDURES, ROOT, WORKFLOWS, build_engine
from web import create_app

MODELER = ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-modeler.production.min.js"


@pytest.fixture
def modeler_bundle(bpmn_js):
    if not MODELER.is_file():
        if IN_CI:
            pytest.fail("node_modules/bpmn-js has no modeler bundle: CI must run `npm install --no-audit --no-fund`")
        pytest.skip("the bpmn-js modeler is not installed (npm install --no-audit --no-fund)")
    return MODELER


@pytest.fixture
def tour_site(browser, modeler_bundle, tmp_path):
    """The plant-tour procedure (it carries BPMN DI) deployed for the demo organisation, served with CSRF on."""
    forms = forms_folder(tmp_path / "forms", [FORMS])
    engine = build_engine(f"sqlite:///{tmp_path / 'modeler.sqlite3'}", None, DEMO_USERS, forms, extensions=PROCEDURES)
    engine.deploy_paths([WORKFLOWS / "tour_approval.bpmn"], "luoming")
    app = create_app({"ENGINE": engine, "SECRET_KEY": os.urandom(16).hex(), "WTF_CSRF_ENABLED": True})
    with LiveServer(app) as server:
        yield engine, server
    engine.sa_engine.dispose()


def sign_in(browser, base: str, user: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(20000)
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", "demo123")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/(inbox|models/?)$"))  # an idle process owner lands on the models
    return page


def test_owner_renames_a_task_saves_checks_deploys_and_starts_version_2(browser, tour_site, artifacts):
    engine, server = tour_site
    page = sign_in(browser, server.url, "luoming")
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)

    page.click("header nav >> text=流程模型")
    expect(page).to_have_url(f"{server.url}/models/")
    page.locator("#process-tour_approval").get_by_text("编辑最新版本").click()
    expect(page).to_have_url(f"{server.url}/models/tour_approval/edit")
    expect(page.locator("#modeler")).to_have_attribute("data-state", "ready")

    # Select the account manager's task on the canvas and rename it in our properties panel.
    page.locator('#modeler-canvas [data-element-id="am_approve"]').click()
    expect(page.locator("#prop-id")).to_have_text("am_approve")
    expect(page.locator("#prop-name")).to_have_value("客户经理核准")
    expect(page.locator("#prop-form")).to_be_visible()
    page.fill("#prop-name", "客户经理审核确认")
    page.click("#props-apply")
    expect(page.locator('#modeler-canvas [data-element-id="am_approve"]')).to_contain_text("客户经理审核确认")
    expect(page.locator("#modeler")).to_have_attribute("data-dirty", "true")
    page.screenshot(path=str(artifacts / "modeler-edit.png"), full_page=True)

    # The XML tab shows the same diagram, renamed; back on the diagram nothing is lost.
    page.click("#tab-xml")
    expect(page.locator("#xml-text")).to_be_visible()
    assert 'name="客户经理审核确认"' in page.locator("#xml-text").input_value()
    page.click("#tab-diagram")
    expect(page.locator('#modeler-canvas [data-element-id="am_approve"]')).to_contain_text("客户经理审核确认")

    # A lane naming no group: the check lists it, marks it on the diagram and offers no deploy button.
    page.click("#tab-xml")
    page.fill("#xml-text", page.locator("#xml-text").input_value().replace('name="gatekeeper"', 'name="nobody"'))
    page.click("#save-check")
    expect(page).to_have_url(re.compile(r"/models/drafts/\d+/check$"))
    expect(page.locator("#problems")).to_contain_text("泳道名不是已知的用户组")
    expect(page.locator("#problems")).to_contain_text("Lane_gatekeeper")
    expect(page.locator("#check-diagram")).to_have_attribute("data-state", "ready")
    expect(page.locator('#check-diagram [data-element-id="Lane_gatekeeper"].has-problem')).to_have_count(1)
    expect(page.locator("#deploy")).to_have_count(0)
    page.screenshot(path=str(artifacts / "modeler-problem.png"), full_page=True)

    # Back in the editor (the same draft), fixed in the XML tab; the diagram reads the fixed XML.
    page.click("text=编辑草稿")
    expect(page).to_have_url(re.compile(r"/models/drafts/\d+/edit$"))
    expect(page.locator("#modeler")).to_have_attribute("data-state", "ready")
    page.click("#tab-xml")
    page.fill("#xml-text", page.locator("#xml-text").input_value().replace('name="nobody"', 'name="gatekeeper"'))
    page.click("#tab-diagram")
    expect(page.locator("#pane-diagram")).to_be_visible()
    expect(page.locator("#modeler-message")).to_be_hidden()
    expect(page.locator('#modeler-canvas [data-element-id="am_approve"]')).to_contain_text("客户经理审核确认")
    page.click("#save-check")
    expect(page).to_have_url(re.compile(r"/models/drafts/\d+/check$"))
    assert len(engine.drafts("tour_approval")) == 1  # saved over the same draft
    preview = page.locator("#preview")
    expect(preview).to_contain_text("am_approve 由“客户经理核准”改名为“客户经理审核确认”")
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator("#check-diagram")).to_have_attribute("data-state", "ready")
    expect(page.locator('#check-diagram [data-element-id="am_approve"].is-changed')).to_have_count(1)
    page.screenshot(path=str(artifacts / "modeler-check.png"), full_page=True)

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("#deploy")
    page.wait_for_timeout(300)
    assert asked and "部署第 2 版" in asked[0] and "仍按其发起时的版本" in asked[0]
    assert [d.version for d in engine.definitions("tour_approval")] == [1]  # dismissed: nothing deployed
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#deploy")
    expect(page).to_have_url(f"{server.url}/models/tour_approval?version=2")
    expect(page.locator(".flash-success")).to_contain_text("第 2 版已部署")
    expect(page.locator("#v2.highlight")).to_be_visible()
    page.screenshot(path=str(artifacts / "modeler-deployed.png"), full_page=True)

    page.click("header nav >> text=发起申请")
    card = page.locator(".card", has_text="客户参观")
    expect(card).to_contain_text("第 2 版")
    assert [d.version for d in engine.definitions("tour_approval")] == [1, 2]
    start = engine.now() + timedelta(days=5)
    instance = engine.start("tour_approval", "liuyang", {
        "customer": "福州纺织集团", "contact_person": "王经理", "contact_phone": "13800138000", "tour_type": "ordinary",
        "tour_start": start.isoformat(), "visitors": 6, "purpose": "考察生产线", "areas": ["showroom"],
        "photo_requested": False, "special_case": False})
    assert instance.definition_version == 2
    assert "客户经理审核确认" in [t.title for t in engine.open_tasks(instance.id)]
    assert problems == [], problems
    page.context.close()


def test_owner_names_renames_compares_and_deletes_drafts(browser, tour_site, artifacts):
    engine, server = tour_site
    page = sign_in(browser, server.url, "luoming")
    page.goto(f"{server.url}/models/tour_approval/edit")
    expect(page.locator("#modeler")).to_have_attribute("data-state", "ready")
    page.locator('#modeler-canvas [data-element-id="am_approve"]').click()
    page.fill("#prop-name", "客户经理审核确认")
    page.click("#props-apply")
    page.fill("#draft-name", "客户经理核准改名")
    page.click("#save-draft")
    expect(page.locator("#modeler-status")).to_contain_text("草稿已于")
    page.click("#save-draft")  # a second save keeps the one draft
    expect(page.locator("#modeler-status")).to_contain_text("草稿已于")
    [draft] = engine.drafts("tour_approval")
    assert draft.name == "客户经理核准改名" and draft.revision >= 1

    page.goto(f"{server.url}/models/tour_approval")
    item = page.locator(f"#draft-{draft.id}")
    expect(item.locator(".draft-title")).to_have_text("客户经理核准改名")
    expect(item).to_contain_text("罗明")
    item.locator("input[name=name]").fill("改名：客户经理审核确认")
    item.get_by_role("button", name="改名").click()
    expect(page.locator(".flash-success")).to_contain_text("草稿已改名为「改名：客户经理审核确认」")
    expect(page.locator(f"#draft-{draft.id} .draft-title")).to_have_text("改名：客户经理审核确认")
    page.screenshot(path=str(artifacts / "drafts-named.png"), full_page=True)

    page.locator(f"#draft-{draft.id}").get_by_text("对比、检查并部署").click()
    expect(page.locator("#preview")).to_contain_text("am_approve 由“客户经理核准”改名为“客户经理审核确认”")

    page.goto(f"{server.url}/models/tour_approval")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator(f"#draft-{draft.id}").get_by_role("button", name="删除").click()
    expect(page.locator(".flash-info")).to_contain_text("草稿已删除")
    assert asked and "删除草稿「改名：客户经理审核确认」" in asked[0]
    assert engine.drafts("tour_approval") == []
