"""The `approvals` command: each verb, --json output, one-line failures with a non-zero exit."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import DATA


@pytest.fixture
def cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "APPROVALS_FORMS_DIR": str(DATA / "forms")}

    def run(*args, ok=True):
        proc = subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, capture_output=True,
                              text=True, timeout=120)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    run("db", "upgrade")
    run.url, run.env = url, env
    return run


def test_users_import_twice_updates_not_duplicates(cli):
    first = json.loads(cli("--json", "users", "import", str(DATA / "users.yaml")).stdout)
    assert first["users"] == 7
    cli("users", "import", str(DATA / "users.yaml"))
    engine = create_engine(cli.url)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from app_user")).scalar() == 7
        assert conn.execute(text("select count(*) from membership")).scalar() == 7
        hashed = conn.execute(text("select password_hash from app_user where username='alice'")).scalar()
    engine.dispose()
    assert hashed.startswith("$argon2")


def test_walk_through_the_cli(cli):
    cli("users", "import", str(DATA / "users.yaml"))
    deployed = json.loads(cli("--json", "deploy", str(DATA / "approval.bpmn"), "--as", "owen").stdout)
    assert deployed["deployed"][0]["process_id"] == "small_approval"
    started = json.loads(cli("--json", "start", "small_approval", "--as", "alice",
                             "--data", '{"customer": "甲", "amount": 5000}').stdout)
    assert started["instance"]["status"] == "running"
    tasks = json.loads(cli("--json", "tasks", "--as", "bob").stdout)["tasks"]
    assert [t["bpmn_id"] for t in tasks] == ["manager_approval"]
    assert "经理审批" in cli("tasks", "--as", "bob").stdout
    done = json.loads(cli("--json", "complete", str(tasks[0]["id"]), "--as", "bob",
                          "--data", '{"decision": "approve"}').stdout)
    assert done["instance"]["status"] == "running"
    assert json.loads(cli("--json", "worker", "--once").stdout)["fired"] == 0
    assert json.loads(cli("--json", "audit", "verify").stdout)["chains"] == 2


def test_failures_are_one_line_and_non_zero(cli):
    cli("users", "import", str(DATA / "users.yaml"))
    bad = cli("deploy", str(DATA / "forms" / "request.schema.json"), ok=False)
    assert bad.returncode != 0
    proc = cli("start", "nope", "--as", "alice", ok=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "nope" in proc.stderr
    proc = cli("--json", "complete", "42", "--as", "bob", ok=False)
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "not_found"
    proc = cli("start", "small_approval", "--as", "alice", "--data", "{not json", ok=False)
    assert proc.returncode == 1 and "not valid JSON" in proc.stderr


def test_invalid_bpmn_refused_naming_file_element_and_reason(cli, tmp_path):
    cli("users", "import", str(DATA / "users.yaml"))
    bad = tmp_path / "bad.bpmn"
    bad.write_text((DATA / "approval.bpmn").read_text(encoding="utf-8").replace('"P3D"', '"three days"'),
                   encoding="utf-8")
    proc = cli("deploy", str(bad), ok=False)
    assert proc.returncode == 1
    line = proc.stderr.strip()
    assert "\n" not in line and "bad.bpmn" in line and "manager_deadline" in line and "ISO 8601" in line
    engine = create_engine(cli.url)
    with engine.connect() as conn:  # nothing was deployed, and nothing says it was
        assert conn.execute(text("select count(*) from process_definition")).scalar() == 0
        assert conn.execute(text("select count(*) from audit_event where kind = 'deployed'")).scalar() == 0
    engine.dispose()


def test_audit_verify_reports_tampering(cli):
    cli("users", "import", str(DATA / "users.yaml"))
    cli("deploy", str(DATA / "approval.bpmn"), "--as", "owen")
    cli("start", "small_approval", "--as", "alice", "--data", '{"customer": "甲", "amount": 5}')
    engine = create_engine(cli.url)
    with engine.begin() as conn:
        conn.execute(text("update audit_event set actor='mallory' where kind='started'"))
    engine.dispose()
    proc = cli("audit", "verify", ok=False)
    assert proc.returncode == 1 and "instance:1" in proc.stderr and "seq 1" in proc.stderr


def test_message_and_signal_commands(cli):
    cli("users", "import", str(DATA / "users.yaml"))
    cli("deploy", str(DATA / "events" / "orders.bpmn"), str(DATA / "events" / "signals.bpmn"), "--as", "owen")
    started = json.loads(cli("--json", "start", "order_flow", "--as", "alice",
                             "--data", '{"order_no": "C1", "qty": 1}').stdout)["instance"]
    waiter = json.loads(cli("--json", "start", "recall_waiter", "--as", "alice").stdout)["instance"]
    refused = cli("message", "order_confirmed", "--as", "alice", "--data", '{"order_no": "C1"}', ok=False)
    assert refused.returncode == 1 and "may not send" in refused.stderr
    sent = json.loads(cli("--json", "message", "order_confirmed", "--as", "owen", "--data", '{"order_no": "C1"}',
                          "--correlation", '{"order_key": {"order_no": "C1"}}').stdout)
    assert sent["delivery"]["delivered"] == [started["id"]]
    signalled = cli("signal", "recall", "--as", "owen", "--data", '{"batch": "X"}')
    assert f"delivered to 1 instance(s) ({waiter['id']})" in signalled.stdout
    engine = create_engine(cli.url)
    with engine.connect() as conn:
        statuses = dict(conn.execute(text("select id, status from process_instance")).all())
    engine.dispose()
    assert statuses[started["id"]] == "completed" and statuses[waiter["id"]] == "completed"


def test_comment_copy_remind_withdraw_from_the_command_line(cli):
    cli("users", "import", str(DATA / "users.yaml"))
    cli("deploy", str(DATA / "approval.bpmn"), "--as", "owen")
    first = json.loads(cli("--json", "start", "small_approval", "--as", "alice",
                           "--data", '{"customer": "甲", "amount": 5000}').stdout)["instance"]["id"]
    said = json.loads(cli("--json", "comment", str(first), "请尽快 @gina", "--as", "alice").stdout)
    assert said["comment"]["mentions"] == ["gina"]
    copied = json.loads(cli("--json", "copy", str(first), "carol", "--as", "alice", "--note", "供参考").stdout)
    assert copied["copied"] == ["carol"]
    assert json.loads(cli("--json", "remind", str(first), "--as", "alice").stdout)["reminded"] == ["group:cs_manager"]
    again = cli("--json", "remind", str(first), "--as", "alice", ok=False)
    assert again.returncode == 1 and json.loads(again.stdout)["reason"] == "reminded_recently"
    ended = json.loads(cli("--json", "withdraw", str(first), "--as", "alice", "--reason", "不要了").stdout)
    assert ended["instance"]["outcome"] == "withdrawn"
    refused = cli("--json", "withdraw", str(first), "--as", "bob", ok=False)
    assert json.loads(refused.stdout)["error"] == "not_allowed"


def test_notification_settings_out_of_office_and_robots_from_the_command_line(cli):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    cli("users", "import", str(DATA / "users.yaml"))

    def js(*args, ok=True):
        proc = cli("--json", *args, ok=ok)
        assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
        return json.loads(proc.stdout)

    assert js("notice-settings", "--as", "bob")["preferences"]["mail"] is True
    prefs = js("notice-settings", "--as", "bob", "--mail", "off", "--events", "reminder,task")["preferences"]
    assert (prefs["mail"], prefs["events"]) == (False, ["task", "reminder"])
    assert js("notice-settings", "--as", "bob", "--events", "gossip", ok=False)["reason"] == "unknown_event"

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    later = (today + timedelta(days=2)).isoformat()
    away = js("away", "--as", "bob", "--deputy", "carol", "--from", today.isoformat(), "--to", later)
    assert away["out_of_office"]["deputy"] == "carol" and away["out_of_office"]["ends_on"] == later
    assert "new tasks go to carol" in cli("away", "--as", "bob").stdout
    refused = js("away", "--as", "carol", "--deputy", "carol", "--from", today.isoformat(), "--to", later, ok=False)
    assert (refused["error"], refused["reason"]) == ("engine_error", "deputy_self")
    assert js("away", "--as", "carol", "--deputy", "bob", "--from", "soon", "--to", later, ok=False)["reason"] == \
        "dates_missing"
    assert js("away", "--as", "bob", "--clear")["cleared"] is True

    robot = js("robot", "set", "cs_manager", "--url", "https://oapi.dingtalk.com/robot/send?access_token=t",
               "--kind", "dingtalk", "--secret", "SECxyz", "--as", "owen")["robot"]
    assert robot["signed"] is True and "secret" not in robot
    assert "SECxyz" not in cli("robot", "list", "--as", "owen").stdout
    assert js("robot", "set", "cs_manager", "--url", "file:///etc/passwd", "--kind", "wecom", "--as", "owen",
              ok=False)["reason"] == "bad_url"
    assert js("robot", "list", "--as", "bob", ok=False)["reason"] == "not_process_owner"
    assert js("robot", "failed", "--as", "owen")["failed"] == []
    assert js("robot", "remove", "cs_manager", "--as", "owen")["removed"] is True


def test_sign_answer_and_side_tasks_from_the_command_line(cli):
    cli("users", "import", str(DATA / "users.yaml"))
    cli("deploy", str(DATA / "approval.bpmn"), "--as", "owen")
    first = json.loads(cli("--json", "start", "small_approval", "--as", "alice",
                           "--data", '{"customer": "甲", "amount": 5000}').stdout)["instance"]["id"]
    task = json.loads(cli("--json", "tasks", "--as", "bob").stdout)["tasks"][0]["id"]
    asked = json.loads(cli("--json", "sign", str(task), "gina", "--reason", "金额偏大，请给意见", "--as", "bob").stdout)
    [side] = asked["side_tasks"]
    busy = cli("--json", "complete", str(task), "--as", "bob", "--data", '{"decision": "approve"}', ok=False)
    assert busy.returncode == 1 and json.loads(busy.stdout)["reason"] == "waiting_opinions"
    stranger = cli("--json", "answer", str(side), "--opinion", "我来", "--as", "carol", ok=False)
    assert json.loads(stranger.stdout)["error"] == "not_allowed"
    cli("answer", str(side), "--opinion", "可以批", "--as", "gina")
    [listed] = json.loads(cli("--json", "side-tasks", str(first)).stdout)["side_tasks"]
    assert (listed["kind"], listed["answered_by"], listed["opinion"]) == ("consult", "gina", "可以批")
    twice = cli("--json", "answer", str(side), "--opinion", "再说", "--as", "gina", ok=False)
    assert json.loads(twice.stdout)["reason"] == "completed"
    cli("complete", str(task), "--as", "bob", "--data", '{"decision": "approve"}')
