"""Reports a procedure declares: a page with the table and its CSV file, the same rows over the API, and a
refusal in words for people outside the report's groups."""
from __future__ import annotations

import base64
import csv
import io

from procedures.customer.records import import_customers
from tests.web.conftest import login


def basic(username: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:pw-{username}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def customers(engine):
    import_customers(engine, [("福州纺织集团", "A", "福州"), ("厦门面料贸易公司", "C", "厦门"),
                              ("泉州服饰有限公司", "B", "泉州")])


def test_the_cs_manager_reads_the_visit_report_and_downloads_it(client, web_engine):
    customers(web_engine)
    login(client, "bob")
    assert 'href="/reports/"' in client.get("/inbox").text  # in the navigation
    listing = client.get("/reports/")
    assert listing.status_code == 200 and "客户拜访计划与完成情况" in listing.text
    page = client.get("/reports/visits")
    assert page.status_code == 200
    assert "003 客户管理制度 7.2a" in page.text and "最迟应拜访" in page.text
    table = page.text.split('id="report"')[1].split("</table>")[0]
    assert "福州纺织集团" in table and "泉州服饰有限公司" in table
    assert "厦门面料贸易公司" not in table  # C customers are not visited on a cadence
    assert "已到期，未安排拜访" in table  # never visited, nothing planned
    exported = client.get("/reports/visits.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert 'filename="visits-' in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["客户", "等级", "区域"]
    assert sorted(r[0] for r in rows[1:]) == ["泉州服饰有限公司", "福州纺织集团"]


def test_the_csv_speaks_the_readers_language(client, web_engine):
    customers(web_engine)
    login(client, "bob")
    client.get("/language/en")
    rows = list(csv.reader(io.StringIO(client.get("/reports/visits.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Customer", "Grade", "Region"]


def test_people_outside_the_report_are_told_why_and_see_no_link(client, web_engine):
    login(client, "mallory")
    assert 'href="/reports/"' not in client.get("/inbox").text
    refused = client.get("/reports/visits")
    assert refused.status_code == 403
    assert "此报表只对相关部门、流程管理员和审计开放。" in refused.text
    assert client.get("/reports/visits.csv").status_code == 403
    assert "福州" not in refused.text
    login(client, "bob")
    assert client.get("/reports/no-such-report").status_code == 404


def test_auditors_and_process_owners_read_every_report(client, web_engine):
    for who in ("audrey", "owen"):
        login(client, who)
        assert client.get("/reports/visits").status_code == 200


def test_the_api_gives_rows_csv_and_reason_codes(client, web_engine):
    customers(web_engine)
    listing = client.get("/api/v1/reports", headers=basic("bob"))
    assert listing.json == [{"name": "visits", "titles": {"zh_CN": "客户拜访计划与完成情况",
                                                          "en": "Visits planned and made per customer"}}]
    body = client.get("/api/v1/reports/visits", headers=basic("bob")).json
    assert [c["key"] for c in body["columns"]][:3] == ["customer", "grade", "region"]
    assert {r["customer"]: r["status"] for r in body["rows"]} == {"福州纺织集团": "已到期，未安排拜访",
                                                                 "泉州服饰有限公司": "已到期，未安排拜访"}
    exported = client.get("/api/v1/reports/visits?format=csv", headers=basic("bob"))
    assert exported.mimetype == "text/csv" and "福州纺织集团" in exported.get_data(as_text=True)
    refused = client.get("/api/v1/reports/visits", headers=basic("mallory"))
    assert refused.status_code == 403 and refused.json["reason"] == "not_report_reader"
    missing = client.get("/api/v1/reports/nothing", headers=basic("bob"))
    assert missing.status_code == 404 and missing.json["reason"] == "no_report"
    assert client.get("/api/v1/reports", headers=basic("mallory")).json == []
    assert "/reports/{name}" in client.get("/api/v1/openapi.json", headers=basic("bob")).json["paths"]


def test_the_command_line_prints_the_report_and_refuses_in_codes(web_engine, monkeypatch, capsys):
    from engine import cli
    from tests.conftest import PROCEDURES

    customers(web_engine)
    monkeypatch.setenv("DATABASE_URL", web_engine.sa_engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli, "EXTENSIONS", PROCEDURES)
    assert cli.main(["report", "--as", "bob"]) == 0
    assert capsys.readouterr().out.startswith("visits\t")
    assert cli.main(["report", "visits", "--as", "bob"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:3] == ["customer", "grade", "region"]
    assert sorted(line.split("\t")[0] for line in lines[1:]) == ["泉州服饰有限公司", "福州纺织集团"]
    assert cli.main(["--json", "report", "visits", "--as", "mallory"]) == 1
    assert '"reason": "not_report_reader"' in capsys.readouterr().out
