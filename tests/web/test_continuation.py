"""Steps left to the worker: the request page says "in progress" until the worker is done; retry of a
stopped step by process owners, on the page and in the API."""
from __future__ import annotations

from engine import continuing as engine_module
from tests.conftest import DATA
from tests.engine.test_sandbox import scripted
from tests.web.conftest import login, start_request


def test_request_page_says_in_progress_until_the_worker_finished(client, web_engine, monkeypatch):
    monkeypatch.setattr(engine_module, "REQUEST_STEP_SECONDS", 0.0)
    inst = start_request(web_engine)
    login(client, "alice")
    page = client.get(f"/requests/{inst.id}").text
    assert 'id="in-progress"' in page and "处理中" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    monkeypatch.setattr(engine_module, "REQUEST_STEP_SECONDS", 2.0)
    assert web_engine.fire_due_timers() == 1
    page = client.get(f"/requests/{inst.id}").text
    assert 'id="in-progress"' not in page and 'http-equiv="refresh"' not in page
    assert "经理审批" in page


def test_a_stopped_step_is_retried_by_a_process_owner_only(client, web_engine, monkeypatch):
    monkeypatch.setenv("APPROVALS_SCRIPT_SECONDS", "1")
    web_engine.forms.forms_dir.joinpath("numbers.schema.json").write_text(
        (DATA / "forms" / "numbers.schema.json").read_text(encoding="utf-8"), encoding="utf-8")
    web_engine.deploy([scripted("share = total / parts")], "owen")
    inst = web_engine.start("scripted", "alice", {"total": 10, "parts": 0})
    assert inst.status == "error" and "ZeroDivisionError" in inst.error
    login(client, "alice")
    assert 'id="retry"' not in client.get(f"/requests/{inst.id}").text
    assert client.post(f"/requests/{inst.id}/retry").status_code == 403
    api = client.post(f"/api/v1/instances/{inst.id}/retry", json={"data": {"parts": 2}})
    assert api.status_code in (401, 403)  # not a process owner (or no API credentials)
    client.get("/logout")
    login(client, "owen")
    page = client.get(f"/requests/{inst.id}").text
    assert 'id="retry"' in page and "故障申请" in page
    assert "故障申请" in client.get("/requests/?status=error&scope=all").text
    again = client.post(f"/requests/{inst.id}/retry", follow_redirects=True).text
    assert "再次失败" in again and web_engine.instance(inst.id).status == "error"
    headers = {"Authorization": "Basic b3dlbjpwdy1vd2Vu"}  # owen:pw-owen
    fixed = client.post(f"/api/v1/instances/{inst.id}/retry", json={"data": {"parts": 2}}, headers=headers)
    assert fixed.status_code == 200 and fixed.json["status"] == "completed"  # share 5: the small-amount end
    assert web_engine.data(inst.id)["share"] == 5
    refused = client.post(f"/api/v1/instances/{inst.id}/retry", json={"data": [1]}, headers=headers)
    assert refused.status_code in (400, 409)
