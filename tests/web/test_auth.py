"""Sign-in: sessions, cookie flags, the throttle on repeated failures, the login requirement."""
from __future__ import annotations

from tests.web.conftest import login, make_app
from web.throttle import LoginThrottle


def test_login_page_is_public_and_everything_else_redirects(client):
    assert client.get("/login").status_code == 200
    for url in ("/", "/inbox", "/start/", "/start/small_approval", "/tasks/1", "/requests/", "/requests/1",
                "/requests/1/diagram.bpmn", "/audit/", "/audit/export.csv", "/no/such/page",
                "/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith("/login?next="), url


def test_anonymous_posts_redirect_to_login(client):
    for url in ("/tasks/1", "/tasks/1/claim", "/tasks/1/release", "/tasks/1/delegate", "/start/small_approval",
                "/requests/1/cancel", "/logout"):
        response = client.post(url, data={"decision": "approve"})
        assert response.status_code == 302 and response.location.startswith("/login"), url


def test_sign_in_and_out(client):
    response = login(client, "alice")
    assert response.status_code == 302 and response.location == "/inbox"
    page = client.get("/inbox")
    assert page.status_code == 200 and "爱丽丝" in page.text
    response = client.post("/logout")
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/inbox").status_code == 302


def test_wrong_password_and_unknown_user_say_the_same(client):
    wrong = login(client, "alice", "nope")
    unknown = login(client, "nobody", "nope")
    assert wrong.status_code == unknown.status_code == 401
    assert "login-error" in wrong.text and "login-error" in unknown.text
    assert client.get("/inbox").status_code == 302


def test_next_goes_back_to_the_page_but_never_off_site(client):
    response = client.post("/login?next=/requests/", data={"username": "alice", "password": "pw-alice"})
    assert response.location == "/requests/"
    client.post("/logout")
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = client.post("/login", query_string={"next": bad}, data={"username": "alice", "password": "pw-alice"})
        assert response.location == "/inbox", bad
        client.post("/logout")


def test_session_cookie_is_httponly_and_samesite(client):
    response = login(client, "alice")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


class Ticker:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_repeated_failures_lock_the_username_from_that_address(web_engine):
    ticker = Ticker()
    app = make_app(web_engine, LOGIN_CLOCK=ticker, LOGIN_FREE_FAILURES=3, LOGIN_LOCK_SECONDS=30)
    client = app.test_client()
    for _ in range(3):
        assert login(client, "alice", "guess").status_code == 401
    locked = login(client, "alice", "guess")
    assert locked.status_code == 429 and "30" in locked.text
    # While locked even the right password is refused (and not even checked).
    assert login(client, "alice").status_code == 429
    # Another user, or the same user from another address, is not affected.
    assert login(client, "bob").status_code == 302
    other = app.test_client()
    assert other.post("/login", data={"username": "alice", "password": "pw-alice"},
                      environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 302
    ticker.now += 31
    assert login(client, "alice", "guess").status_code == 429  # the next failure locks for longer: 60 s
    ticker.now += 59
    assert login(client, "alice").status_code == 429
    ticker.now += 2
    assert login(client, "alice").status_code == 302  # success clears the counter
    client.post("/logout")
    assert login(client, "alice", "guess").status_code == 401


def test_throttle_growth_and_cap():
    ticker = Ticker()
    throttle = LoginThrottle(free=2, base=10, cap=35, clock=ticker)
    key = LoginThrottle.key(" Alice ", "1.2.3.4")
    assert key == ("alice", "1.2.3.4")
    assert [throttle.failed(key) for _ in range(5)] == [0, 0, 10, 20, 35]
    assert throttle.retry_after(key) == 35
    ticker.now += 35
    assert throttle.retry_after(key) == 0
    throttle.succeeded(key)
    assert throttle.failed(key) == 0


def test_throttle_forgets_old_keys_when_full():
    ticker = Ticker()
    throttle = LoginThrottle(free=1, base=1, cap=1, clock=ticker, max_keys=3)
    for i in range(10):
        throttle.failed(("u", str(i)))
        ticker.now += 10
    assert len(throttle._records) <= 3


def test_inactive_or_deleted_user_loses_the_session(client, web_engine):
    login(client, "alice")
    assert client.get("/inbox").status_code == 200
    from engine.directory import import_directory
    with web_engine.Session() as s, s.begin():
        import_directory(s, {"users": [{"username": "alice", "name": "爱丽丝", "active": False,
                                        "groups": ["cs_staff"]}]})
    assert client.get("/inbox").status_code == 302


def test_navigation_fits_the_role(client, web_engine):
    login(client, "alice")
    page = client.get("/requests/").text
    assert 'href="/start/"' in page and 'href="/audit/"' not in page
    client.post("/logout")
    login(client, "audrey")  # auditors read, never start
    page = client.get("/requests/").text
    assert 'href="/start/"' not in page and 'href="/audit/"' in page
    assert "没有您可以发起的流程。" in client.get("/start/").text
