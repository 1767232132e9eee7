"""Sign-in: sessions, cookie flags, the throttle on repeated failures, the login requirement."""
from __future__ import annotations

from tests.web.conftest import login, make_app


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
    assert response.status_code == 302 and response.location == "/"  # then where the role starts
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
        assert response.location == "/", bad
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


def test_repeated_failures_lock_the_username_from_that_address(web_engine, clock):
    app = make_app(web_engine, LOGIN_FREE_FAILURES=3, LOGIN_LOCK_SECONDS=30)
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
    clock.advance(seconds=31)
    assert login(client, "alice", "guess").status_code == 429  # the next failure locks for longer: 60 s
    clock.advance(seconds=59)
    assert login(client, "alice").status_code == 429
    clock.advance(seconds=2)
    assert login(client, "alice").status_code == 302  # success clears the counter
    client.post("/logout")
    assert login(client, "alice", "guess").status_code == 401


def test_throttle_growth_and_cap_shared_by_every_process(web_engine, clock):
    from engine import Engine
    other_process = Engine(web_engine.sa_engine, clock=clock)  # nothing shared but the database
    assert [web_engine.sign_in_failed(" Alice ", "1.2.3.4", free=2, base=10, cap=35) for _ in range(3)] == [0, 0, 10]
    assert [other_process.sign_in_failed("alice", "1.2.3.4", free=2, base=10, cap=35) for _ in range(2)] == [20, 35]
    assert other_process.sign_in_wait("ALICE", "1.2.3.4") == 35 and web_engine.sign_in_wait("alice", "9.9.9.9") == 0
    clock.advance(seconds=35)
    assert web_engine.sign_in_wait("alice", "1.2.3.4") == 0
    other_process.sign_in_succeeded("alice", "1.2.3.4")
    assert web_engine.sign_in_failed("alice", "1.2.3.4", free=2, base=10, cap=35) == 0


def test_throttle_forgets_idle_pairs(web_engine, clock):
    from sqlalchemy import func, select

    from engine.storage.models import SignInFailure
    for i in range(10):
        web_engine.sign_in_failed("u", str(i), free=1, base=1, cap=1)
        clock.advance(seconds=10)
    with web_engine.session() as s:
        assert s.scalar(select(func.count()).select_from(SignInFailure)) == 1  # the older ones went idle


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


def test_signing_out_ends_copies_of_the_session_cookie_too(app, web_engine):
    browser, thief = app.test_client(), app.test_client()
    login(browser, "alice")
    cookie = browser.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    assert thief.get("/inbox").status_code == 200  # a copied cookie works while the session lives
    browser.post("/logout")
    assert thief.get("/inbox").status_code == 302  # and not after signing out
    login(browser, "alice")
    assert browser.get("/inbox").status_code == 200  # a new sign-in works


def test_a_new_password_ends_existing_sessions(app, web_engine):
    client = app.test_client()
    login(client, "bob")
    assert client.get("/inbox").status_code == 200
    web_engine.import_users({"users": [{"username": "bob", "name": "鲍勃", "password": "a-new-one",
                                        "groups": ["cs_manager"]}]})
    assert client.get("/inbox").status_code == 302
    login(client, "bob", "a-new-one")
    web_engine.import_users({"users": [{"username": "bob", "name": "鲍勃", "password": "a-new-one",
                                        "groups": ["cs_manager"]}]})  # the same password again: nothing ends
    assert client.get("/inbox").status_code == 200
