"""A process owner replays the plant tour's demo history through a draft whose notice periods changed, and
sees, in the browser, which requests would have taken another path and where."""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from procedures.demo import load_demo
from tests.browser.conftest import LiveServer
from tests.browser.test_modeler import sign_in
from tests.conftest import DEMO_USERS, FORMS, PROCEDURES, WORKFLOWS, build_engine
from web import create_app


@pytest.fixture
def company_site(browser, bpmn_js, tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'replay.sqlite3'}", None, DEMO_USERS, FORMS, extensions=PROCEDURES)
    engine.deploy_paths(sorted(WORKFLOWS.glob("*.bpmn")) + sorted(WORKFLOWS.glob("*.dmn")), "luoming")
    load_demo(engine)
    app = create_app({"ENGINE": engine, "SECRET_KEY": os.urandom(16).hex(), "WTF_CSRF_ENABLED": True})
    with LiveServer(app) as server:
        yield engine, server
    engine.sa_engine.dispose()


def test_owner_replays_the_tour_history_through_longer_notice_periods(browser, company_site, artifacts):
    engine, server = company_site
    [deployed] = engine.definitions("tour_approval")[-1:]
    longer = engine.definition_xml(deployed.id).replace("'ordinary': 24,", "'ordinary': 24 * 60,").replace(
        "'key': 72, 'group': 72", "'key': 72 * 20, 'group': 72 * 20")
    draft = engine.save_draft("tour_approval", deployed.filename, longer, "luoming", base_version=deployed.version)
    expected = engine.replay_draft(draft.id, "luoming")
    assert expected.counts["different"] >= 1

    page = sign_in(browser, server.url, "luoming")
    page.goto(f"{server.url}/models/drafts/{draft.id}/check")
    page.click("#replay")
    expect(page).to_have_url(f"{server.url}/models/drafts/{draft.id}/replay")
    expect(page.locator("h1")).to_have_text("部署前重放")
    counts = page.locator("#replay-counts").inner_text()
    assert f"{expected.counts['different']}\n走另一条路" in counts or f"{expected.counts['different']} 走另一条路" in counts
    rerouted = page.locator("#replays tr[data-verdict=different]")
    expect(rerouted).to_have_count(expected.counts["different"])
    first = rerouted.filter(has_text="是否满足提前期").first
    expect(first).to_contain_text("条件 must_return 成立")
    expect(first).to_contain_text("申请会走到「记录退回」，而不是原来的")
    expect(page.locator("#replays tr[data-verdict=same]").first).to_contain_text("路径相同")
    # the diagram counts the requests sent another way at the step where they part
    badge = page.locator("#check-diagram .diagram-badge.rerouted")
    expect(badge).to_have_text(re.compile(r"\d+ 个改道"))
    assert page.locator("#check-diagram").get_attribute("data-state") == "ready"
    page.screenshot(path=str(artifacts / "replay-tour.png"), full_page=True)
    # nothing was written: the requests wait where they waited
    assert engine.replay_draft(draft.id, "luoming").counts == expected.counts
