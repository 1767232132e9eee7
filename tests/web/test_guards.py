"""Every route's guard in one table: anonymous -> login, stranger -> 403, missing -> 404, stale -> 409."""
from __future__ import annotations

import pytest

from tests.web.conftest import login, open_task, start_request

# (method, url template) for every route that shows or changes one task or one request.
TASK_ROUTES = [("GET", "/tasks/{task}"), ("POST", "/tasks/{task}"), ("POST", "/tasks/{task}/claim"),
               ("POST", "/tasks/{task}/release"), ("POST", "/tasks/{task}/delegate")]
INSTANCE_ROUTES = [("GET", "/requests/{instance}"), ("GET", "/requests/{instance}/diagram.bpmn"),
                   ("POST", "/requests/{instance}/cancel")]
OTHER_ROUTES = [("GET", "/"), ("GET", "/inbox"), ("GET", "/start/"), ("GET", "/start/small_approval"),
                ("POST", "/start/small_approval"), ("GET", "/requests/"), ("GET", "/audit/"),
                ("GET", "/audit/export.csv"), ("GET", "/audit/export.json"), ("POST", "/logout")]


@pytest.fixture
def ids(web_engine):
    inst = start_request(web_engine)
    return {"instance": inst.id, "task": open_task(web_engine, inst.id, "manager_approval").id}


def call(client, method: str, url: str):
    return client.open(url, method=method, data={"decision": "approve", "to_user": "carol"})


@pytest.mark.parametrize("method,url", TASK_ROUTES + INSTANCE_ROUTES + OTHER_ROUTES)
def test_anonymous_is_sent_to_login(client, ids, method, url):
    response = call(client, method, url.format(**ids))
    assert response.status_code == 302 and response.location.startswith("/login?next=")


@pytest.mark.parametrize("method,url", TASK_ROUTES + INSTANCE_ROUTES)
def test_stranger_gets_403(client, ids, method, url):
    login(client, "mallory")
    assert call(client, method, url.format(**ids)).status_code == 403


@pytest.mark.parametrize("method,url", TASK_ROUTES + INSTANCE_ROUTES)
def test_missing_is_404(client, ids, method, url):
    login(client, "bob")
    assert call(client, method, url.format(task=99999, instance=99999)).status_code == 404


@pytest.mark.parametrize("method,url", [r for r in TASK_ROUTES if r[0] == "POST"])
def test_stale_task_is_409(client, web_engine, ids, method, url):
    web_engine.complete(ids["task"], "carol", {"decision": "approve"})
    login(client, "bob")
    response = call(client, method, url.format(**ids))
    assert response.status_code == 409 and "卡罗尔" in response.text


def test_start_guards(client):
    login(client, "bob")  # a manager: the small process starts in the cs_staff lane
    assert client.get("/start/small_approval").status_code == 403
    assert client.post("/start/small_approval", data={"customer": "x", "amount": "1"}).status_code == 403
    assert client.get("/start/no_such_process").status_code == 404
    assert "small_approval" not in client.get("/start/").text
    client.post("/logout")
    login(client, "alice")
    assert 'href="/start/small_approval"' in client.get("/start/").text


def test_error_pages_are_friendly_and_translated(client, ids):
    login(client, "mallory")
    page = client.get(f"/tasks/{ids['task']}")
    assert page.status_code == 403 and "无权操作" in page.text and "您无权打开此任务。" in page.text
    page = client.get("/tasks/99999")
    assert page.status_code == 404 and "未找到" in page.text and "技术详情" in page.text
    assert client.get("/nowhere").status_code == 404
    assert client.put("/inbox").status_code == 405
