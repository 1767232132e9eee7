"""Reports the procedures declare (the visits planned and made, the sales blacklist, satisfaction per period
and grade): the list and the menu entry for their readers, each page with its table (and chart), the CSV file,
the API and the command line, every export recorded in the audit, and a refusal in words for the others."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys

import pytest

from procedures.customer.records import blacklist_customer, ensure_customer, import_customers
from procedures.survey.records import close_satisfaction_survey, open_satisfaction_survey, record_satisfaction_scores
from tests.web.conftest import login
from tests.web.test_api import auth


def customers(engine):
    import_customers(engine, [("福州纺织集团", "A", "福州"), ("厦门面料贸易公司", "C", "厦门"),
                              ("泉州服饰有限公司", "B", "泉州")])


@pytest.fixture
def records(web_engine):
    """Two customers on the blacklist and two survey rounds, written through the procedures' operators."""
    def work(ctx):
        for name, grade in (("甲纺织", "A"), ("乙服饰", "B"), ("丙面料", "B")):
            ensure_customer(ctx.session, name, ctx.now, grade)
        for period, scores in (("2025年度", {"甲纺织": 90, "乙服饰": 60, "丙面料": 80}),
                               ("2026年度", {"甲纺织": 95, "乙服饰": 85, "丙面料": 75})):
            opened = open_satisfaction_survey(ctx, period, "ABCD", "paper")
            record_satisfaction_scores(ctx, opened["survey_id"], scores)
            close_satisfaction_survey(ctx, opened["survey_id"], "分析", {})
        blacklist_customer(ctx, ensure_customer(ctx.session, "=恶意客户", ctx.now).id, "恶意拖欠货款", 6)
        blacklist_customer(ctx, ensure_customer(ctx.session, "丁鞋业", ctx.now).id, "提供虚假验收报告", 3)
    web_engine.run_verb("seed_reports", "system", work)
    return web_engine


def exports(engine) -> list[tuple[str, str, int]]:
    return [(e.actor, e.data["report"], e.data["rows"]) for e in engine.search_audit(kind="report_exported", limit=10)]


# -- the visits planned and made

def test_the_cs_manager_reads_the_visit_report_and_downloads_it(client, web_engine):
    customers(web_engine)
    login(client, "bob")
    assert 'href="/reports/"' in client.get("/inbox").text  # in the navigation
    listing = client.get("/reports/")
    assert listing.status_code == 200 and "客户拜访计划与完成情况" in listing.text
    page = client.get("/reports/visits")
    assert page.status_code == 200
    assert "003 客户管理制度 7.2a" in page.text and "最迟应拜访" in page.text
    assert 'id="report-chart"' not in page.text  # a list: no chart
    table = page.text.split('id="report"')[1].split("</table>")[0]
    assert "福州纺织集团" in table and "泉州服饰有限公司" in table
    assert "厦门面料贸易公司" not in table  # C customers are not visited on a cadence
    assert "已到期，未安排拜访" in table  # never visited, nothing planned
    assert exports(web_engine) == []  # reading the page is no export
    exported = client.get("/reports/visits.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert 'filename="visits-' in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["客户", "等级", "区域"]
    assert sorted(r[0] for r in rows[1:]) == ["泉州服饰有限公司", "福州纺织集团"]
    assert exports(web_engine) == [("bob", "visits", 2)]


def test_the_csv_speaks_the_readers_language(client, web_engine):
    customers(web_engine)
    login(client, "bob")
    client.get("/language/en")
    rows = list(csv.reader(io.StringIO(client.get("/reports/visits.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Customer", "Grade", "Region"]


def test_people_outside_the_report_are_told_why_and_see_no_link(client, web_engine):
    login(client, "mallory")
    assert 'href="/reports/"' not in client.get("/inbox").text
    assert "没有向你开放的报表" in client.get("/reports/").text
    refused = client.get("/reports/visits")
    assert refused.status_code == 403
    assert "此报表只对相关部门、流程管理员和审计开放。" in refused.text
    assert client.get("/reports/visits.csv").status_code == 403
    assert "福州" not in refused.text
    assert exports(web_engine) == []
    login(client, "bob")
    assert client.get("/reports/no-such-report").status_code == 404


def test_auditors_and_process_owners_read_every_report(client, web_engine):
    for who in ("audrey", "owen"):
        login(client, who)
        for name in ("visits", "blacklist", "satisfaction_scores"):
            assert client.get(f"/reports/{name}").status_code == 200


def test_the_api_gives_rows_csv_and_reason_codes(client, web_engine):
    customers(web_engine)
    listing = client.get("/api/v1/reports", headers=auth("bob"))
    assert listing.json == [{"name": "visits", "titles": {"zh_CN": "客户拜访计划与完成情况",
                                                          "en": "Visits planned and made per customer"}}]
    body = client.get("/api/v1/reports/visits", headers=auth("bob")).json
    assert [c["key"] for c in body["columns"]][:3] == ["customer", "grade", "region"]
    assert {r["customer"]: r["status"] for r in body["rows"]} == {"福州纺织集团": "已到期，未安排拜访",
                                                                 "泉州服饰有限公司": "已到期，未安排拜访"}
    exported = client.get("/api/v1/reports/visits?format=csv", headers=auth("bob"))
    assert exported.mimetype == "text/csv" and "福州纺织集团" in exported.get_data(as_text=True)
    assert exports(web_engine) == [("bob", "visits", 2), ("bob", "visits", 2)]  # rows that left, both times
    refused = client.get("/api/v1/reports/visits", headers=auth("mallory"))
    assert refused.status_code == 403 and refused.json["reason"] == "not_report_reader"
    missing = client.get("/api/v1/reports/nothing", headers=auth("bob"))
    assert missing.status_code == 404 and missing.json["reason"] == "no_report"
    assert client.get("/api/v1/reports", headers=auth("mallory")).json == []
    assert "/reports/{name}" in client.get("/api/v1/openapi.json", headers=auth("bob")).json["paths"]


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
    assert exports(web_engine) == [("bob", "visits", 2)]


# -- the sales blacklist and the satisfaction scores

def test_a_reader_sees_the_reports_in_the_menu_and_the_list(client, records):
    login(client, "gina")
    page = client.get("/requests/").text
    assert 'href="/reports/"' in page and "报表" in page
    listing = client.get("/reports/").text
    assert "销售客户黑名单" in listing and "顾客满意度（按年度和客户等级）" in listing


def test_blacklist_page_lists_every_entry_with_its_state(client, records):
    login(client, "gina")
    page = client.get("/reports/blacklist").text
    assert "恶意拖欠货款" in page and "提供虚假验收报告" in page and page.count("在名单中") == 2
    assert "003 客户管理制度 3.5a" in page and 'id="export-csv"' in page
    assert 'id="report-chart"' not in page  # a list: no chart


def test_blacklist_csv_opens_in_a_spreadsheet_and_the_export_is_audited(client, records):
    login(client, "gina")
    response = client.get("/reports/blacklist.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="blacklist-' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["客户", "列入原因", "列入时间", "有效期至", "状态", "移出时间", "申请编号"]
    assert {r[0] for r in rows[1:]} == {"'=恶意客户", "丁鞋业"}, "a cell a spreadsheet would run is quoted"
    assert exports(records) == [("gina", "blacklist", 2)]


def test_scores_page_draws_a_chart_per_grade_with_the_table_below(client, records):
    login(client, "gina")
    page = client.get("/reports/satisfaction_scores").text
    assert 'id="report-chart"' in page and "/vendor/chart.js/dist/chart.umd.min.js" in page
    spec = json.loads(re.search(r'id="report-chart-data">(.*?)</script>', page, re.S).group(1))
    assert (spec["kind"], spec["labels"], spec["y_label"]) == ("bar", ["2025年度", "2026年度"], "平均分")
    assert spec["datasets"] == [{"label": "A类", "data": [90.0, 95.0]}, {"label": "B类", "data": [70.0, 80.0]}]
    assert 'id="report"' in page and '<td data-col="average">70.0</td>' in page  # 2025, grade B: (60 + 80) / 2


def test_a_reader_of_one_report_is_refused_another(client, records):
    login(client, "alice")  # customer service: reads the visits, not the blacklist
    assert 'href="/reports/"' in client.get("/requests/").text
    listing = client.get("/reports/").text
    assert "客户拜访计划与完成情况" in listing and "销售客户黑名单" not in listing
    refused = client.get("/reports/blacklist")
    assert refused.status_code == 403 and "此报表只对相关部门、流程管理员和审计开放。" in refused.text
    assert "恶意拖欠货款" not in refused.text
    assert client.get("/reports/blacklist.csv").status_code == 403
    assert exports(records) == []


def test_auditors_find_who_exported_a_report(client, records):
    login(client, "gina")
    client.get("/reports/blacklist.csv")
    login(client, "audrey")
    found = client.get("/audit/?kind=report_exported&searched=1").text
    assert "导出报表" in found and "吉娜" in found


def test_api_lists_and_reads_reports(app, records):
    api = app.test_client()
    listed = api.get("/api/v1/reports", headers=auth("gina")).get_json()
    assert [r["name"] for r in listed] == ["blacklist", "visits", "satisfaction_scores"]
    body = api.get("/api/v1/reports/satisfaction_scores", headers=auth("gina")).get_json()
    assert {(r["period"], r["grade"], r["average"]) for r in body["rows"]} == {
        ("2025年度", "A类", 90.0), ("2025年度", "B类", 70.0), ("2026年度", "A类", 95.0), ("2026年度", "B类", 80.0)}
    assert [r["not_satisfied"] for r in body["rows"] if r["period"] == "2025年度"] == [0, 1]
    refused = api.get("/api/v1/reports/blacklist", headers=auth("alice"))
    assert refused.status_code == 403 and refused.get_json()["reason"] == "not_report_reader"
    assert exports(records) == [("gina", "satisfaction_scores", 4)]


def test_command_line_lists_and_reads_reports(records):
    env = {**os.environ, "DATABASE_URL": records.sa_engine.url.render_as_string(hide_password=False)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "web.cli", "--json", *args], env=env, capture_output=True,
                              text=True, timeout=180)
    listed = json.loads(run("report", "--as", "gina").stdout)
    assert listed["reports"] == ["blacklist", "visits", "satisfaction_scores"]
    read = json.loads(run("report", "blacklist", "--as", "gina").stdout)
    assert read["ok"] and {r["customer"] for r in read["rows"]} == {"=恶意客户", "丁鞋业"}
    refused = run("report", "blacklist", "--as", "alice")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["reason"] == "not_report_reader"
    assert exports(records) == [("gina", "blacklist", 2)]
