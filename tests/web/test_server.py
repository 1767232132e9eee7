"""`approvals serve` is a production server: several gunicorn processes, a worker process beside them,
a health check; and the sign-in lockout is the same whichever process answers."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import DATA


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        return handle.read().replace(b"\0", b" ").decode()


@pytest.fixture
def server(tmp_path):
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "APPROVALS_INSTANCE_DIR": str(tmp_path),
           "APPROVALS_FORMS_DIR": str(DATA / "forms")}
    subprocess.run([sys.executable, "-m", "web.cli", "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "web.cli", "users", "import", str(DATA / "web_users.yaml")], env=env,
                   check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--workers", "2",
                             "--interval", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                break
        except OSError:  # refused, reset or timed out while the processes start
            time.sleep(0.1)
    else:
        proc.kill()
        output = proc.communicate()[0]
        pytest.fail(output)
    yield proc, base
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()


def test_serve_runs_gunicorn_workers_a_timer_worker_and_a_health_check(server):
    proc, base = server
    with urllib.request.urlopen(base + "/healthz", timeout=5) as health:
        assert health.status == 200 and b'"ok":true' in health.read().replace(b" ", b"")
        assert "gunicorn" in health.headers.get("Server", "")
    # the main process is gunicorn's arbiter: two web processes forked from it, and the timer worker
    kids = {pid: cmdline(pid) for pid in children(proc.pid)}
    web = [pid for pid, line in kids.items() if line == cmdline(proc.pid)]
    timer_worker = [pid for pid, line in kids.items() if "--worker-loop" in line]
    assert len(web) == 2 and len(timer_worker) == 1, kids


def test_a_killed_worker_is_started_again(server):
    proc, _base = server
    [worker] = [pid for pid in children(proc.pid) if "--worker-loop" in cmdline(pid)]
    os.kill(worker, signal.SIGKILL)
    for _ in range(100):
        again = [pid for pid in children(proc.pid) if pid != worker and "--worker-loop" in cmdline(pid)]
        if again:
            break
        time.sleep(0.1)
    assert again, "no worker after 10 s"


def test_a_lockout_holds_in_every_web_process(server):
    _proc, base = server
    codes = []
    for _ in range(8):
        request = urllib.request.Request(base + "/api/v1/me", headers={
            "Authorization": "Basic " + __import__("base64").b64encode(b"bob:wrong").decode()})
        try:
            urllib.request.urlopen(request, timeout=5).close()
        except urllib.error.HTTPError as exc:
            codes.append(exc.code)
            exc.close()
    # requests land on either process; the count is in the database, so the lock comes at the same point
    assert codes[:5] == [401] * 5 and codes[5:] == [429] * 3


def test_health_check_says_503_with_retry_after_when_the_database_is_gone(tmp_path):
    from engine import Engine, make_engine
    from tests.web.conftest import make_app
    gone = Engine(make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"))
    response = make_app(gone).test_client().get("/healthz")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.json == {"ok": False, "database": "unreachable"}
    gone.sa_engine.dispose()


def test_an_unreachable_database_is_a_503_with_retry_after_on_pages_and_the_api(tmp_path):
    import base64

    from engine import Engine, make_engine
    from tests.web.conftest import make_app
    gone = Engine(make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"))
    client = make_app(gone, PROPAGATE_EXCEPTIONS=False).test_client()
    page = client.post("/login", data={"username": "alice", "password": "pw-alice"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "2" and "数据库" in page.text
    api = client.get("/api/v1/me", headers={"Authorization": "Basic " + base64.b64encode(b"alice:pw").decode()})
    assert api.status_code == 503 and api.json["error"] == "unavailable" and api.headers["Retry-After"] == "2"
    gone.sa_engine.dispose()


def test_metrics_come_from_the_database_and_only_for_allowed_addresses(web_engine, clock):
    from datetime import timedelta

    from tests.web.conftest import make_app, open_task, start_request
    inst = start_request(web_engine)  # small approval: the manager's task has a 3-day reminder timer
    clock.advance(days=10)  # the reminder is long overdue and no worker ran
    client = make_app(web_engine).test_client()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'approvals_instances{status="running"} 1.0' in text and "approvals_open_tasks 1.0" in text
    assert "approvals_completions_total 0.0" in text
    lag = float(next(line.split()[1] for line in text.splitlines() if line.startswith("approvals_timer_lag_seconds ")))
    assert lag > timedelta(days=6).total_seconds()
    web_engine.complete(open_task(web_engine, inst.id, "manager_approval").id, "bob", {"decision": "approve"})
    assert "approvals_completions_total 1.0" in client.get("/metrics").get_data(as_text=True)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    allowed = make_app(web_engine, METRICS_ALLOW=("10.1.2.3",)).test_client()
    assert allowed.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


def test_metrics_add_up_request_latency_of_every_web_process(server):
    _proc, base = server
    for _ in range(6):  # several connections: both web processes answer some
        urllib.request.urlopen(base + "/healthz", timeout=5).close()
    with urllib.request.urlopen(base + "/metrics", timeout=5) as scrape:
        text = scrape.read().decode()
    [count] = [line for line in text.splitlines()
               if line.startswith("approvals_request_seconds_count") and 'route="/healthz"' in line]
    assert float(count.rsplit(" ", 1)[1]) >= 6
    assert "approvals_instances" in text  # the database figures alongside
