"""Auditors see the newest external checkpoint, download the checkpoint file, and the trail checked against it."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from engine.audit import GENESIS, HASHED, compute_hash
from engine.storage.models import AuditEvent, HumanTask, ProcessInstance
from tests.web.conftest import login, open_task, start_request


@pytest.fixture(autouse=True)
def beside_the_database(monkeypatch):
    monkeypatch.delenv("APPROVALS_CHECKPOINT_FILE", raising=False)


@pytest.fixture
def approved(web_engine):
    inst = start_request(web_engine, customer="甲公司")
    web_engine.complete(open_task(web_engine, inst.id, "manager_approval").id, "bob", {"decision": "approve"})
    return inst


def _rehash_with_another_approver(engine, instance_id: int, who: str) -> None:
    with engine.Session() as s, s.begin():
        prev = GENESIS
        for event in s.scalars(select(AuditEvent).where(AuditEvent.chain == f"instance:{instance_id}")
                               .order_by(AuditEvent.seq)):
            if event.kind in ("claimed", "completed"):
                event.actor = who
            event.prev_hash, event.hash = prev, compute_hash(prev, {k: getattr(event, k) for k in HASHED})
            prev = event.hash
        s.execute(update(HumanTask).where(HumanTask.instance_id == instance_id).values(completed_by=who))
        s.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id).values(audit_hash=prev))


def test_only_auditors_see_checkpoints(client, web_engine, approved):
    web_engine.write_checkpoint()
    for user in ("alice", "bob", "owen"):
        login(client, user)
        assert client.get("/audit/checkpoint").status_code == 403, user
        assert client.get("/audit/checkpoint/file").status_code == 403, user
        client.post("/logout")


def test_before_the_first_checkpoint(client, approved):
    login(client, "audrey")
    assert "尚未生成任何检查点。" in client.get("/audit/").text
    page = client.get("/audit/checkpoint")
    assert page.status_code == 200 and 'id="no-checkpoint"' in page.text
    assert client.get("/audit/checkpoint/file").status_code == 404


def test_the_newest_checkpoint_its_file_and_a_clean_check(client, web_engine, approved, clock):
    web_engine.write_checkpoint()
    clock.advance(hours=1)
    start_request(web_engine, customer="乙公司")
    view = web_engine.write_checkpoint()
    login(client, "audrey")
    search = client.get("/audit/").text
    assert "最新检查点" in search and f"{view.root[:16]}…" in search and "3 条哈希链" in search
    assert 'href="/audit/checkpoint/file"' in search and 'href="/audit/checkpoint"' in search
    page = client.get("/audit/checkpoint").text
    assert f'<code id="checkpoint-root">{view.root}</code>' in page and "第 2 行" in page
    assert 'class="chain ok" id="checkpoint-status"' in page
    assert "3 条哈希链与检查点时一致，此后新增 0 条。" in page
    with client.get("/audit/checkpoint/file") as download:
        assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
        assert download.data == web_engine.checkpoint_path().read_bytes() and download.data.count(b"\n") == 2


def test_a_rehashed_history_shows_against_the_checkpoint(client, web_engine, approved):
    web_engine.write_checkpoint()
    _rehash_with_another_approver(web_engine, approved.id, "carol")
    assert web_engine.verify_audit()[1] == []
    login(client, "audrey")
    page = client.get("/audit/checkpoint").text
    assert 'class="chain broken" id="checkpoint-status"' in page and "审计记录与此检查点不一致。" in page
    assert f"<td>instance:{approved.id}</td>" in page and "被改写" in page
    client.get("/language/en")
    page = client.get("/audit/checkpoint").text
    assert "The trail does not match this checkpoint." in page and "Rewritten" in page


def test_a_damaged_checkpoint_file_is_reported(client, web_engine, approved):
    web_engine.checkpoint_path().write_text("not a checkpoint\n", encoding="utf-8")
    login(client, "audrey")
    assert "无法读取检查点文件" in client.get("/audit/").text
    assert 'id="checkpoint-error"' in client.get("/audit/checkpoint").text
