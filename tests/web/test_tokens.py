"""API tokens on the web: made on the account page (the secret shown once), used on the API as
`Authorization: Bearer`, revoked there; a token never opens a page; failures are throttled per address."""
from __future__ import annotations

import base64
import re

import pytest

from tests.web.conftest import csrf_login, csrf_token, make_app, open_task, start_request

SECRET = re.compile(r"apv_[A-Za-z0-9_-]{43}")
PAGE = "/account/tokens/"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def app(web_engine):
    return make_app(web_engine, WTF_CSRF_ENABLED=True)


def make_token(client, name: str, lifetime: str = "30"):
    return client.post(PAGE, data={"name": name, "lifetime": lifetime, "csrf_token": csrf_token(client, PAGE)})


def test_a_token_made_on_the_page_is_shown_once_works_on_the_api_and_stops_when_revoked(app, web_engine):
    page = app.test_client()
    csrf_login(page, "bob")
    empty = page.get(PAGE)
    assert empty.status_code == 200 and "<h1>API 令牌</h1>" in empty.text and "您还没有令牌。" in empty.text
    assert f'href="{PAGE}"' in page.get("/inbox").text  # linked from every page's header

    made = make_token(page, "nightly report")
    assert made.status_code == 200 and "只显示这一次" in made.text
    [secret] = set(SECRET.findall(made.text))
    assert made.headers["Cache-Control"] == "no-store"
    later = page.get(PAGE).text
    assert SECRET.search(later) is None and "nightly report" in later and "尚未使用" in later
    assert 'class="badge token-active">有效</span>' in later

    instance = start_request(web_engine)
    task = open_task(web_engine, instance.id, "manager_approval")
    api = app.test_client()  # a script: no cookie, only the token
    queue = api.get("/api/v1/tasks?scope=queue", headers=bearer(secret))
    assert queue.status_code == 200 and [t["id"] for t in queue.json] == [task.id]
    assert "Set-Cookie" not in queue.headers
    done = api.post(f"/api/v1/tasks/{task.id}/complete", headers=bearer(secret), json={"data": {"decision": "approve"}})
    assert done.status_code == 200 and web_engine.task(task.id).completed_by == "bob"
    assert "尚未使用" not in page.get(PAGE).text  # the last use is shown

    [token] = web_engine.list_tokens("bob")
    revoked = page.post(f"{PAGE}{token.id}/revoke", data={"csrf_token": csrf_token(page, PAGE)})
    assert revoked.status_code == 302 and revoked.location == PAGE
    assert "令牌 nightly report 已吊销" in page.get(PAGE).text
    refused = api.get("/api/v1/me", headers=bearer(secret))
    assert refused.status_code == 401 and refused.json["error"] == "unauthorized"
    assert "revoked" in refused.json["message"] and "WWW-Authenticate" not in refused.headers


def test_a_name_is_needed_and_only_the_owner_revokes(app, web_engine):
    bob = app.test_client()
    csrf_login(bob, "bob")
    unnamed = make_token(bob, "  ")
    assert unnamed.status_code == 422 and "请为令牌起个名称" in unnamed.text
    assert SECRET.search(unnamed.text) is None
    assert make_token(bob, "ci", lifetime="7").status_code == 422  # only the offered lifetimes
    assert web_engine.list_tokens("bob") == []

    make_token(bob, "ci", lifetime="")
    [token] = web_engine.list_tokens("bob")
    assert token.expires_at is None
    carol = app.test_client()
    csrf_login(carol, "carol")
    refused = carol.post(f"{PAGE}{token.id}/revoke", data={"csrf_token": csrf_token(carol, PAGE)})
    assert refused.status_code == 403 and "只有令牌的所有者可以吊销它" in refused.text
    assert "您还没有令牌。" in carol.get(PAGE).text  # carol's list holds only her own tokens
    assert web_engine.list_tokens("bob")[0].status == "active"


def test_a_token_opens_no_page_and_makes_no_session(web_engine):
    app = make_app(web_engine)  # without CSRF, so only the sign-in requirement can refuse
    secret = web_engine.create_token("bob", "ci").secret
    client = app.test_client()
    for url in ("/inbox", PAGE, "/requests/", "/start/"):
        response = client.get(url, headers=bearer(secret))
        assert response.status_code == 302 and response.location.startswith("/login"), url
    response = client.post(PAGE, headers=bearer(secret), data={"name": "made with a token"})
    assert response.status_code == 302 and response.location.startswith("/login")
    assert [t.name for t in web_engine.list_tokens("bob")] == ["ci"]
    assert client.get("/inbox").status_code == 302  # nothing the token did left a signed-in session behind


def test_bad_tokens_are_throttled_per_address_and_basic_still_works(app, web_engine):
    api = app.test_client()
    secret = web_engine.create_token("bob", "ci").secret
    wrong = secret[:-2] + ("xx" if not secret.endswith("xx") else "yy")
    codes = [api.get("/api/v1/me", headers=bearer(wrong)).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    locked = api.get("/api/v1/me", headers=bearer("apv_nothing"))
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert api.get("/api/v1/me", headers=bearer(secret)).json["username"] == "bob"  # a real token is no guess
    basic = base64.b64encode(b"carol:pw-carol").decode()
    assert api.get("/api/v1/me", headers={"Authorization": f"Basic {basic}"}).json["username"] == "carol"


def test_auditors_make_tokens_to_read_but_still_never_act(app, web_engine):
    instance = start_request(web_engine)
    client = app.test_client()
    csrf_login(client, "audrey")
    [secret] = set(SECRET.findall(make_token(client, "audit export").text))
    api = app.test_client()
    assert api.get(f"/api/v1/instances/{instance.id}/audit", headers=bearer(secret)).json["verified"] is True
    cancel = api.post(f"/api/v1/instances/{instance.id}/cancel", headers=bearer(secret), json={})
    assert cancel.status_code == 403
    kinds = [e.kind for e in web_engine.search_audit(actor="audrey")]
    assert kinds == ["token_created"]


def test_openapi_names_the_bearer_scheme(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert spec["components"]["securitySchemes"]["token"] == {**spec["components"]["securitySchemes"]["token"],
                                                              "type": "http", "scheme": "bearer"}
    assert {"token": []} in spec["security"] and {"basic": []} in spec["security"]


def test_the_page_in_english(app):
    client = app.test_client()
    csrf_login(client, "bob")
    client.get("/language/en")
    made = make_token(client, "ci")
    assert "it is shown only this once" in made.text and "<h1>API tokens</h1>" in made.text
