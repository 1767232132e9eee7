"""A database made by the release before the procedures had their own package upgrades without loss."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

from sqlalchemy import create_engine, text

from engine import Engine
from tests.conftest import DATA, FORMS, PROCEDURES

LEGACY = DATA / "legacy" / "main-0ecdfec.sqlite3.gz"  # db upgrade, demo users, workflows/, demo load
TABLES = ("process_definition", "process_instance", "human_task", "task_candidate", "audit_event", "app_user",
          "tour", "complaint", "complaint_round", "customer", "customer_grade_history", "contract", "record_counter")


def counts(url: str) -> dict[str, int]:
    sa = create_engine(url)
    with sa.connect() as conn:
        found = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
    sa.dispose()
    return found


def approvals(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "APPROVALS_FORMS_DIR": str(FORMS)}
    return subprocess.run([sys.executable, "-m", "web.cli", *args], env=env, capture_output=True, text=True,
                          timeout=180)


def test_upgrade_keeps_every_row_and_the_audit_verifies(tmp_path, clock):
    path = tmp_path / "legacy.sqlite3"
    path.write_bytes(gzip.decompress(LEGACY.read_bytes()))
    url = f"sqlite:///{path}"
    before = counts(url)
    assert before["process_instance"] == 17 and before["tour"] == 5 and before["audit_event"] > 100

    upgraded = approvals(url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert counts(url) == before
    sa = create_engine(url)
    with sa.connect() as conn:
        heads = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    sa.dispose()
    assert heads == {"0023", "p0006"}  # the engine's newest, and the procedures' branch adopted, then upgraded
    verified = approvals(url, "--json", "audit", "verify")
    assert verified.returncode == 0 and json.loads(verified.stdout)["broken"] == []

    # the requests in flight go on with the new code
    eng = Engine.from_url(url, forms_dir=FORMS, clock=clock, extensions=PROCEDURES)
    [review] = [t for t in eng.tasks("zhangwei") if t.bpmn_id == "cs_review"][:1]
    data = {"decision": "approve", "tour_content": "参观生产线", "tour_scope": "一号车间", "tour_route": "东门进"}
    assert eng.complete(review.id, "zhangwei", data).status == "running"
    assert eng.verify_audit()[1] == []
    eng.sa_engine.dispose()
