"""Auditors search the audit trail, export it as CSV and JSON, and see each instance's chain verified."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from web.audit import FIELDS
from tests.web.conftest import login, make_app, open_task, start_request


@pytest.fixture
def history(web_engine, clock):
    """Two requests on two days: the first approved by bob, the second still waiting."""
    first = start_request(web_engine, customer="甲公司")
    web_engine.complete(open_task(web_engine, first.id, "manager_approval").id, "bob", {"decision": "approve"})
    clock.advance(days=1)
    second = start_request(web_engine, "dave", customer="乙公司")
    return first, second


def rows(html: str) -> list[str]:
    body = html[html.index('id="audit-results"'):] if 'id="audit-results"' in html else ""
    return re.findall(r"<tr>\s*<td><time", body)


def test_only_auditors_may_search(client, history):
    for user in ("alice", "bob", "owen", "mallory"):
        login(client, user)
        assert client.get("/audit/").status_code == 403, user
        assert client.get("/audit/export.csv").status_code == 403, user
        client.post("/logout")
    login(client, "audrey")
    page = client.get("/audit/")
    assert page.status_code == 200 and 'href="/audit/"' in page.text


def test_search_by_each_filter(client, web_engine, history):
    first, second = history
    login(client, "audrey")
    everything = client.get("/audit/?searched=1").text
    total = len(web_engine.search_audit())
    assert len(rows(everything)) == total
    by_instance = client.get(f"/audit/?instance={first.id}").text
    assert len(rows(by_instance)) == len(web_engine.audit_trail(first.id))
    assert f'href="/requests/{first.id}"' in by_instance and f'href="/requests/{second.id}"' not in by_instance
    by_actor = client.get("/audit/?actor=bob").text
    assert len(rows(by_actor)) == 2  # the implicit claim and the completion
    by_kind = client.get("/audit/?kind=started").text
    assert len(rows(by_kind)) == 2
    by_process = client.get("/audit/?process=small_approval&kind=completed").text
    assert len(rows(by_process)) == 1
    # Dates are whole days in the user's time zone (Beijing): the second request is on 24 November.
    assert len(rows(client.get("/audit/?kind=started&since=2026-11-24").text)) == 1
    assert len(rows(client.get("/audit/?kind=started&until=2026-11-23").text)) == 1
    assert len(rows(client.get("/audit/?kind=started&since=2026-11-25").text)) == 0


def test_search_shows_chain_verification_per_instance(client, web_engine, history):
    first, _second = history
    login(client, "audrey")
    page = client.get(f"/audit/?instance={first.id}").text
    assert "badge ok" in page
    with web_engine.sa_engine.begin() as conn:
        from sqlalchemy import text
        conn.execute(text("DELETE FROM audit_event WHERE instance_id = :i AND seq = 2"), {"i": first.id})
    assert "badge overdue" in client.get(f"/audit/?instance={first.id}").text


def test_bad_filters_are_reported(client, history):
    login(client, "audrey")
    page = client.get("/audit/?instance=abc&since=yesterday")
    assert page.status_code == 200 and 'class="form-errors"' in page.text and rows(page.text) == []
    assert client.get("/audit/export.csv?instance=abc").status_code == 400
    assert client.get("/audit/export.xml").status_code == 404


def test_export_csv(client, web_engine, history):
    first, _ = history
    login(client, "audrey")
    response = client.get(f"/audit/export.csv?instance={first.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header[:3] == ["事件编号", "时间（UTC）", "时间（本地）"] and "登录名" in header and "姓名" in header  # Chinese headers
    table = [dict(zip(FIELDS, row)) for row in rows[1:]]
    trail = web_engine.audit_trail(first.id)
    assert [r["id"] for r in table] == [str(e.id) for e in trail]
    assert [r["hash"] for r in table] == [e.hash for e in trail]
    started = next(r for r in table if r["kind"] == "started")
    assert json.loads(started["data"])["form"]["customer"] == "甲公司"
    assert started["at"] == "2026-11-23T01:00:00+00:00" and started["actor"] == "alice"
    assert started["at_local"] == "2026-11-23T09:00:00+08:00" and started["actor_name"] == "爱丽丝"


def test_search_by_a_persons_name(client, history):
    login(client, "audrey")
    by_login = client.get("/audit/export.json?actor=bob").get_json()
    by_name = client.get("/audit/export.json?actor=鲍勃").get_json()
    assert by_name["count"] == by_login["count"] > 0
    assert {e["actor"] for e in by_name["events"]} == {"bob"}
    assert "鲍勃" in client.get("/audit/?actor=鲍勃").text


def test_export_json_with_filters(client, history):
    login(client, "audrey")
    response = client.get("/audit/export.json?kind=completed&actor=bob")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["exported_by"] == "audrey" and body["filters"] == {"kind": "completed", "actor": "bob"}
    assert body["count"] == 1 and body["events"][0]["data"]["form"] == {"decision": "approve"}


def test_csv_cells_never_start_a_formula():
    from web.csvout import cell
    assert [cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "正常", None, 7)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "正常", "", "7"]
    assert cell({"b": 1, "a": "甲"}) == '{"a": "甲", "b": 1}'


def test_result_pages(web_engine, history):
    app = make_app(web_engine, AUDIT_PAGE_SIZE=3)
    client = app.test_client()
    login(client, "audrey")
    first = client.get("/audit/?searched=1").text
    assert len(rows(first)) == 3 and 'rel="next"' in first
    href = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(href).text
    assert len(rows(second)) == 3 and 'rel="prev"' in second


def test_auditor_links_from_results_to_any_timeline(client, history):
    first, second = history
    login(client, "audrey")
    for inst in (first, second):
        page = client.get(f"/requests/{inst.id}")
        assert page.status_code == 200 and 'id="timeline"' in page.text
