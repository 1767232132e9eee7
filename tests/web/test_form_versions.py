"""Pages show each request with the forms of its own version, also after a form file changed."""
from __future__ import annotations

import io
import json
import zipfile
from html import unescape

from tests.conftest import DATA, PROCEDURES, build_engine
from tests.web.conftest import WEB_USERS, forms_folder, login, make_app


def test_task_and_history_pages_use_the_instances_own_version(tmp_path, clock):
    forms = forms_folder(tmp_path / "forms")
    eng = build_engine(f"sqlite:///{tmp_path / 'v.sqlite3'}", clock, WEB_USERS, forms, extensions=PROCEDURES)
    eng.deploy_paths([DATA / "approval.bpmn"], "owen")
    old = eng.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    for name, title in (("request.schema.json", "客户全称"), ("decision.schema.json", None)):
        path = forms / name
        schema = json.loads(path.read_text(encoding="utf-8"))
        if title:
            schema["properties"]["customer"]["title"] = title
        else:
            schema["properties"]["approval_basis"] = {"type": "string", "title": "审批依据"}
        path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    eng.deploy_paths([DATA / "approval.bpmn"], "owen")
    new = eng.start("small_approval", "alice", {"customer": "乙", "amount": 5})
    client = make_app(eng).test_client()
    login(client, "bob")
    [old_task], [new_task] = eng.open_tasks(old.id), eng.open_tasks(new.id)
    assert 'name="approval_basis"' not in client.get(f"/tasks/{old_task.id}").text
    assert 'name="approval_basis"' in client.get(f"/tasks/{new_task.id}").text
    # the submitted request is labelled with the start form it was made with
    old_page, new_page = unescape(client.get(f"/requests/{old.id}").text), unescape(client.get(f"/requests/{new.id}").text)
    assert "客户全称" not in old_page and "客户全称" in new_page
    eng.sa_engine.dispose()


def test_auditor_downloads_a_version_with_its_forms(tmp_path, clock):
    forms = forms_folder(tmp_path / "forms")
    eng = build_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}", clock, WEB_USERS, forms, extensions=PROCEDURES)
    [v1] = eng.deploy_paths([DATA / "approval.bpmn"], "owen")
    original = (forms / "decision.schema.json").read_text(encoding="utf-8")
    (forms / "decision.schema.json").write_text(original.replace("意见", "审批意见"), encoding="utf-8")
    client = make_app(eng).test_client()
    login(client, "audrey")
    response = client.get(f"/models/versions/{v1.id}/bundle.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == ["approval.bpmn", "forms/decision.schema.json", "forms/request.schema.json"]
    assert archive.read("forms/decision.schema.json").decode("utf-8") == original  # as deployed, not as on disk
    login(client, "mallory")
    assert client.get(f"/models/versions/{v1.id}/bundle.zip").status_code == 403
    eng.sa_engine.dispose()
