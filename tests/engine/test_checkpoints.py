"""External checkpoints: a Merkle root over every chain's head, in an append-only file outside the
database. Verifying against one finds what plain `audit verify` cannot: a history rewritten with every
hash (and every instance's head) recomputed, chains cut short, chains deleted with their instance."""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from engine import Engine
from engine import checkpoints, merkle
from engine.audit import GENESIS, HASHED, compute_hash
from engine.checkpoint_schedule import Schedule, interval, write_if_due
from engine.checkpoints import CheckpointMismatch
from engine.storage.models import AuditEvent, HumanTask, ProcessInstance, TaskCandidate


def _walk(eng, customer="甲"):
    inst = eng.start("small_approval", "alice", {"customer": customer, "amount": 5000})
    [task] = [t for t in eng.tasks("bob") if t.instance_id == inst.id]
    eng.complete(task.id, "bob", {"decision": "approve", "comment": "可以"})
    return inst


def _kinds(report) -> list[tuple[str, str | None]]:
    return [(p.kind, p.chain) for p in report.problems]


def _rewrite_every_approver(eng, instance_id: int, who: str) -> None:
    """The strongest attack on an unkeyed trail: change the history, recompute every hash and the heads."""
    with eng.Session() as s, s.begin():
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.chain == f"instance:{instance_id}")
                                .order_by(AuditEvent.seq)))
        prev = GENESIS
        for event in events:
            if event.kind in ("claimed", "completed"):
                event.actor = who
            event.prev_hash, event.hash = prev, compute_hash(prev, {k: getattr(event, k) for k in HASHED})
            prev = event.hash
        s.execute(update(HumanTask).where(HumanTask.instance_id == instance_id).values(completed_by=who))
        s.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id).values(audit_hash=prev))


def _cut(eng, instance_id: int, keep: int) -> None:
    """Remove a chain's events after `keep` and cover the traces: the instance's head and its inbox rows."""
    chain = f"instance:{instance_id}"
    with eng.Session() as s, s.begin():
        s.execute(delete(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq > keep))
        head = s.scalars(select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq == keep)).one()
        s.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                  .values(audit_seq=keep, audit_hash=head.hash))
        s.execute(update(HumanTask).where(HumanTask.instance_id == instance_id)
                  .values(status="open", completed_by=None, completed_at=None))


def _erase(eng, instance_id: int) -> None:
    """Delete an instance with everything that names it: its inbox rows, its chain, the instance."""
    with eng.Session() as s, s.begin():
        tasks = select(HumanTask.id).where(HumanTask.instance_id == instance_id)
        s.execute(delete(TaskCandidate).where(TaskCandidate.human_task_id.in_(tasks)))
        s.execute(delete(HumanTask).where(HumanTask.instance_id == instance_id))
        s.execute(delete(AuditEvent).where(AuditEvent.chain == f"instance:{instance_id}"))
        s.execute(delete(ProcessInstance).where(ProcessInstance.id == instance_id))


@pytest.fixture
def cp_file(tmp_path):
    return tmp_path / "outside" / "audit-checkpoints.jsonl"


@pytest.fixture
def taken(small, cp_file):
    """Two finished requests and a checkpoint of them."""
    cp_file.parent.mkdir()
    first, second = _walk(small), _walk(small, "乙")
    view = small.write_checkpoint(cp_file)
    return first, second, view


# -- the Merkle root -------------------------------------------------------------------------------
def test_the_merkle_root_is_domain_separated_and_promotes_an_odd_node():
    a, b, c = ("instance:1", 3, "a" * 64), ("instance:2", 1, "b" * 64), ("system", 9, "c" * 64)
    leaf = merkle.leaf_digest
    assert leaf(a) == hashlib.sha256(b"\x00" + f'["instance:1",3,"{"a" * 64}"]'.encode()).digest()
    assert merkle.root([]) == hashlib.sha256(b"").hexdigest()
    assert merkle.root([a]) == leaf(a).hex()
    assert merkle.root([a, b]) == hashlib.sha256(b"\x01" + leaf(a) + leaf(b)).hexdigest()
    assert merkle.root([a, b, c]) == merkle.node_digest(merkle.node_digest(leaf(a), leaf(b)), leaf(c)).hex()
    assert merkle.root([a, b, c]) != merkle.root([a, b, c, c])  # an odd node is never paired with itself
    assert merkle.root([a, b]) != merkle.root([b, a]) != merkle.root([a, ("instance:2", 2, "b" * 64)])


# -- a clean trail ---------------------------------------------------------------------------------
def test_a_clean_trail_verifies_against_its_checkpoint_and_may_grow(small, taken, cp_file, clock):
    first, second, view = taken
    assert (view.line, view.number, view.chains, view.problems_when_taken, view.signed) == (1, 1, 3, 0, False)
    assert view.events == len(small.search_audit())
    line = json.loads(cp_file.read_text(encoding="utf-8").splitlines()[0])
    assert line["root"] == view.root == merkle.root(line["leaves"])
    assert [leaf[0] for leaf in line["leaves"]] == sorted([f"instance:{first.id}", f"instance:{second.id}", "system"])
    clock.advance(hours=1)
    _walk(small, "丙")  # the trail goes on after the checkpoint: a new chain, nothing rewritten
    report = small.verify_checkpoint(cp_file)
    assert report.ok and (report.chains_checked, report.new_chains) == (3, 1)
    assert small.verify_checkpoint(cp_file, root=view.root.upper()).ok  # the root as printed on paper
    assert small.verify_checkpoint(cp_file, instance_id=first.id).ok


# -- the database tampered with -------------------------------------------------------------------------
def test_a_history_rewritten_with_every_hash_recomputed_is_caught(small, taken, cp_file):
    first, second, _view = taken
    _rewrite_every_approver(small, first.id, "carol")
    assert small.audit_key is None and small.verify_audit()[1] == []  # plain verify cannot see it
    report = small.verify_checkpoint(cp_file)
    assert _kinds(report) == [("rewritten", f"instance:{first.id}")]
    assert "not the one the checkpoint saw" in report.problems[0].detail
    assert small.verify_checkpoint(cp_file, instance_id=second.id).ok


def test_events_cut_off_the_end_of_a_chain_are_caught(small, taken, cp_file):
    first, _second, _view = taken
    _cut(small, first.id, keep=2)
    assert small.verify_audit()[1] == []
    report = small.verify_checkpoint(cp_file)
    assert _kinds(report) == [("truncated", f"instance:{first.id}")]
    assert "ends at seq 2 but held seq 4" in report.problems[0].detail


def test_a_chain_cut_and_written_again_is_caught(small, taken, cp_file):
    first, _second, _view = taken
    _cut(small, first.id, keep=2)
    small.cancel(first.id, "alice", "withdrawn")  # new events where the cut ones were: seq 3, 4 again
    assert len(small.audit_trail(first.id)) >= 3 and small.verify_audit()[1] == []
    assert _kinds(small.verify_checkpoint(cp_file)) == [("rewritten", f"instance:{first.id}")]


def test_a_deleted_instance_and_its_chain_are_caught(small, taken, cp_file):
    first, second, _view = taken
    _erase(small, second.id)
    assert small.verify_audit()[1] == []
    report = small.verify_checkpoint(cp_file)
    assert _kinds(report) == [("missing", f"instance:{second.id}")]
    assert "the chain is gone" in str(report.problems[0])


def test_an_edited_row_before_the_checkpoint_is_named(small, taken, cp_file):
    first, _second, _view = taken
    with small.Session() as s, s.begin():
        s.execute(update(AuditEvent).where(AuditEvent.chain == f"instance:{first.id}", AuditEvent.seq == 1)
                  .values(actor="mallory"))
    report = small.verify_checkpoint(cp_file)
    assert _kinds(report) == [("rewritten", f"instance:{first.id}")] and "seq 1: content" in report.problems[0].detail


# -- the checkpoint file tampered with ------------------------------------------------------------------
def _edit_line(path, change, number=1):
    lines = path.read_bytes().splitlines()
    body = json.loads(lines[number - 1])
    change(body)
    lines[number - 1] = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    path.write_bytes(b"\n".join(lines) + b"\n")


def test_a_tampered_root_or_leaf_in_the_file_is_caught(small, taken, cp_file):
    _first, second, view = taken
    original = cp_file.read_bytes()
    _edit_line(cp_file, lambda body: body.update(root="0" * 64))
    report = small.verify_checkpoint(cp_file)
    assert _kinds(report) == [("file", None)] and "root does not match its leaves" in report.problems[0].detail

    cp_file.write_bytes(original)
    # the leaves changed to match a tampered database, root recomputed: the root printed on paper differs
    _erase(small, second.id)

    def forge(body):
        body["leaves"] = [leaf for leaf in body["leaves"] if leaf[0] != f"instance:{second.id}"]
        body["chains"], body["events"] = len(body["leaves"]), sum(leaf[1] for leaf in body["leaves"])
        body["root"] = merkle.root(body["leaves"])
    _edit_line(cp_file, forge)
    assert small.verify_checkpoint(cp_file).ok  # consistent with itself and with the database ...
    refused = small.verify_checkpoint(cp_file, root=view.root)  # ... but not with the root on paper
    assert _kinds(refused) == [("file", None)] and "not the root you gave" in refused.problems[0].detail


def test_a_signed_checkpoint_resists_a_forged_file(small, cp_file, monkeypatch, tmp_path):
    key_file = tmp_path / "audit.key"
    key_file.write_text("a secret kept outside the database\n")
    monkeypatch.setenv("APPROVALS_AUDIT_KEY_FILE", str(key_file))
    keyed = Engine(small.sa_engine, forms_dir=small.forms.forms_dir, clock=small.clock)
    cp_file.parent.mkdir()
    _walk(keyed)
    view = keyed.write_checkpoint(cp_file)
    assert view.signed and keyed.verify_checkpoint(cp_file).ok

    def forge(body):  # a leaf changed, and the root and counts recomputed to match: only the key can sign it
        body["leaves"][0][1] -= 1
        body["events"] -= 1
        body["root"] = merkle.root(body["leaves"])
    _edit_line(cp_file, forge)
    problems = [p.detail for p in keyed.verify_checkpoint(cp_file).problems if p.kind == "file"]
    assert problems == ["its signature does not match (the file was altered, or another key signed it)"]
    monkeypatch.delenv("APPROVALS_AUDIT_KEY_FILE")
    unkeyed = Engine(small.sa_engine, forms_dir=small.forms.forms_dir, clock=small.clock)
    assert "no audit key is configured" in str(unkeyed.verify_checkpoint(cp_file).problems[0])


# -- the file ------------------------------------------------------------------------------------------
def test_lines_are_appended_numbered_and_read_by_number(small, taken, cp_file, clock):
    clock.advance(days=1)
    _walk(small, "丙")
    second = small.write_checkpoint(cp_file)
    assert (second.line, second.number, second.chains) == (2, 2, 4)
    assert small.latest_checkpoint(cp_file) == second
    assert small.latest_checkpoint(cp_file, 1).number == 1 and small.verify_checkpoint(cp_file, line=1).ok
    with pytest.raises(checkpoints.NoCheckpoint):
        small.verify_checkpoint(cp_file, line=3)
    lines = cp_file.read_bytes().splitlines()
    cp_file.write_bytes(lines[1] + b"\n")  # the first line removed
    assert "line 1 holds checkpoint 2" in str(small.verify_checkpoint(cp_file).problems[0])


def test_a_write_cut_short_does_not_spoil_the_next_checkpoint(small, taken, cp_file):
    with cp_file.open("ab") as handle:
        handle.write(b'{"format":"approvals-checkpoint/1","numb')  # the machine stopped mid-write
    view = small.write_checkpoint(cp_file)
    assert (view.line, view.number) == (3, 3) and small.verify_checkpoint(cp_file).ok
    assert len(cp_file.read_bytes().splitlines()) == 3


def test_no_checkpoint_yet(small, tmp_path):
    assert small.latest_checkpoint(tmp_path / "none.jsonl") is None
    with pytest.raises(checkpoints.NoCheckpoint):
        small.verify_checkpoint(tmp_path / "none.jsonl")
    with pytest.raises(Exception, match="folder of the checkpoint file does not exist"):
        small.write_checkpoint(tmp_path / "missing" / "cp.jsonl")


def test_the_default_file_is_beside_the_sqlite_database(small_sqlite, monkeypatch, tmp_path):
    monkeypatch.delenv("APPROVALS_CHECKPOINT_FILE", raising=False)
    database = Path(small_sqlite.sa_engine.url.database)
    assert small_sqlite.checkpoint_path() == database.parent / "audit-checkpoints.jsonl"
    monkeypatch.setenv("APPROVALS_CHECKPOINT_FILE", str(tmp_path / "elsewhere.jsonl"))
    assert small_sqlite.checkpoint_path() == tmp_path / "elsewhere.jsonl"


# -- the worker --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [("", timedelta(days=1)), ("3600", timedelta(hours=1)),
                                            ("90s", timedelta(seconds=90)), ("30m", timedelta(minutes=30)),
                                            ("12h", timedelta(hours=12)), ("2d", timedelta(days=2)),
                                            ("0", None), ("off", None)])
def test_the_interval(text, expected):
    assert interval(text) == expected


def test_the_worker_writes_when_due_and_only_when_the_trail_changed(small, cp_file, clock, monkeypatch):
    cp_file.parent.mkdir()
    monkeypatch.setenv("APPROVALS_CHECKPOINT_FILE", str(cp_file))
    monkeypatch.setenv("APPROVALS_CHECKPOINT_EVERY", "1h")
    schedule = Schedule()

    def round_():
        return write_if_due(small.session, small.checkpoint_path(), small.now(), small.audit_key,
                                        schedule)
    _walk(small)
    assert round_().number == 1
    clock.advance(minutes=10)
    _walk(small, "乙")
    assert round_() is None  # not due yet
    clock.advance(hours=1)
    assert round_().number == 2  # due, and the trail changed
    clock.advance(hours=2)
    assert round_() is None  # due, nothing changed
    clock.advance(minutes=30)
    assert round_() is None  # looked a minute ago: not looked at again yet
    _walk(small, "丙")
    clock.advance(minutes=31)
    assert round_().number == 3
    assert len(cp_file.read_bytes().splitlines()) == 3
    # a second worker process (its own schedule) writes nothing while the newest checkpoint is young
    assert write_if_due(small.session, cp_file, small.now(), None, Schedule()) is None


def test_the_worker_says_why_it_cannot_write_and_goes_on(small, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("APPROVALS_CHECKPOINT_EVERY", "soon")
    with caplog.at_level(logging.WARNING, logger="engine.checkpoint_schedule"):
        assert write_if_due(small.session, tmp_path / "cp.jsonl", small.now(), None, Schedule()) is None
        monkeypatch.setenv("APPROVALS_CHECKPOINT_EVERY", "1h")
        assert write_if_due(small.session, tmp_path / "no" / "cp.jsonl", small.now(), None,
                                        Schedule()) is None
    assert "APPROVALS_CHECKPOINT_EVERY='soon'" in caplog.text and "folder of the checkpoint file" in caplog.text
    monkeypatch.setenv("APPROVALS_CHECKPOINT_EVERY", "off")
    assert write_if_due(small.session, tmp_path / "cp.jsonl", small.now(), None, Schedule()) is None
    assert not (tmp_path / "cp.jsonl").exists()


def test_a_checkpoint_taken_over_a_broken_trail_says_so(small, cp_file):
    cp_file.parent.mkdir()
    inst = _walk(small)
    with small.Session() as s, s.begin():
        s.execute(update(AuditEvent).where(AuditEvent.chain == f"instance:{inst.id}", AuditEvent.seq == 2)
                  .values(actor="mallory"))
    view = small.write_checkpoint(cp_file)
    assert view.problems_when_taken == 1
    assert "1 problem(s) found by `approvals audit verify` when it was taken" in checkpoints.summary_text(view)


def test_the_summary_is_made_to_be_printed(small, taken):
    _first, _second, view = taken
    text = checkpoints.summary_text(view)
    assert f"--root {view.root}" in text and " ".join([view.root[:8], view.root[8:16]]) in text
    assert "Signature" in text and f"chains       {view.chains}" in text


def test_mismatch_errors_list_every_problem(small, taken, cp_file):
    first, second, _view = taken
    _erase(small, first.id)
    _erase(small, second.id)
    error = CheckpointMismatch(small.verify_checkpoint(cp_file).problems)
    assert error.code == "checkpoint_mismatch" and len(error.problems) == 2 and "(and 1 more)" in error.message


def test_heads_are_read_in_one_statement(small):
    _walk(small)
    with small.session() as s:
        heads = checkpoints.heads(s)
        counted = s.scalar(select(func.count(func.distinct(AuditEvent.chain))))
    assert len(heads) == counted and all(len(h) == 64 for _c, _s, h in heads)


# -- the command line --------------------------------------------------------------------------------
def test_the_commands(tmp_path, clock):
    import os
    import subprocess
    import sys

    from tests.conftest import DATA
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "APPROVALS_FORMS_DIR": str(DATA / "forms")}
    env.pop("APPROVALS_CHECKPOINT_FILE", None)

    def run(*args, code=0):
        proc = subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == code, proc.stderr
        return proc
    run("db", "upgrade")
    run("users", "import", str(DATA / "users.yaml"))
    run("deploy", str(DATA / "approval.bpmn"), "--as", "owen")
    started = json.loads(run("--json", "start", "small_approval", "--as", "alice", "--data",
                             '{"customer": "甲", "amount": 5}').stdout)["instance"]
    [task] = json.loads(run("--json", "tasks", "--as", "bob").stdout)["tasks"]
    run("complete", str(task["id"]), "--as", "bob", "--data", '{"decision": "approve"}')
    assert "no checkpoint in" in run("audit", "checkpoint", "--print", code=1).stderr
    written = json.loads(run("--json", "audit", "checkpoint").stdout)["checkpoint"]
    cp_file = tmp_path / "audit-checkpoints.jsonl"  # beside the database
    assert written["path"] == str(cp_file) and written["line"] == 1
    printed = run("audit", "checkpoint", "--print").stdout
    assert f"--root {written['root']}" in printed and "line 1" in printed
    copy = tmp_path / "kept-elsewhere.jsonl"
    copy.write_bytes(cp_file.read_bytes())
    ok = run("audit", "verify", "--against", str(copy), "--root", written["root"]).stdout
    assert "2 chain(s) as they were then, 0 new since" in ok

    eng = Engine.from_url(url, clock=clock)
    _rewrite_every_approver(eng, started["id"], "carol")
    eng.sa_engine.dispose()
    assert "2 chain(s) verified" in run("audit", "verify").stdout
    failed = json.loads(run("--json", "audit", "verify", "--against", str(copy), code=1).stdout)
    assert failed["error"] == "checkpoint_mismatch"
    assert failed["problems"] == [f"chain instance:{started['id']}: the event at seq 4 is not the one the "
                                  "checkpoint saw (history rewritten and rehashed)"]
    assert "history rewritten" in run("audit", "verify", "--against", str(copy), code=1).stderr
    assert "--line and --root go with --against" in run("audit", "verify", "--line", "1", code=1).stderr
