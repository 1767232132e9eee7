"""The models area's editor drafts (JSON from modeler.js), migration dry run and confirm, CSRF on every change."""
from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import pytest

from tests.web.conftest import csrf_login, csrf_token, login, make_app, open_task, start_request
from tests.web.test_models import APPROVAL, RENAMED

# Version 2 without the GM task: requests waiting there cannot move; those at the manager can.
GM_REMOVED = (re.sub(r'    <bpmn:userTask id="gm_approval".*?</bpmn:userTask>\n', "", APPROVAL, flags=re.S)
              .replace("        <bpmn:flowNodeRef>gm_approval</bpmn:flowNodeRef>\n", "")
              .replace('    <bpmn:sequenceFlow id="f_gm_done" sourceRef="gm_approval" targetRef="end_done" />\n', "")
              .replace('targetRef="gm_approval"', 'targetRef="end_done"')
              .replace("<bpmn:incoming>f_gm_done</bpmn:incoming>", "<bpmn:incoming>f_approve</bpmn:incoming>"))


def save(client, xml: str, **extra):
    return client.post("/models/small_approval/drafts", json={"xml": xml, **extra})


def test_editor_page_opens_the_newest_version(client):
    login(client, "owen")
    page = client.get("/models/small_approval/edit").text
    assert 'data-xml-url="/models/versions/1/download"' in page and 'data-base-version="1"' in page
    assert 'data-save-url="/models/small_approval/drafts"' in page and 'data-csrf="' in page
    assert "bpmn-modeler.production.min.js" in page and "modeler-props.js" in page and "modeler.js" in page
    assert 'id="xml-text"' in page and 'id="prop-form"' in page and "<script>" not in page


def test_modeler_assets_are_served(app, client):
    dist = Path(app.config["BPMN_JS_DIST"])
    if not (dist / "bpmn-modeler.production.min.js").is_file():
        pytest.skip("bpmn-js is not installed (npm install --no-audit --no-fund)")
    login(client, "owen")
    for name in ("bpmn-modeler.production.min.js", "assets/bpmn-font/css/bpmn.css", "assets/bpmn-font/font/bpmn.woff2"):
        with client.get(f"/vendor/bpmn-js/{name}") as response:
            assert response.status_code == 200, name
    assert client.get("/vendor/bpmn-js/bpmn-modeler.development.js").status_code == 404


def test_save_draft_then_update_it_then_open_and_discard(client, web_engine):
    login(client, "owen")
    first = save(client, RENAMED, base_version=1)
    body = first.get_json()
    assert first.status_code == 200 and body["ok"] and body["check_url"] == f"/models/drafts/{body['draft_id']}/check"
    again = save(client, APPROVAL, draft_id=body["draft_id"], base_version=1).get_json()
    assert again["draft_id"] == body["draft_id"] and "草稿已于" in again["message"]
    [draft] = web_engine.drafts()
    assert (draft.filename, draft.base_version, draft.saved_by) == ("approval.bpmn", 1, "owen")
    assert client.get(f"/models/drafts/{draft.id}/xml").data.decode("utf-8") == APPROVAL
    page = client.get(f"/models/drafts/{draft.id}/edit").text
    assert f'data-draft-id="{draft.id}"' in page and f'data-xml-url="/models/drafts/{draft.id}/xml"' in page
    assert f'href="/models/drafts/{draft.id}/check"' in client.get("/models/small_approval").text
    assert client.post(f"/models/drafts/{draft.id}/discard").status_code == 302
    assert web_engine.drafts() == []


def test_drafts_are_named_renamed_and_saved_only_over_what_was_opened(client, web_engine):
    login(client, "owen")
    body = save(client, RENAMED, base_version=1, name="经理改名").get_json()
    assert (body["name"], body["revision"]) == ("经理改名", 1)
    editor = client.get(f"/models/drafts/{body['draft_id']}/edit").text
    assert 'data-revision="1"' in editor and 'value="经理改名"' in editor
    listing = client.get("/models/small_approval").text
    assert "经理改名" in listing and "删除草稿「经理改名」？" in unescape(listing)
    # saved from this page (revision 1) ...
    assert save(client, APPROVAL, draft_id=body["draft_id"], revision=1).get_json()["revision"] == 2
    # ... so a second tab still at revision 1 is refused in words, and the first save stands
    stale = save(client, RENAMED, draft_id=body["draft_id"], revision=1)
    assert stale.status_code == 409
    assert "您打开这份草稿之后" in stale.get_json()["message"] and "欧文" in stale.get_json()["message"]
    assert web_engine.draft_xml(body["draft_id"]) == APPROVAL
    renamed = client.post(f"/models/drafts/{body['draft_id']}/rename", data={"name": "恢复原名"},
                          follow_redirects=True)
    assert "草稿已改名为「恢复原名」" in unescape(renamed.text)
    assert [d.name for d in web_engine.drafts()] == ["恢复原名"]


def test_unsafe_or_empty_draft_is_refused_as_json(client, web_engine):
    login(client, "owen")
    bad = save(client, '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["kind"].startswith("禁止 DOCTYPE")
    assert save(client, "  ").status_code == 400
    assert save(client, APPROVAL, draft_id=9999).status_code == 404
    assert web_engine.drafts() == []


def test_change_made_in_the_editor_is_previewed_and_deployed(client, web_engine):
    login(client, "owen")
    body = save(client, RENAMED, base_version=1).get_json()
    page = unescape(client.get(body["check_url"]).text)
    assert "由“经理审批”改名为“部门经理审批”" in page
    client.post(f"/models/drafts/{body['draft_id']}/deploy")
    inst = start_request(web_engine)
    assert inst.definition_version == 2 and open_task(web_engine, inst.id, "manager_approval").title == "部门经理审批"


def test_check_warns_when_a_newer_version_was_deployed_meanwhile(client, web_engine):
    draft = web_engine.save_draft("small_approval", "approval.bpmn", RENAMED, "owen", base_version=1)
    other = web_engine.save_draft("small_approval", "approval.bpmn", GM_REMOVED, "owen", base_version=1)
    login(client, "owen")
    client.post(f"/models/drafts/{other.id}/deploy")
    assert 'id="base-moved"' in client.get(f"/models/drafts/{draft.id}/check").text


def two_requests(engine):
    """One request waiting for the manager, one already with the GM."""
    at_manager = start_request(engine, customer="甲")
    at_gm = start_request(engine, customer="乙")
    engine.complete(open_task(engine, at_gm.id, "manager_approval").id, "bob", {"decision": "approve"})
    engine.save_draft("small_approval", "approval.bpmn", GM_REMOVED, "owen", base_version=1)
    return at_manager, at_gm


def test_migration_dry_run_lists_who_can_move_and_why_not(client, web_engine):
    at_manager, at_gm = two_requests(web_engine)
    login(client, "owen")
    draft_id = web_engine.drafts()[0].id
    preview = unescape(client.get(f"/models/drafts/{draft_id}/check").text)
    assert "已删除：“总经理审批” (gm_approval)" in preview and "1 个申请停在此处" in preview
    client.post(f"/models/drafts/{draft_id}/deploy")
    assert "将进行中的申请迁移到最新版本（旧版本上有 2 个）" in client.get("/models/small_approval").text
    page = unescape(client.get("/models/small_approval/migrate").text)
    assert "尚未迁移任何申请" in page
    assert f'name="instance" value="{at_manager.id}" checked' in page
    assert f'value="{at_gm.id}"' not in page  # cannot move: no checkbox
    assert "正在办理“总经理审批”，而新版本删除了它。" in page
    assert "可以迁移：进行中的每个环节在新版本中都存在。" in page
    assert web_engine.instance(at_manager.id).definition_version == 1  # a dry run moves nothing


def test_confirmed_migration_moves_the_chosen_and_lists_refusals(client, web_engine):
    at_manager, at_gm = two_requests(web_engine)
    login(client, "owen")
    client.post(f"/models/drafts/{web_engine.drafts()[0].id}/deploy")
    response = client.post("/models/small_approval/migrate", data={"instance": [str(at_manager.id), str(at_gm.id)]})
    page = unescape(response.text)
    assert response.status_code == 200 and "1 个申请已迁移到第 2 版。" in page
    moved = page[page.index('id="moved"'):page.index('id="refused"')]
    refused = page[page.index('id="refused"'):page.index('id="dry-h"')]
    assert f"#{at_manager.id}" in moved and "第 1 版 → 第 2 版" in moved
    assert f"#{at_gm.id}" in refused and "正在办理“总经理审批”，而新版本删除了它。" in refused
    assert web_engine.instance(at_manager.id).definition_version == 2
    assert web_engine.instance(at_gm.id).definition_version == 1
    kinds = {i: [e.kind for e in web_engine.audit_trail(i)][-1] for i in (at_manager.id, at_gm.id)}
    assert kinds == {at_manager.id: "migrated", at_gm.id: "migration_refused"}
    assert "请至少选择一个要迁移的申请。" in client.post("/models/small_approval/migrate", follow_redirects=True).text


def test_every_change_needs_the_csrf_token(web_engine):
    client = make_app(web_engine, WTF_CSRF_ENABLED=True).test_client()
    csrf_login(client, "owen")
    assert save(client, RENAMED).status_code == 400
    token = csrf_token(client, "/models/small_approval/edit")
    response = client.post("/models/small_approval/drafts", json={"xml": RENAMED}, headers={"X-CSRFToken": token})
    draft_id = response.get_json()["draft_id"]
    assert client.post(f"/models/drafts/{draft_id}/deploy").status_code == 400
    check = client.get(f"/models/drafts/{draft_id}/check").text
    form_token = re.search(r'action="/models/drafts/\d+/deploy"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
                           check).group(1)
    assert client.post(f"/models/drafts/{draft_id}/deploy", data={"csrf_token": form_token}).status_code == 302
    assert [d.version for d in web_engine.definitions("small_approval")] == [1, 2]


def test_oversized_body_is_refused_before_it_is_read(web_engine):
    """CSRF protection reads the form before any view: the size limit must already apply there."""
    client = make_app(web_engine, WTF_CSRF_ENABLED=True, MODELS_MAX_BYTES=10000).test_client()
    csrf_login(client, "owen")
    token = csrf_token(client, "/models/")
    body = {"csrf_token": token, "file": (io.BytesIO(b"x" * 200000), "big.bpmn")}
    response = client.post("/models/upload", data=body, content_type="multipart/form-data")
    assert response.status_code == 413 and "文件大于 9 KB。" in response.text
    assert web_engine.drafts() == []
