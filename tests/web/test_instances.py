"""The instance page: status, open tasks, diagram markers, record panel, timeline; cancel rules."""
from __future__ import annotations

import json
import re
from html import unescape

from tests.web.conftest import login, open_task, start_request
from web.records import record_of


def data_attr(html: str, name: str):
    return json.loads(unescape(re.search(rf'data-{name}="([^"]*)"', html).group(1)))


def approve_all(engine, inst):
    engine.complete(open_task(engine, inst.id, "manager_approval").id, "bob", {"decision": "approve", "comment": "好"})
    engine.complete(open_task(engine, inst.id, "gm_approval").id, "gina", {"decision": "approve"})


def test_applicant_sees_status_open_task_and_diagram_markers(client, web_engine):
    inst = start_request(web_engine)
    login(client, "alice")
    page = client.get(f"/requests/{inst.id}")
    assert page.status_code == 200
    assert 'id="instance-status"' in page.text and "经理审批" in page.text
    assert data_attr(page.text, "current") == ["manager_approval"]
    assert data_attr(page.text, "done") == ["prepare"]  # the script task ran; from the audit trail
    assert 'data-xml-url="/requests/%d/diagram.bpmn"' % inst.id in page.text
    assert "bpmn-navigated-viewer.production.min.js" in page.text and "diagram.js" in page.text
    xml = client.get(f"/requests/{inst.id}/diagram.bpmn")
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and b'id="small_approval"' in xml.data


def test_timeline_shows_who_when_what_and_the_data(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    web_engine.claim(task.id, "bob", "我来处理")
    approve_all(web_engine, inst)
    login(client, "alice")
    page = client.get(f"/requests/{inst.id}").text
    timeline = page[page.index('id="timeline"'):]
    assert timeline.index("爱丽丝") < timeline.index("鲍勃") < timeline.index("吉娜")
    assert "我来处理" in timeline and "<dt>说明</dt><dd>好</dd>" in timeline
    assert 'class="badge decision-approve">同意<' in timeline
    assert "<dt>客户</dt><dd>宏达公司</dd>" in timeline
    assert re.search(r'<time datetime="2026-11-23T01:00:00\+00:00">', timeline)
    assert data_attr(page, "current") == [] and "end_done" in data_attr(page, "done")
    # ended at "完成", an end event that declares no outcome: its own words, neither success nor failure
    assert 'class="badge outcome-completed" id="instance-status">完成<' in page


def test_record_panel_shows_the_identifiers_the_procedures_name(app):
    """The labels come from the procedures package, in the reader's language; the web knows no keys."""
    data = {"customer": "宏达", "permit": {"permit_no": "CG-2026-001"}, "complaint_rec": {"number": "TS-7"},
            "grade": "A", "contract_no": "", "level": "high"}
    with app.test_request_context():
        assert record_of(data) == [("许可编号", "CG-2026-001"), ("投诉编号", "TS-7"), ("客户等级", "A"), ("客户", "宏达")]
    with app.test_request_context():
        from flask import session
        session["lang"] = "en"
        assert record_of(data)[0] == ("Permit number", "CG-2026-001")


def test_record_panel_on_the_page(client, web_engine):
    inst = start_request(web_engine, customer="宏达公司")
    login(client, "alice")
    page = client.get(f"/requests/{inst.id}").text
    assert re.search(r'id="record"><dt>[^<]+</dt><dd>宏达公司</dd>', page)


def test_who_may_open_an_instance(client, web_engine):
    inst = start_request(web_engine)
    for user, status in (("alice", 200), ("bob", 200), ("dave", 200), ("owen", 200), ("audrey", 200),
                         ("gina", 403), ("mallory", 403)):
        login(client, user)
        assert client.get(f"/requests/{inst.id}").status_code == status, user
        client.post("/logout")
    approve_all(web_engine, inst)
    login(client, "gina")  # she completed a task of it now
    assert client.get(f"/requests/{inst.id}").status_code == 200


def test_cancel_by_initiator_with_reason(client, web_engine):
    inst = start_request(web_engine)
    login(client, "alice")
    assert "/cancel" in client.get(f"/requests/{inst.id}").text
    response = client.post(f"/requests/{inst.id}/cancel", data={"reason": "不需要了"})
    assert response.status_code == 302
    assert web_engine.instance(inst.id).status == "cancelled"
    page = client.get(f"/requests/{inst.id}").text
    assert "不需要了" in page and "/cancel" not in page
    assert client.post(f"/requests/{inst.id}/cancel").status_code == 409


def test_cancel_refused_to_others_allowed_to_process_owner(client, web_engine):
    inst = start_request(web_engine)
    login(client, "bob")
    assert "/cancel" not in client.get(f"/requests/{inst.id}").text
    assert client.post(f"/requests/{inst.id}/cancel").status_code == 403
    client.post("/logout")
    login(client, "owen")
    assert client.post(f"/requests/{inst.id}/cancel", data={"reason": "流程调整"}).status_code == 302
    assert web_engine.instance(inst.id).status == "cancelled"


def test_my_requests_and_all_requests(client, web_engine):
    mine = start_request(web_engine, "alice", customer="甲")
    theirs = start_request(web_engine, "dave", customer="乙")
    login(client, "alice")
    page = client.get("/requests/").text
    assert f'href="/requests/{mine.id}"' in page and f'href="/requests/{theirs.id}"' not in page
    assert f'href="/requests/{theirs.id}"' not in client.get("/requests/?scope=all").text
    client.post("/logout")
    login(client, "audrey")
    page = client.get("/requests/?scope=all&process=small_approval&status=running").text
    assert f'href="/requests/{mine.id}"' in page and f'href="/requests/{theirs.id}"' in page


def test_auditor_sees_the_chain_verified(client, web_engine):
    inst = start_request(web_engine)
    login(client, "audrey")
    page = client.get(f"/requests/{inst.id}").text
    assert 'class="chain ok"' in page and "/cancel" not in page
    with web_engine.sa_engine.begin() as conn:
        from sqlalchemy import text
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE instance_id = :i AND seq = 1"),
                     {"i": inst.id})
    page = client.get(f"/requests/{inst.id}").text
    assert 'class="chain broken"' in page


def test_vendor_route_serves_only_listed_files(client, app, tmp_path):
    login(client, "alice")
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "bpmn-navigated-viewer.production.min.js").write_text("window.BpmnJS = function () {};")
    (dist / "bpmn-viewer.development.js").write_text("nope")  # in the package, but no page loads it
    app.config["BPMN_JS_DIST"] = str(dist)
    response = client.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert response.status_code == 200 and b"BpmnJS" in response.data
    response.close()
    assert client.get("/vendor/bpmn-js/bpmn-viewer.development.js").status_code == 404
    assert client.get("/vendor/bpmn-js/../package.json").status_code == 404
    assert client.get("/vendor/bpmn-js/assets/bpmn-js.css").status_code == 404  # allowed, but missing here


def test_automatic_step_results_are_shown_to_auditors_only(web_engine, clock):
    """Applicants see that an automatic step ran; auditors also see what it produced."""
    from web import history
    from engine.views import AuditView
    event = AuditView(1, "instance:1", 2, 1, 1, "small_approval", "g", "prepare", "step_completed", "engine",
                      clock.now, {"name": "计算级别", "permit": {"permit_no": "CG-2026-0001"}})
    assert history.entry(event, {}, {}, full=False).pairs == []
    assert [label for label, _ in history.entry(event, {}, {}, full=True).pairs] == ["permit"]


def test_people_see_automatic_steps_folded_and_auditors_see_them_all(client, web_engine):
    inst = start_request(web_engine)
    login(client, "alice")
    page = client.get(f"/requests/{inst.id}").text
    timeline = page[page.index('id="timeline"'):]
    fold = timeline[timeline.index("<details>"):timeline.index("</details>")]
    assert "个自动步骤" in fold and "kind-step_completed" in fold  # the prepare script, folded
    assert "group:" not in page
    client.get("/logout")
    login(client, "audrey")
    page = client.get(f"/requests/{inst.id}").text
    assert "<details>" not in page[page.index('id="timeline"'):] and "kind-step_completed" in page


def test_identical_automatic_lines_collapse():
    from datetime import datetime, timezone

    from engine import AuditView
    from web.history import Entry, Fold, for_people

    def event(kind, actor="engine"):
        return AuditView(1, "instance:1", 1, 1, 1, "p", None, "x", kind, actor, datetime.now(timezone.utc), {})
    items = [Entry(event("started", "alice")), Entry(event("notified"), "通知"), Entry(event("notified"), "通知"),
             Entry(event("notified"), "通知"), Entry(event("completed", "bob"))]
    lines = for_people(items)
    assert [type(line).__name__ for line in lines] == ["Entry", "Fold", "Entry"]
    assert isinstance(lines[1], Fold) and [e.repeats for e in lines[1].entries] == [3]


def test_my_requests_say_where_each_is_and_with_whom(client, web_engine):
    inst = start_request(web_engine)
    task = open_task(web_engine, inst.id, "manager_approval")
    login(client, "alice")
    row = client.get("/requests/").text
    row = row[row.index(f'/requests/{inst.id}"'):]
    row = row[:row.index("</tr>")]
    assert f"{task.title} ·" in row and "客户服务部经理" in row and "自 " in row
    web_engine.claim(task.id, "bob")
    row = client.get("/requests/").text
    assert "鲍勃" in row[row.index(f'/requests/{inst.id}"'):]


def test_search_box_on_requests_and_inbox(client, web_engine):
    first = start_request(web_engine, customer="宏达贸易公司")
    second = start_request(web_engine, customer="福州纺织集团")
    login(client, "alice")
    page = client.get("/requests/", query_string={"q": "福州"}).text
    assert f'href="/requests/{second.id}"' in page and f'href="/requests/{first.id}"' not in page
    assert 'value="福州"' in page  # the box keeps what was searched
    page = client.get("/requests/", query_string={"q": "没有这个客户"}).text
    assert f'href="/requests/{second.id}"' not in page and f'href="/requests/{first.id}"' not in page
    login(client, "bob")
    page = client.get("/inbox", query_string={"q": "宏达"}).text
    [task] = [t for t in web_engine.open_tasks(first.id)]
    [other] = [t for t in web_engine.open_tasks(second.id)]
    assert f'href="/tasks/{task.id}"' in page and f'href="/tasks/{other.id}"' not in page
