"""The JSON API: Basic auth, the verbs, JSON errors with reason codes, and its OpenAPI document."""
from __future__ import annotations

import base64

import pytest

from tests.web.conftest import make_app


def auth(user: str, password: str | None = None) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password or 'pw-' + user}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def api(web_engine):
    # CSRF stays on: the API must work without a token because it takes no cookies.
    return make_app(web_engine, WTF_CSRF_ENABLED=True).test_client()


def start(api, user="alice"):
    return api.post("/api/v1/processes/small_approval/instances", headers=auth(user),
                    json={"data": {"customer": "宏达公司", "amount": 500}})


def test_needs_credentials_and_sets_no_cookie(api):
    response = api.get("/api/v1/tasks")
    assert response.status_code == 401 and response.json["error"] == "unauthorized"
    assert "WWW-Authenticate" not in response.headers  # no browser prompt, so no cached credentials
    assert api.get("/api/v1/tasks", headers=auth("bob", "wrong")).status_code == 401
    ok = api.get("/api/v1/me", headers=auth("bob"))
    assert ok.status_code == 200 and ok.json["groups"] == ["cs_manager"]
    assert "Set-Cookie" not in ok.headers


def test_repeated_failures_are_slowed_down(api):
    codes = [api.get("/api/v1/me", headers=auth("bob", "wrong")).status_code for _ in range(7)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429
    assert api.get("/api/v1/me", headers=auth("bob")).status_code == 429  # locked for a while


def test_start_list_and_complete(api):
    created = start(api)
    assert created.status_code == 201 and created.json["status"] == "running"
    assert created.headers["Location"].endswith(f"/api/v1/instances/{created.json['id']}")
    [task] = api.get("/api/v1/tasks?scope=queue", headers=auth("bob")).json
    detail = api.get(f"/api/v1/tasks/{task['id']}", headers=auth("bob")).json
    assert detail["may_act"] is True and "decision" in detail["form"]["schema"]["properties"]
    done = api.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("bob"),
                    json={"data": {"decision": "approve"}})
    assert done.status_code == 200 and done.json["id"] == created.json["id"]
    trail = api.get(f"/api/v1/instances/{created.json['id']}/audit", headers=auth("alice")).json
    assert trail["verified"] is True
    assert [e["kind"] for e in trail["events"] if e["kind"] == "completed"] == ["completed"]


def test_errors_are_json_with_reason_codes(api):
    instance_id = start(api).json["id"]
    [task] = api.get("/api/v1/tasks", headers=auth("bob")).json
    bad = api.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("bob"), json={"data": {"decision": "?"}})
    assert bad.status_code == 422 and bad.json["fields"] == {"decision": "is not one of the allowed choices"}
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("bob"), json={}).status_code == 200
    taken = api.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("carol"), json={"data": {"decision": "approve"}})
    assert taken.status_code == 403 and (taken.json["reason"], taken.json["holder"]) == ("assigned_to", "bob")
    api.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("bob"), json={"data": {"decision": "approve"}})
    again = api.post(f"/api/v1/tasks/{task['id']}/complete", headers=auth("bob"), json={"data": {"decision": "approve"}})
    assert again.status_code == 409 and again.json["reason"] == "completed"
    assert api.get("/api/v1/tasks/99999", headers=auth("bob")).status_code == 404
    assert api.get(f"/api/v1/instances/{instance_id}", headers=auth("mallory")).status_code == 403
    assert api.post("/api/v1/processes/small_approval/instances", headers=auth("alice"),
                    data="[1]", content_type="application/json").status_code == 400


def test_auditors_read_but_never_act(api):
    instance_id = start(api).json["id"]
    assert api.get(f"/api/v1/instances/{instance_id}", headers=auth("audrey")).status_code == 200
    assert api.post(f"/api/v1/instances/{instance_id}/cancel", headers=auth("audrey"), json={}).status_code == 403


def test_openapi_document_lists_every_route(api, app):
    spec = api.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {"/api/v1" + p for p in spec["paths"]}
    routes = {str(r.rule).replace("<int:", "{").replace("<", "{").replace(">", "}")
              for r in app.url_map.iter_rules() if str(r.rule).startswith("/api/v1/")} - {"/api/v1/openapi.json"}
    expanded = set()
    for route in routes:
        verbs = ("complete", "claim", "release", "delegate") if "{verb}" in route else (None,)
        expanded |= {route.replace("{verb}", v) if v else route for v in verbs}
    assert expanded == documented


def test_messages_and_signals(api, web_engine):
    from tests.conftest import DATA
    web_engine.deploy_paths([DATA / "events" / "orders.bpmn", DATA / "events" / "signals.bpmn"], "owen")
    order = web_engine.start("order_flow", "alice", {"order_no": "A7", "qty": 2})
    body = {"name": "order_confirmed", "payload": {"order_no": "A7", "ok": True},
            "correlations": {"order_key": {"order_no": "A7"}}}
    refused = api.post("/api/v1/messages", headers=auth("alice"), json=body)
    assert refused.status_code == 403 and refused.json["reason"] == "not_sender"
    bad = api.post("/api/v1/messages", headers=auth("owen"), json={**body, "correlations": {"order_no": "A7"}})
    assert bad.status_code == 400 and "correlations" in bad.json["message"]
    nobody = api.post("/api/v1/messages", headers=auth("owen"), json={**body, "name": "nobody_waits"})
    assert nobody.status_code == 404 and nobody.json["reason"] == "no_receiver"
    sent = api.post("/api/v1/messages", headers=auth("owen"), json=body)
    assert sent.status_code == 200 and sent.json["delivered"] == [order.id]
    assert web_engine.instance(order.id).status == "completed"
    trail = api.get(f"/api/v1/instances/{order.id}/audit", headers=auth("alice")).json
    assert [e["data"]["by"] for e in trail["events"] if e["kind"] == "message_received"] == ["owen"]

    waiter = web_engine.start("recall_waiter", "alice", {})
    signal = api.post("/api/v1/signals", headers=auth("owen"), json={"name": "recall", "payload": {"batch": "B1"}})
    assert signal.status_code == 200 and signal.json["delivered"] == [waiter.id]
    assert web_engine.instance(waiter.id).status == "completed"
    assert "/messages" in api.get("/api/v1/openapi.json").json["paths"]


def test_only_json_is_taken_so_no_other_site_can_drive_an_action(api, web_engine):
    inst = start(api).json
    [task] = api.get("/api/v1/tasks?scope=queue", headers=auth("bob")).json
    # what a form on another site can send: urlencoded, multipart, text/plain; and a body-less post
    for kwargs in ({"data": {"decision": "approve"}}, {"data": "x", "content_type": "text/plain"}, {}):
        refused = api.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("bob"), **kwargs)
        assert refused.status_code == 415 and refused.json["error"] == "unsupported_media_type"
    assert web_engine.task(task["id"]).assignee is None and web_engine.instance(inst["id"]).status == "running"
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("bob"), json={}).status_code == 200


def test_bad_json_is_a_400_that_says_why_and_nothing_changes(api, web_engine):
    url, headers = "/api/v1/processes/small_approval/instances", {**auth("alice"), "Content-Type": "application/json"}
    cases = {
        '{"data": {"customer": "a", "amount": NaN}}': "NaN",
        '{"data": {"customer": "a", "amount": Infinity}}': "Infinity",
        '{"data": {"customer": "\\ud800", "amount": 1}}': "Unicode",
        "[" * 1000 + "]" * 1000: "nested",
        '{"a": ' * 40 + "1" + "}" * 40: "nested",
        "{not json": "not JSON",
    }
    for body, words in cases.items():
        response = api.post(url, headers=headers, data=body.encode("utf-8"))
        assert response.status_code == 400 and response.is_json and words in response.json["message"], body[:40]
    bad_utf8 = api.post(url, headers=headers, data=b'{"data": {"customer": "' + bytes([0xFF]) + b'"}}')
    assert bad_utf8.status_code == 400
    assert web_engine.count_instances() == 0


def test_bodies_past_the_limit_are_not_read(web_engine):
    app = make_app(web_engine, MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/api/v1/processes/small_approval/instances", headers=auth("alice"),
                                      json={"data": {"customer": "x" * 5000, "amount": 1}})
    assert response.status_code == 413 and response.is_json


def test_an_api_500_is_json(web_engine, monkeypatch):
    app = make_app(web_engine, PROPAGATE_EXCEPTIONS=False)
    monkeypatch.setattr(web_engine, "startable_processes", lambda user: 1 / 0)
    response = app.test_client().get("/api/v1/processes", headers=auth("alice"))
    assert response.status_code == 500 and response.json["error"] == "internal"
