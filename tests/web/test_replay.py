"""The replay page: a draft against the deployed version's requests, in words and as counts for the
diagram; process owners only."""
from __future__ import annotations

import json
import re
from html import unescape

from tests.web.conftest import login, open_task, start_request
from tests.web.test_models import APPROVAL

STRICTER = APPROVAL.replace('decision == "approve"', 'decision == "approve" and amount &lt; 1000')


def test_the_replay_page_says_per_request_what_the_draft_would_do(client, web_engine):
    big = start_request(web_engine, customer="大单公司", amount=5000)
    web_engine.complete(open_task(web_engine, big.id, "manager_approval").id, "bob", {"decision": "approve"})
    small = start_request(web_engine, customer="小单公司", amount=300)
    web_engine.complete(open_task(web_engine, small.id, "manager_approval").id, "bob", {"decision": "approve"})
    login(client, "owen")
    draft_id = client.post("/models/small_approval/drafts", json={"xml": STRICTER, "base_version": 1}).json["draft_id"]
    check = client.get(f"/models/drafts/{draft_id}/check").text
    assert f'href="/models/drafts/{draft_id}/replay"' in check and "重放已有申请" in check
    page = client.get(f"/models/drafts/{draft_id}/replay")
    assert page.status_code == 200
    text = unescape(page.text)
    rows = {int(i): v for v, i in re.findall(r'data-verdict="(\w+)" data-instance="(\d+)"', text)}
    assert rows == {big.id: "different", small.id: "same"}
    assert "在「经理意见」处条件 decision == \"approve\" and amount < 1000 不再成立" in text
    assert "申请会走到「修改申请」，而不是原来的「总经理审批」" in text and "amount = 5000" in text
    marks = json.loads(re.search(r'data-replay="([^"]*)"', page.text).group(1).replace("&#34;", '"'))
    assert marks == {"revise": {"different": 1}}
    assert 'data-label-different="{n} 个改道"' in text and 'data-label-stuck="{n} 个卡住"' in text
    # nothing was written: both requests wait where they waited
    assert [t.bpmn_id for t in web_engine.open_tasks(big.id)] == ["gm_approval"]


def test_only_process_owners_replay(client, web_engine):
    login(client, "owen")
    draft_id = client.post("/models/small_approval/drafts", json={"xml": STRICTER, "base_version": 1}).json["draft_id"]
    client.get("/logout")
    login(client, "audrey")  # an auditor may look at models, not replay drafts
    refused = client.get(f"/models/drafts/{draft_id}/replay")
    assert refused.status_code == 403 and "流程管理员" in refused.text


def test_a_draft_with_problems_shows_them_instead_of_a_replay(client, web_engine):
    login(client, "owen")
    broken = APPROVAL.replace('"P3D"', '"three days"')
    draft_id = client.post("/models/small_approval/drafts", json={"xml": broken, "base_version": 1}).json["draft_id"]
    page = client.get(f"/models/drafts/{draft_id}/replay")
    assert page.status_code == 422 and 'id="problems"' in page.text
