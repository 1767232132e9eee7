"""Managers see the open work of the groups they oversee, with counts, and may read those requests."""
from __future__ import annotations

import pytest

from engine import EngineError
from tests.web.conftest import login, open_task, start_request

OVERSIGHT = {"groups": [{"id": "gm", "name": "总经理", "oversees": ["cs_manager", "cs_staff"]}]}


def test_a_manager_sees_each_groups_open_work_and_may_read_those_requests(client, web_engine, clock):
    web_engine.import_users(OVERSIGHT)
    assert web_engine.overseen_groups("gina") == ("cs_manager", "cs_staff")
    waiting = start_request(web_engine, customer="宏达贸易公司")          # at 经理审批, nobody has taken it
    returned = start_request(web_engine, customer="福州纺织集团")
    web_engine.complete(open_task(web_engine, returned.id, "manager_approval").id, "bob", {"decision": "reject"})
    clock.advance(days=4)  # 经理审批 is due after 3 days: now overdue (the worker has not run)

    login(client, "gina")
    page = client.get("/team/")
    assert page.status_code == 200 and 'href="/team/"' in page.text  # in the navigation too
    row = page.text.split('data-group="cs_manager"')[1].split("</tr>")[0]
    assert '<td class="open">1</td>' in row and '<td class="unclaimed">1</td>' in row
    assert 'class="badge overdue">1<' in row
    staff = page.text.split('data-group="cs_staff"')[1].split("</tr>")[0]
    assert '<td class="open">1</td>' in staff  # the returned request, with its applicant
    assert "客户服务部经理" in page.text and "group:" not in page.text
    assert "经理审批" in page.text and "修改申请" in page.text and "宏达贸易公司" in page.text
    # she was never involved in the waiting request, and may read it now; acting stays with its group
    assert client.get(f"/requests/{waiting.id}").status_code == 200
    task = open_task(web_engine, waiting.id, "manager_approval")
    assert client.get(f"/tasks/{task.id}").status_code == 200
    assert client.post(f"/tasks/{task.id}", data={"decision": "approve"}).status_code == 403
    assert web_engine.task(task.id).status == "open"


def test_people_who_oversee_nothing_have_no_team_page(client, web_engine):
    inst = start_request(web_engine)
    login(client, "mallory")
    assert client.get("/team/").status_code == 403
    assert client.get(f"/requests/{inst.id}").status_code == 403
    login(client, "alice")
    assert 'href="/team/"' not in client.get("/inbox").text


def test_oversight_names_known_groups_and_is_audited(web_engine):
    with pytest.raises(EngineError, match="unknown groups"):
        web_engine.import_users({"groups": [{"id": "gm", "name": "总经理", "oversees": ["nowhere"]}]})
    web_engine.import_users(OVERSIGHT)
    changes = [e.data for e in web_engine.search_audit(kind="membership_changed") if "group" in e.data]
    assert changes[-1] == {"group": "gm", "oversees_added": ["cs_manager", "cs_staff"], "oversees_removed": []}
    web_engine.import_users({"groups": [{"id": "gm", "name": "总经理", "oversees": []}]})
    assert web_engine.overseen_groups("gina") == ()
