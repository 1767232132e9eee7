"""Lists in the API and the command line come in keyset pages: every task once, in order, at any depth."""
from __future__ import annotations

import json

import pytest

from tests.engine.test_cli import cli  # noqa: F401 - the fixture
from tests.conftest import DATA
from tests.web.conftest import make_app, open_task, start_request
from tests.web.test_api import auth


@pytest.fixture
def api(web_engine):
    return make_app(web_engine).test_client()


def pages(api, query: str) -> list[list[int]]:
    seen, after = [], None
    while True:
        url = f"/api/v1/tasks?{query}" + (f"&after={after}" if after else "")
        response = api.get(url, headers=auth("bob"))
        assert response.status_code == 200, response.json
        seen.append([t["id"] for t in response.json])
        after = response.headers.get("X-Next-After")
        if after is None:
            return seen


def test_the_queue_and_the_history_page_through_every_task_once(api, web_engine, clock):
    started = [start_request(web_engine, customer=f"客户{i}") for i in range(5)]
    queue = pages(api, "scope=queue&limit=2")
    assert [len(p) for p in queue] == [2, 2, 1]
    ids = [i for p in queue for i in p]
    assert ids == sorted(ids) and len(set(ids)) == 5
    for inst in started[::-1]:  # completed in the reverse order of their creation
        clock.advance(minutes=1)
        web_engine.complete(open_task(web_engine, inst.id, "manager_approval").id, "bob", {"decision": "approve"})
    history = [i for p in pages(api, "scope=completed&limit=2") for i in p]
    assert history == ids  # most recently completed first: the first created
    assert api.get("/api/v1/tasks?limit=0", headers=auth("bob")).status_code == 400
    assert api.get("/api/v1/tasks?limit=abc", headers=auth("bob")).status_code == 400
    assert "X-Next-After" not in api.get("/api/v1/tasks?scope=completed", headers=auth("bob")).headers


def test_the_command_line_pages_too(cli):  # noqa: F811 - the fixture
    cli("users", "import", str(DATA / "users.yaml"))
    cli("deploy", str(DATA / "approval.bpmn"), "--as", "owen")
    for i in range(3):
        cli("start", "small_approval", "--as", "alice", "--data", json.dumps({"customer": f"客户{i}", "amount": 5}))
    first = json.loads(cli("--json", "tasks", "--as", "bob", "--limit", "2").stdout)
    assert len(first["tasks"]) == 2 and first["next_after"] == first["tasks"][-1]["id"]
    rest = json.loads(cli("--json", "tasks", "--as", "bob", "--limit", "2", "--after", str(first["next_after"])).stdout)
    assert len(rest["tasks"]) == 1 and rest["next_after"] is None
    assert "--after" in cli("tasks", "--as", "bob", "--limit", "1").stdout
    assert cli("tasks", "--as", "bob", "--limit", "0", ok=False).returncode != 0


def test_requests_are_listed_in_keyset_pages_and_found_by_text(api, web_engine):
    started = [start_request(web_engine, customer=f"客户{i}") for i in range(5)]
    other = start_request(web_engine, user="dave", customer="别人的客户")
    seen, before = [], None
    while True:
        response = api.get("/api/v1/instances?limit=2" + (f"&before={before}" if before else ""), headers=auth("alice"))
        assert response.status_code == 200, response.json
        seen.append([i["id"] for i in response.json])
        before = response.headers.get("X-Next-Before")
        if before is None:
            break
    assert [len(p) for p in seen] == [2, 2, 1]
    assert [i for p in seen for i in p] == [inst.id for inst in reversed(started)]  # her own, newest first
    found = api.get("/api/v1/instances?q=客户3", headers=auth("alice")).json
    assert [i["id"] for i in found] == [started[3].id]
    assert api.get("/api/v1/instances?q=别人", headers=auth("alice")).json == []  # not hers
    assert [i["id"] for i in api.get("/api/v1/instances?q=别人", headers=auth("owen")).json] == [other.id]
    assert api.get("/api/v1/instances?limit=0", headers=auth("alice")).status_code == 400
