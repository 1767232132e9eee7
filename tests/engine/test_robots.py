"""Group chat robots receive their markdown over real HTTP: a local server in a thread takes the posts the
worker sends, fails when told to, and the outbox retries with backoff, then gives up where operators see it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine import webhooks
from tests.conftest import DATA
from tests.restart import RestartingEngine


class Robot:
    """A chat robot on 127.0.0.1: answers `script` in turn (then the last one again) and keeps every post."""

    def __init__(self, *script: tuple[int, dict]):
        self.script, self.received = list(script) or [(200, {"errcode": 0, "errmsg": "ok"})], []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                robot.received.append((self.path, json.loads(self.rfile.read(length).decode("utf-8"))))
                status, answer = robot.script[min(len(robot.received), len(robot.script)) - 1]
                data = json.dumps(answer).encode("utf-8")
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Robot:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def eng(small, clock):
    return RestartingEngine(small.sa_engine, forms_dir=DATA / "forms", clock=clock)


def remind_the_managers(eng):
    inst = eng.start("small_approval", "alice", {"customer": "华星电子", "amount": 5})
    eng.remind(inst.id, "alice")
    return inst


def test_a_wecom_robot_receives_the_reminder_as_markdown_once(eng, clock):
    with Robot() as robot:
        eng.set_group_robot("cs_manager", "owen", robot.url, "wecom")
        inst = remind_the_managers(eng)
        assert robot.received == []  # nothing leaves during the step itself
        assert eng.deliver_webhooks("https://approvals.example") == 1
        assert eng.deliver_webhooks("https://approvals.example") == 0  # sent once
    [(path, body)] = robot.received
    assert path == "/cgi-bin/webhook/send?key=test"
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"content"}
    assert body["markdown"]["content"] == (
        f"### 催办：经理审批\n\n“小额审批”的申请人催您办理“经理审批”。\n\n"
        f"[查看申请](https://approvals.example/requests/{inst.id})")


def test_a_dingtalk_robot_gets_its_shape_and_a_signature_it_can_check(eng, clock):
    secret = "SEC0123456789abcdef"
    with Robot() as robot:
        eng.set_group_robot("cs_manager", "owen", robot.url, "dingtalk", secret)
        remind_the_managers(eng)
        assert eng.deliver_webhooks() == 1
    [(path, body)] = robot.received
    assert body == {"msgtype": "markdown", "markdown": {"title": "催办：经理审批", "text": body["markdown"]["text"]}}
    assert body["markdown"]["text"].startswith("### 催办：经理审批")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    timestamp, [sign] = query["timestamp"][0], query["sign"]
    assert timestamp == str(int(clock.now.timestamp() * 1000))
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest())
    assert sign == expected.decode()  # parse_qs undid the URL encoding
    assert query["key"] == ["test"]


def test_a_robot_that_fails_first_gets_the_post_again_after_the_backoff(eng, clock):
    with Robot((500, {"errmsg": "busy"}), (200, {"errcode": 0})) as robot:
        eng.set_group_robot("cs_manager", "owen", robot.url, "wecom")
        remind_the_managers(eng)
        assert eng.deliver_webhooks() == 0
        assert eng.deliver_webhooks() == 0  # waits for its backoff: the robot is not asked again yet
        assert len(robot.received) == 1
        clock.advance(seconds=31)
        assert eng.deliver_webhooks() == 1
        assert len(robot.received) == 2 and robot.received[0][1] == robot.received[1][1]
    assert eng.failed_robot_posts("owen") == []


def test_a_robot_that_always_fails_is_given_up_and_listed_for_operators(eng, clock):
    with Robot((200, {"errcode": 93000, "errmsg": "invalid webhook url"})) as robot:
        eng.set_group_robot("cs_manager", "owen", robot.url, "wecom")
        inst = remind_the_managers(eng)
        for _ in range(webhooks.MAX_ATTEMPTS + 2):
            assert eng.deliver_webhooks() == 0
            clock.advance(hours=1)
        assert len(robot.received) == webhooks.MAX_ATTEMPTS
    [failed] = eng.failed_robot_posts("owen")
    assert (failed.group_id, failed.instance_id, failed.subject, failed.attempts) == (
        "cs_manager", inst.id, "催办：经理审批", webhooks.MAX_ATTEMPTS)
    assert failed.last_error == "ValueError: robot refused: errcode 93000 invalid webhook url"


def test_a_redirect_or_a_removed_robot_is_a_failure_not_followed(eng, clock):
    with Robot((302, {})) as robot:
        eng.set_group_robot("cs_manager", "owen", robot.url, "wecom")
        remind_the_managers(eng)
        assert eng.deliver_webhooks() == 0
        assert len(robot.received) == 1
    eng.remove_group_robot("cs_manager", "owen")
    clock.advance(minutes=5)
    assert eng.deliver_webhooks() == 0
    [failed] = eng.failed_robot_posts("owen")
    assert failed.last_error == "the group has no robot any more" and failed.attempts == 2


def test_the_worker_round_posts_to_robots_without_a_mail_server(eng, clock, monkeypatch):
    from engine import operations_cli
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("BASE_URL", "http://approvals.local")
    with Robot() as robot:
        eng.set_group_robot("cs_manager", "owen", robot.url, "wecom")
        inst = remind_the_managers(eng)
        assert operations_cli.work_once(eng.fresh()) == (0, 1)
    assert robot.received[0][1]["markdown"]["content"].endswith(f"(http://approvals.local/requests/{inst.id})")
