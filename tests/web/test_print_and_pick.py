"""The seeds' documents on paper (page, server-side PDF with QR code and audit head) and the customer picker,
as each role sees them: the applicant, a stranger, an auditor, a client of the API."""
from __future__ import annotations

import io
import re
import stat
import unicodedata

import pytest
from pypdf import PdfReader

from procedures.customer.records import import_customers
from tests.conftest import DEMO_USERS, FORMS, PROCEDURES, WORKFLOWS, build_engine
from tests.scenarios.test_tour_approval import application, approve_key
from tests.web.conftest import login, make_app
from tests.web.test_api import auth

DEMO = "demo123"


@pytest.fixture
def tours(sqlite_url, clock):
    engine = build_engine(sqlite_url, clock, DEMO_USERS, FORMS, extensions=PROCEDURES)
    engine.deploy_paths([WORKFLOWS / "tour_approval.bpmn"], "luoming")
    import_customers(engine, [("福州纺织集团", "A"), ("泉州服饰有限公司", "B")])
    yield engine
    engine.sa_engine.dispose()


@pytest.fixture
def client(tours):
    return make_app(tours).test_client()


def approved_tour(engine, clock):
    inst = engine.start("tour_approval", "liuyang", application(clock, "key"))
    approve_key(engine, inst)
    return inst


def permit_no(engine, inst) -> str:
    return engine.data(inst.id)["permit"]["permit_no"]


def pdf_text(data: bytes) -> str:
    """The PDF's text as a person would type it (NFKC folds the full-width punctuation and ligatures)."""
    return unicodedata.normalize("NFKC", "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages))


def test_the_permit_page_is_laid_out_as_the_paper_form_with_qr_record_number_and_audit_head(client, tours, clock):
    inst = approved_tour(tours, clock)
    login(client, "liuyang", DEMO)
    request_page = client.get(f"/requests/{inst.id}").text
    assert f'href="/requests/{inst.id}/documents/tour_permit"' in request_page and "《客户参观许可证》" in request_page
    assert f'href="/requests/{inst.id}/documents/tour_notice.pdf"' in request_page

    page = client.get(f"/requests/{inst.id}/documents/tour_permit").text
    _seq, head = tours.audit_head(inst.id)
    assert '<h1 id="document-title">客户参观许可证</h1>' in page
    assert f'<th>许可编号</th><td class="strong">{permit_no(tours, inst)}</td>' in page
    assert "<th>客户名称</th><td colspan=\"3\">福州纺织集团</td>" in page and "参观生产线与质检流程" in page
    assert "张伟" in page and "王强" in page and "同意" in page  # decisions with names (and times)
    assert head in page and f"http://localhost/requests/{inst.id}" in page
    assert re.search(r'<svg[^>]*class="qr"[^>]*><title>打开本申请</title><path', page)
    assert 'id="pdf-link"' in page

    notice = client.get(f"/requests/{inst.id}/documents/tour_notice").text
    assert "参观通知单" in notice and "客户服务部人员" in notice and "group:" not in notice  # departments by name
    assert re.search(r'<svg[^>]*class="qr"', client.get(f"/requests/{inst.id}/print").text)  # the print view too


def test_a_document_asked_for_too_early_says_why_and_a_stranger_is_refused(client, tours, clock):
    inst = tours.start("tour_approval", "liuyang", application(clock, "key"))
    login(client, "liuyang", DEMO)
    assert "参观申请获批并编出许可编号后才有此单据。" in client.get(f"/requests/{inst.id}").text
    for url in (f"/requests/{inst.id}/documents/tour_permit", f"/requests/{inst.id}/documents/tour_permit.pdf"):
        early = client.get(url)
        assert early.status_code == 409
        assert "《客户参观许可证》：参观申请获批并编出许可编号后才有此单据。" in early.text and "返回" in early.text
    unknown = client.get(f"/requests/{inst.id}/documents/contract_review_sheet")
    assert unknown.status_code == 404 and "此申请没有这种单据。" in unknown.text

    approve_key(tours, inst)
    login(client, "fenggang", DEMO)  # 生产部: not involved in this tour
    for url in (f"/requests/{inst.id}/documents/tour_permit", f"/requests/{inst.id}/documents/tour_permit.pdf"):
        refused = client.get(url)
        assert refused.status_code == 403 and "您无权打开此申请。" in refused.text


def test_the_permit_pdf_is_made_on_the_server_and_reads_back_in_chinese(client, tours, clock):
    inst = approved_tour(tours, clock)
    login(client, "liuyang", DEMO)
    response = client.get(f"/requests/{inst.id}/documents/tour_permit.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''%E5%AE%A2%E6%88%B7%E5%8F%82%E8%A7%82%E8%AE%B8%E5%8F%AF%E8%AF%81" in \
        response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    _seq, head = tours.audit_head(inst.id)
    assert "客户参观许可证" in text and "福州纺织集团" in text and "重点客户参观" in text and "王强" in text
    assert permit_no(tours, inst) in text
    assert head in text.replace("\n", "")


def test_without_a_pdf_printer_the_user_is_told_in_words_and_the_page_still_prints(client, tours, clock,
                                                                                   monkeypatch, tmp_path):
    inst = approved_tour(tours, clock)
    login(client, "liuyang", DEMO)
    monkeypatch.setenv("APPROVALS_CHROMIUM", str(tmp_path / "no-such-chromium"))
    missing = client.get(f"/requests/{inst.id}/documents/tour_permit.pdf")
    assert missing.status_code == 503
    assert "现在无法生成 PDF（服务器上没有安装 PDF 打印程序 Chromium）。仍可在浏览器中打开此单据并直接打印。" in missing.text
    assert f'href="/requests/{inst.id}/documents/tour_permit"' in missing.text

    stuck = tmp_path / "stuck-chromium"
    stuck.write_text("#!/bin/sh\nsleep 30\n")
    stuck.chmod(stuck.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("APPROVALS_CHROMIUM", str(stuck))
    monkeypatch.setenv("APPROVALS_PDF_SECONDS", "1")
    late = client.get(f"/requests/{inst.id}/documents/tour_permit.pdf")
    assert late.status_code == 503 and "打印超时" in late.text


def test_the_api_lists_documents_and_downloads_the_pdf(client, tours, clock):
    inst = tours.start("tour_approval", "liuyang", application(clock, "key"))
    me = auth("liuyang", DEMO)
    [permit, notice] = client.get(f"/api/v1/instances/{inst.id}/documents", headers=me).json["documents"]
    assert permit["name"] == "tour_permit" and permit["ready"] is False and permit["pending"]["en"]
    early = client.get(f"/api/v1/instances/{inst.id}/documents/tour_permit.pdf", headers=me)
    assert early.status_code == 409 and early.json["reason"] == "document_not_ready"
    approve_key(tours, inst)
    made = client.get(f"/api/v1/instances/{inst.id}/documents/tour_permit.pdf", headers=me)
    assert made.status_code == 200 and permit_no(tours, inst) in pdf_text(made.data)
    stranger = client.get(f"/api/v1/instances/{inst.id}/documents/tour_permit.pdf", headers=auth("fenggang", DEMO))
    assert stranger.status_code == 403
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/instances/{instance_id}/documents/{name}.pdf" in paths and "/lookups/{name}" in paths


def test_the_start_form_picks_the_customer_from_the_register(client, tours):
    login(client, "liuyang", DEMO)
    form = client.get("/start/tour_approval").text
    field = re.search(r'<input type="text" id="f-customer"[^>]*>', form, re.S).group(0)
    assert 'data-lookup="/lookups/customer"' in field and 'role="combobox"' in field and 'name="customer"' in field
    assert 'id="f-customer-list"' in form and "名册中没有的客户按新客户提交" in form

    # without script too: a refused submission shows the picked customer's grade under the field
    refused = client.post("/start/tour_approval", data={"customer": "福州纺织集团"})
    assert refused.status_code == 422
    assert '<span class="lookup-summary">KH-0001 · A 类客户</span>' in refused.text

    found = client.get("/lookups/customer?q=福州").json
    assert found["may_register"] is True
    assert found["items"] == [{"value": "福州纺织集团", "label": "福州纺织集团", "summary": "KH-0001 · A 类客户",
                               "warning": "", "details": {"code": "KH-0001", "grade": "A", "blacklisted": False,
                                                          "blacklist_expires_at": None}}]
    made = client.post("/lookups/customer", data={"label": "厦门新面料公司"})
    assert made.status_code == 201 and made.json["item"]["summary"] == "KH-0003 · 未定级"
    empty = client.post("/lookups/customer", data={"label": ""})
    assert empty.status_code == 400 and empty.json["message"] == "请先填写新条目的名称。"
    assert client.get("/lookups/supplier?q=a").json["message"] == "没有这个可供选择的名册。"

    login(client, "fenggang", DEMO)
    assert client.get("/lookups/customer?q=厦门").json["may_register"] is False
    refused = client.post("/lookups/customer", data={"label": "生产部的客户"})
    assert refused.status_code == 403 and refused.json["message"] == "只有负责客户工作的人员可以在这里登记新客户。"


def test_the_api_searches_and_registers_customers(client, tours):
    me = auth("sunli", DEMO)
    found = client.get("/api/v1/lookups/customer?q=KH-0002", headers=me)
    assert [i["value"] for i in found.json["items"]] == ["泉州服饰有限公司"]
    assert client.get("/api/v1/lookups/customer?q=州&limit=0", headers=me).status_code == 400
    made = client.post("/api/v1/lookups/customer", json={"label": "漳州新客户"}, headers=me)
    assert made.status_code == 201 and made.json["item"]["value"] == "漳州新客户"
    assert client.post("/api/v1/lookups/customer", json={}, headers=me).json["reason"] == "lookup_label"
    auditor = client.post("/api/v1/lookups/customer", json={"label": "某公司"}, headers=auth("huangyan", DEMO))
    assert auditor.status_code == 403 and auditor.json["message"]
    assert client.get("/api/v1/lookups/customer?q=某公司", headers=me).json["items"] == []
    assert client.get("/api/v1/lookups/nothing?q=a", headers=me).json["reason"] == "unknown_lookup"


def test_the_command_line_finds_registers_and_lists_documents(tours, clock, monkeypatch, capsys, sqlite_url):
    from web.cli import main
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main(["lookup", "customer", "州", "--as", "liuyang"]) == 0
    assert capsys.readouterr().out.splitlines() == ["泉州服饰有限公司\tKH-0002 · B 类客户", "福州纺织集团\tKH-0001 · A 类客户"]
    assert main(["--json", "lookup", "customer", "厦门新客户", "--register", "--as", "sunli"]) == 0
    assert '"code": "KH-0003"' in capsys.readouterr().out
    assert main(["lookup", "customer", "生产部的客户", "--register", "--as", "fenggang"]) == 1
    assert "fenggang may not add to customer" in capsys.readouterr().err

    inst = tours.start("tour_approval", "liuyang", application(clock, "key"))
    assert main(["documents", str(inst.id), "--as", "liuyang"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("tour_permit\t客户参观许可证\tnot yet: ")
    assert main(["documents", str(inst.id), "--as", "fenggang"]) == 1
    assert "may not read" in capsys.readouterr().err


def test_the_command_line_prints_a_document_to_a_pdf_file(tours, clock, monkeypatch, capsys, sqlite_url, tmp_path):
    from web.cli import main
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("BASE_URL", "https://approvals.example.cn/")
    inst = tours.start("tour_approval", "liuyang", application(clock, "key"))
    out = tmp_path / "permit.pdf"
    assert main(["document", str(inst.id), "tour_permit", "--as", "liuyang", "--out", str(out)]) == 1
    assert "once the tour is approved" in capsys.readouterr().err and not out.exists()
    approve_key(tours, inst)
    assert main(["document", str(inst.id), "tour_permit", "--as", "liuyang", "--out", str(out)]) == 0
    text = pdf_text(out.read_bytes())
    assert permit_no(tours, inst) in text and f"https://approvals.example.cn/requests/{inst.id}" in text
    assert main(["document", str(inst.id), "tour_permit", "--as", "fenggang", "--out", str(out)]) == 1
    assert "may not read" in capsys.readouterr().err
