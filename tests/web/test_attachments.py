"""Attachments in the pages and the API, as each role sees them: upload on the start and task forms, the
request page's panel, previews served safely, refusals in words, a body too large, the API's multipart."""
from __future__ import annotations

import io
import re

import pytest

from engine import Engine
from engine.files.limits import Limits
from tests.engine.test_attachments import PROCESS, diagram_with, forms_with_attachments
from tests.files import HTML, pdf, png
from tests.web.conftest import login, make_app, open_task
from tests.web.test_api import auth

FORM = {"customer": "华星电子", "amount": "5000"}


@pytest.fixture
def filed_engine(web_engine, tmp_path):
    """The web tests' engine with the small approval deployed again, its forms taking files."""
    forms = forms_with_attachments(tmp_path / "forms")
    Engine(web_engine.sa_engine, forms_dir=forms, clock=web_engine.clock).deploy_paths([diagram_with(tmp_path)], "owen")
    return web_engine


@pytest.fixture
def client(filed_engine):
    return make_app(filed_engine).test_client()


def upload(name: str, data: bytes):
    return (io.BytesIO(data), name)


def started(client, filed_engine, files):
    login(client, "alice")
    response = client.post(f"/start/{PROCESS}", data={**FORM, "photos": files}, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    [inst] = filed_engine.instances(PROCESS)
    return inst


def test_the_start_form_takes_photos_and_the_request_page_shows_them(client, filed_engine):
    login(client, "alice")
    page = client.get(f"/start/{PROCESS}").text
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and 'name="photos"' in page
    assert 'accept=".pdf,.jpg' in page and "每个文件最大 20 MB" in page
    inst = started(client, filed_engine, [upload("裂纹.png", png()), upload("污渍.png", png((40, 90, 200)))])
    page = client.get(f"/requests/{inst.id}").text
    assert "裂纹.png" in page and "污渍.png" in page and "上传了附件" in page
    first, second = filed_engine.attachments(inst.id, "alice")
    assert f'<img src="/files/{first.id}/preview"' in page and f'href="/files/{second.id}"' in page
    preview = client.get(f"/files/{first.id}/preview")
    assert preview.data == png() and preview.mimetype == "image/png"
    assert preview.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    assert preview.headers["Content-Disposition"].startswith("inline")
    download = client.get(f"/files/{first.id}")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''%E8%A3%82%E7%BA%B9.png" in download.headers["Content-Disposition"]
    login(client, "bob")  # the manager's group: may read the request, so its files
    assert client.get(f"/files/{first.id}/preview").status_code == 200
    printed = client.get(f"/requests/{inst.id}/print").text  # on paper: each file with its sha256
    assert 'id="print-files"' in printed and first.sha256 in printed and second.sha256 in printed


def test_a_stranger_gets_a_refusal_in_words_and_an_auditor_reads_without_uploading(client, filed_engine):
    inst = started(client, filed_engine, [upload("裂纹.png", png())])
    [photo] = filed_engine.attachments(inst.id, "alice")
    login(client, "mallory")
    for url in (f"/files/{photo.id}", f"/files/{photo.id}/preview"):
        refused = client.get(url)
        assert refused.status_code == 403 and "您无权查看此申请及其附件。" in refused.text
        assert refused.mimetype == "text/html" and png() not in refused.data
    assert client.post(f"/requests/{inst.id}/files", data={"file": upload("x.pdf", pdf())},
                       content_type="multipart/form-data").status_code == 403
    login(client, "audrey")
    page = client.get(f"/requests/{inst.id}").text
    assert "裂纹.png" in page and 'id="file-input"' not in page
    assert client.get(f"/files/{photo.id}").status_code == 200


def test_a_refused_file_keeps_the_others_and_what_was_typed(client, filed_engine):
    login(client, "alice")
    response = client.post(f"/start/{PROCESS}", data={
        "customer": "", "amount": "5000", "photos": [upload("裂纹.png", png()), upload("合同.pdf", HTML)]},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "合同.pdf: 文件内容不是 PDF 格式，与文件名不符。" in response.text
    assert filed_engine.instances(PROCESS) == []
    kept = re.search(r'name="photos" value="(\d+)" checked>\s*裂纹.png', response.text)
    assert kept, "the good photo is shown ticked, staged for the next try"
    response = client.post(f"/start/{PROCESS}", data={**FORM, "photos": [kept.group(1)]},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    [inst] = filed_engine.instances(PROCESS)
    assert [a.filename for a in filed_engine.attachments(inst.id, "alice")] == ["裂纹.png"]


def test_the_task_form_requires_its_evidence_then_takes_it(client, filed_engine):
    inst = started(client, filed_engine, [])
    task = open_task(filed_engine, inst.id, "manager_approval")
    login(client, "bob")
    page = client.get(f"/tasks/{task.id}").text
    assert 'enctype="multipart/form-data"' in page and 'name="evidence"' in page
    missing = client.post(f"/tasks/{task.id}", data={"decision": "approve"}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "此项为必填项" in missing.text
    done = client.post(f"/tasks/{task.id}", data={"decision": "approve", "evidence": upload("核实.pdf", pdf())},
                       content_type="multipart/form-data")
    assert done.status_code == 302
    [evidence] = filed_engine.attachments(inst.id, "bob")
    assert (evidence.filename, evidence.task_id, evidence.field) == ("核实.pdf", task.id, "evidence")
    page = client.get(f"/requests/{inst.id}").text
    assert "核实.pdf" in page and f'href="/files/{evidence.id}/preview"' in page  # a PDF: previewed, no thumbnail
    shown = client.get(f"/files/{evidence.id}/preview")
    assert shown.mimetype == "application/pdf" and "sandbox" in shown.headers["Content-Security-Policy"]


def test_files_on_the_request_removal_and_a_disguised_page(client, filed_engine):
    inst = started(client, filed_engine, [])
    login(client, "alice")
    response = client.post(f"/requests/{inst.id}/files", data={"file": [upload("说明.pdf", pdf()),
                                                                       upload("说明.pdf.html", HTML)]},
                           content_type="multipart/form-data")
    page = client.get(response.location).text
    assert "已上传 1 个附件。" in page and "说明.pdf.html: 不接受此类文件（可接受：pdf" in page
    [note] = filed_engine.attachments(inst.id, "alice")
    assert "移除" in page
    login(client, "bob")
    assert f'/files/{note.id}/remove' not in client.get(f"/requests/{inst.id}").text
    refused = client.post(f"/files/{note.id}/remove")
    assert refused.status_code == 403 and "只有上传此文件的人可以这样做。" in refused.text
    login(client, "alice")
    page = client.get(client.post(f"/files/{note.id}/remove").location).text
    assert "已移除 说明.pdf。" in page and "暂无附件。" in page and "移除了附件" in page
    assert client.post(f"/requests/{inst.id}/files", data={}, content_type="multipart/form-data").status_code == 302


def multipart(field: str, name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body built in memory (the test client would spool a large one to a temporary file)."""
    head = (f'--edge\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n").encode()
    return head + data + b"\r\n--edge--\r\n", "multipart/form-data; boundary=edge"


def test_a_body_over_the_limit_is_a_413_that_says_the_limits(filed_engine):
    filed_engine.attachment_limits = Limits(max_bytes=1024)
    client = make_app(filed_engine).test_client()
    login(client, "alice")
    body, kind = multipart("photos", "big.pdf", b"%PDF-" + b"0" * 2_000_000)
    response = client.post(f"/start/{PROCESS}", data=body, content_type=kind)
    assert response.status_code == 413
    assert "每个文件最大 1 KB，一次提交合计不超过 1 MB。" in response.text and filed_engine.instances() == []
    body, kind = multipart("file", "big.pdf", b"%PDF-" + b"0" * 2_000_000)
    api = client.post(f"/api/v1/processes/{PROCESS}/attachments", headers=auth("alice"), data=body, content_type=kind)
    assert api.status_code == 413 and api.json["error"] == "too_large" and "1 KB" in api.json["message"]


def test_the_api_uploads_lists_downloads_and_refuses(filed_engine):
    api = make_app(filed_engine, WTF_CSRF_ENABLED=True).test_client()
    staged = api.post(f"/api/v1/processes/{PROCESS}/attachments", headers=auth("alice"),
                      data={"file": [upload("裂纹.png", png()), upload("污渍.png", png((1, 2, 3)))]},
                      content_type="multipart/form-data")
    assert staged.status_code == 201
    ids = [a["id"] for a in staged.json]
    started = api.post(f"/api/v1/processes/{PROCESS}/instances", headers=auth("alice"),
                       json={"data": {"customer": "华星电子", "amount": 5000, "photos": ids}})
    assert started.status_code == 201
    inst = started.json["id"]
    listed = api.get(f"/api/v1/instances/{inst}/attachments", headers=auth("bob")).json
    assert [(a["filename"], a["field"], len(a["sha256"])) for a in listed] == [("裂纹.png", "photos", 64),
                                                                                ("污渍.png", "photos", 64)]
    got = api.get(f"/api/v1/attachments/{ids[0]}", headers=auth("bob"))
    assert got.data == png() and got.headers["X-Content-Type-Options"] == "nosniff"
    assert api.get(f"/api/v1/attachments/{ids[0]}", headers=auth("mallory")).json["reason"] == "not_reader"
    task = open_task(filed_engine, inst, "manager_approval")
    disguised = api.post(f"/api/v1/instances/{inst}/attachments", headers=auth("bob"),
                         data={"file": [upload("ok.pdf", pdf()), upload("scan.pdf", HTML)], "task_id": str(task.id)},
                         content_type="multipart/form-data")
    assert disguised.status_code == 422 and disguised.json["reason"] == "not_what_it_says"
    [kept] = disguised.json["attached"]
    assert kept["task_id"] == task.id and "scan.pdf" in disguised.json["fields"]["file"]
    done = api.post(f"/api/v1/tasks/{task.id}/complete", headers=auth("bob"),
                    json={"data": {"decision": "approve", "evidence": [kept["id"]]}})
    assert done.status_code == 200
    no_file = api.post(f"/api/v1/instances/{inst}/attachments", headers=auth("alice"), data={},
                       content_type="multipart/form-data")
    assert no_file.status_code == 400
    # other actions still take JSON only: a multipart body to them is refused unread
    assert api.post(f"/api/v1/instances/{inst}/comments", headers=auth("alice"), data={"text": "x"},
                    content_type="multipart/form-data").status_code == 415
    removed = api.post(f"/api/v1/attachments/{ids[0]}/remove", headers=auth("alice"), json={})
    assert removed.status_code == 409 and removed.json["reason"] == "submitted"
