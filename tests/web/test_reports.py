"""Reports (the sales blacklist, satisfaction per period and grade): the list, each page with its table and
chart, the CSV export and the API, as a reader, an auditor and someone outside the readers see them."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys

import pytest

from procedures.customer.records import blacklist_customer, ensure_customer
from procedures.survey.records import close_satisfaction_survey, open_satisfaction_survey, record_satisfaction_scores
from tests.web.conftest import login
from tests.web.test_api import auth


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
    response = client.get("/reports/blacklist/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="blacklist-' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["客户", "列入原因", "列入时间", "有效期至", "状态", "移出时间", "申请编号"]
    assert {r[0] for r in rows[1:]} == {"'=恶意客户", "丁鞋业"}, "a cell a spreadsheet would run is quoted"
    exported = [e for e in records.search_audit(kind="report_exported", limit=10)]
    assert [(e.actor, e.data["report"], e.data["rows"]) for e in exported] == [("gina", "blacklist", 2)]


def test_scores_page_draws_a_chart_per_grade_with_the_table_below(client, records):
    login(client, "gina")
    page = client.get("/reports/satisfaction_scores").text
    assert 'id="report-chart"' in page and "/vendor/chart.js/dist/chart.umd.min.js" in page
    spec = json.loads(re.search(r'id="report-chart-data">(.*?)</script>', page, re.S).group(1))
    assert (spec["kind"], spec["labels"], spec["y_label"]) == ("bar", ["2025年度", "2026年度"], "平均分")
    assert spec["datasets"] == [{"label": "A类", "data": [90.0, 95.0]}, {"label": "B类", "data": [70.0, 80.0]}]
    assert 'id="report-table"' in page and "<td>70.0</td>" in page  # 2025, grade B: (60 + 80) / 2


def test_someone_outside_the_readers_is_told_no(client, records):
    login(client, "alice")
    assert 'href="/reports/"' not in client.get("/requests/").text
    assert "您的角色没有可查看的报表" in client.get("/reports/").text
    refused = client.get("/reports/blacklist")
    assert refused.status_code == 403 and "此报表只供报送对象的角色查看，您的角色不在其中。" in refused.text
    assert "恶意拖欠货款" not in refused.text
    assert client.get("/reports/blacklist/export.csv").status_code == 403
    assert records.search_audit(kind="report_exported", limit=10) == []


def test_an_unknown_report_is_not_found(client, records):
    login(client, "gina")
    assert client.get("/reports/nothing").status_code == 404


def test_auditors_read_every_report_and_find_who_exported_one(client, records):
    login(client, "gina")
    client.get("/reports/blacklist/export.csv")
    login(client, "audrey")
    assert client.get("/reports/blacklist").status_code == 200
    assert client.get("/reports/satisfaction_scores").status_code == 200
    found = client.get("/audit/?kind=report_exported&searched=1").text
    assert "导出报表" in found and "吉娜" in found


def test_api_lists_and_reads_reports(app, records):
    api = app.test_client()
    listed = api.get("/api/v1/reports", headers=auth("gina")).get_json()
    assert [r["id"] for r in listed] == ["blacklist", "satisfaction_scores"]
    body = api.get("/api/v1/reports/satisfaction_scores", headers=auth("gina")).get_json()
    assert {(r["period"], r["grade"], r["average"]) for r in body["rows"]} == {
        ("2025年度", "A类", 90.0), ("2025年度", "B类", 70.0), ("2026年度", "A类", 95.0), ("2026年度", "B类", 80.0)}
    assert [r["not_satisfied"] for r in body["rows"] if r["period"] == "2025年度"] == [0, 1]
    refused = api.get("/api/v1/reports/blacklist", headers=auth("alice"))
    assert refused.status_code == 403 and refused.get_json()["reason"] == "not_a_reader"
    assert api.get("/api/v1/reports/nothing", headers=auth("gina")).status_code == 404


def test_command_line_lists_and_reads_reports(records):
    env = {**os.environ, "DATABASE_URL": records.sa_engine.url.render_as_string(hide_password=False)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "web.cli", "--json", *args], env=env, capture_output=True,
                              text=True, timeout=180)
    listed = json.loads(run("report", "--as", "gina").stdout)
    assert listed["reports"] == ["blacklist", "satisfaction_scores"]
    read = json.loads(run("report", "blacklist", "--as", "gina").stdout)
    assert read["ok"] and {r["customer"] for r in read["rows"]} == {"=恶意客户", "丁鞋业"}
    refused = run("report", "blacklist", "--as", "alice")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["reason"] == "not_a_reader"
    assert [e.actor for e in records.search_audit(kind="report_exported", limit=10)] == ["gina"]
