"""Mail goes through a real SMTP server process: queued with the step, sent by the worker."""
from __future__ import annotations

import json
import mailbox
import os
import socket
import subprocess
import sys
import time
from email.header import decode_header, make_header

import pytest

from engine.mail import SmtpSettings
from tests.conftest import DATA


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path):
    """aiosmtpd in its own process, storing what it receives in a Maildir."""
    port, box, log = _free_port(), tmp_path / "maildir", tmp_path / "smtp.log"
    with open(log, "wb") as errors:
        proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                                 "-c", "aiosmtpd.handlers.Mailbox", str(box)],
                                stdout=subprocess.DEVNULL, stderr=errors)
    deadline = time.time() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"SMTP server did not start: {log.read_text()}")
            time.sleep(0.1)
    yield port, box
    proc.terminate()
    proc.wait(10)


def _received(box) -> list[tuple[str, str, str]]:
    out = []
    for msg in mailbox.Maildir(str(box), create=False):
        subject = str(make_header(decode_header(msg["Subject"])))
        out.append((msg["To"], subject, msg.get_payload(decode=True).decode("utf-8")))
    return sorted(out)


def _with_emails(small):
    small.mail = True
    small.import_users({"users": [
        {"username": u, "name": u, "email": f"{u}@example.com", "groups": g}
        for u, g in (("bob", ["cs_manager"]), ("carol", ["cs_manager"]), ("gina", ["gm"]))]})


def test_new_task_mails_its_group_through_smtp(small, smtp_server):
    port, box = smtp_server
    _with_emails(small)
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    settings = SmtpSettings("127.0.0.1", port, "approvals@example.com", "http://approvals.example")
    assert small.deliver_mail(settings) == 1
    [(to, subject, body)] = _received(box)
    assert to == "bob@example.com, carol@example.com"
    assert subject == "新待办：经理审批"
    assert f"http://approvals.example/instances/{inst.id}" in body
    assert small.deliver_mail(settings) == 0  # sent once


def test_mail_follows_each_persons_channel_preferences(small, smtp_server):
    port, box = smtp_server
    _with_emails(small)
    small.set_notice_preferences("carol", True, ["reminder"])  # no new-task mail for her
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    small.set_notice_preferences("bob", False, ["task", "reminder"])  # after it was queued: still honoured
    small.remind(inst.id, "alice")
    settings = SmtpSettings("127.0.0.1", port)
    assert small.deliver_mail(settings) == 1  # the new task reached nobody who wants it by mail
    assert [(to, s) for to, s, _ in _received(box)] == [("carol@example.com", "催办：经理审批")]
    assert small.notices("bob")  # in the app it arrived all the same


def test_a_failed_step_queues_no_mail_and_a_down_server_loses_none(small, smtp_server, tmp_path):
    from engine import FormInvalid
    port, box = smtp_server
    _with_emails(small)
    small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    [task] = small.tasks("bob")
    with pytest.raises(FormInvalid):
        small.complete(task.id, "bob", {"decision": "perhaps"})
    with pytest.raises(OSError):
        small.deliver_mail(SmtpSettings("127.0.0.1", _free_port()))  # nobody listens there
    assert small.deliver_mail(SmtpSettings("127.0.0.1", port)) == 1
    assert [s for _, s, _ in _received(box)] == ["新待办：经理审批"]


def test_worker_command_sends_mail(tmp_path, smtp_server):
    port, box = smtp_server
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}",
           "APPROVALS_FORMS_DIR": str(DATA / "forms"), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)}

    def run(*args):
        proc = subprocess.run([sys.executable, "-m", "engine.cli", "--json", *args], env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(proc.stdout)

    run("db", "upgrade")
    users = tmp_path / "users.yaml"
    users.write_text((DATA / "users.yaml").read_text(encoding="utf-8").replace(
        "{username: gina, name: 吉娜,", "{username: gina, name: 吉娜, email: gina@example.com,"), encoding="utf-8")
    run("users", "import", str(users))
    run("deploy", str(DATA / "approval.bpmn"), "--as", "owen")
    run("start", "small_approval", "--as", "alice", "--data", '{"customer": "甲", "amount": 5}')
    [task] = run("tasks", "--as", "bob")["tasks"]
    run("complete", str(task["id"]), "--as", "bob", "--data", '{"decision": "approve"}')
    result = run("worker", "--once")
    assert result["sent"] == 1  # bob and carol have no address: only gina's task is mailed
    assert [(to, s) for to, s, _ in _received(box)] == [("gina@example.com", "新待办：总经理审批")]


def test_without_smtp_nothing_is_queued(small):
    from sqlalchemy import func, select

    from engine.storage.models import OutboxMessage
    assert small.mail is False
    small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    with small.session() as s:
        assert s.scalar(select(func.count(OutboxMessage.id))) == 0
