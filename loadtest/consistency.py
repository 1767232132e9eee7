"""After the load, with the server stopped: is everything the server acknowledged in the database?

- every start acknowledged with a 201 is an instance of that user;
- every completion acknowledged with a 200 (and every one a retry found already done) is a `human_task` row
  completed by that user, with a `completed` event by that user on the instance's audit chain; one that is
  not is a lost completion;
- every instance's projection agrees with its state: the open `human_task` rows are exactly the READY user
  tasks of the stored workflow, the status column is what the workflow says, no completed row names a task
  the workflow still has open, and no instance stopped in error (the engine has no such check of its own:
  `audit verify` compares the rows with the audit chain, not with the state);
- `approvals audit verify` passes: every hash chain, each chain's head against its instance, inbox rows
  against the chain, definitions against their deployment records.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine import Engine, make_engine
from engine.audit import instance_chain
from engine.runtime.runner import snapshot, status_of
from engine.runtime.scripting import ScriptEngine
from engine.storage import serialization
from engine.storage.models import AuditEvent, HumanTask, ProcessInstance

from .deployment import FORMS, ROOT

SHOWN = 10  # problems listed per check; the count says how many there were


@dataclass
class Check:
    name: str
    ok: bool
    summary: str
    problems: list[str] = field(default_factory=list)


@dataclass
class Consistency:
    checks: list[Check]
    lost: int                  # acknowledged completions the database does not have
    unacknowledged_starts: int  # instances whose start committed but whose reply never arrived

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def check(deployment, ledger) -> Consistency:
    sa_engine = make_engine(deployment.url)
    try:
        eng = Engine(sa_engine, forms_dir=FORMS)
        starts, unacknowledged = acknowledged_starts(eng, ledger)
        completions, lost = acknowledged_completions(eng, ledger)
        checks = [starts, completions, projection_matches_state(eng)]
    finally:
        sa_engine.dispose()
    checks.append(audit_verify(deployment))
    return Consistency(checks, lost, unacknowledged)


def acknowledged_starts(eng: Engine, ledger) -> tuple[Check, int]:
    with eng.session() as s:
        started = {row.id: row.started_by for row in s.execute(select(ProcessInstance.id, ProcessInstance.started_by))}
    problems = [f"instance {st.instance_id} acknowledged to {st.user}: "
                + ("missing" if st.instance_id not in started else f"started by {started[st.instance_id]}")
                for st in ledger.starts if started.get(st.instance_id) != st.user]
    acknowledged = {st.instance_id for st in ledger.starts}
    unacknowledged = sorted(set(started) - acknowledged)
    summary = f"{len(ledger.starts)} acknowledged starts present"
    if unacknowledged:
        summary += (f"; {len(unacknowledged)} more committed whose answer never arrived (the user's retry made a "
                    f"new request): {'; '.join(cut_off_start(i, started[i], ledger) for i in unacknowledged[:SHOWN])}")
    return Check("starts", not problems, summary, problems), len(unacknowledged)


def cut_off_start(instance_id: int, user: str, ledger) -> str:
    """What cut off the start that made this instance: the failures before its user's next acknowledged start."""
    retry = min((st for st in ledger.starts if st.user == user and st.instance_id > instance_id),
                key=lambda st: st.instance_id, default=None)
    causes = ", ".join(retry.failures) if retry and retry.failures else "unknown"
    return f"instance {instance_id} of {user} (the retry got {causes})"


def acknowledged_completions(eng: Engine, ledger) -> tuple[Check, int]:
    expected = [(c, False) for c in ledger.completions] + [(c, True) for c in ledger.settled]
    ids = sorted({c.task_id for c, _settled in expected})
    found = {}
    with eng.session() as s:
        recorded = {tuple(row) for row in s.execute(select(AuditEvent.chain, AuditEvent.task_guid, AuditEvent.actor)
                                                    .where(AuditEvent.kind == "completed"))}
        for chunk in range(0, len(ids), 500):
            found.update({row.id: row for row in s.execute(
                select(HumanTask.id, HumanTask.instance_id, HumanTask.task_guid, HumanTask.status,
                       HumanTask.completed_by).where(HumanTask.id.in_(ids[chunk:chunk + 500])))})
    problems, lost = [], 0
    for done, settled in expected:
        what = (f"task {done.task_id} ({done.bpmn_id}, instance {done.instance_id}) "
                f"{'found done by a retry' if settled else 'acknowledged'} for {done.user} at {done.at:.1f} s")
        row = found.get(done.task_id)
        if row is None:
            problem = f"{what}: no human_task row"
        elif (row.status, row.completed_by) != ("completed", done.user):
            problem = f"{what}: the row says {row.status} by {row.completed_by}"
        elif (instance_chain(row.instance_id), row.task_guid, done.user) not in recorded:
            problem = f"{what}: no completed event by {done.user} on the audit chain"
        else:
            continue
        problems.append(problem)
        lost += not settled
    twice = [task for task, n in Counter(c.task_id for c, _settled in expected).items() if n > 1]
    problems += [f"task {task} was acknowledged as completed more than once" for task in twice]
    summary = (f"{len(ledger.completions) - lost} of {len(ledger.completions)} acknowledged completions present, "
               "completed by the acknowledged user, in the audit trail")
    if ledger.settled:
        causes = Counter(cause for c in ledger.settled for cause in c.failures)
        summary += (f" (and {len(ledger.settled)} whose answer never arrived and whose retry found them done; the "
                    f"attempts were cut off by {', '.join(f'{c} x{n}' for c, n in causes.most_common())})")
    return Check("completions", not problems, summary, problems), lost


def projection_matches_state(eng: Engine) -> Check:
    problems: list[str] = []
    wrong: set[int] = set()

    def problem(instance_id: int, text: str) -> None:
        wrong.add(instance_id)
        problems.append(f"instance {instance_id}: {text}")

    script_engine = ScriptEngine()
    with eng.session() as s:
        open_rows: dict[int, set[str]] = defaultdict(set)
        completed_rows: dict[int, set[str]] = defaultdict(set)
        for instance_id, guid, status in s.execute(select(HumanTask.instance_id, HumanTask.task_guid,
                                                          HumanTask.status)):
            if status == "open":
                open_rows[instance_id].add(guid)
            elif status == "completed":
                completed_rows[instance_id].add(guid)
        count = 0
        for instance in s.scalars(select(ProcessInstance).order_by(ProcessInstance.id)):
            count += 1
            spec, subprocess_specs = eng.specs.get(s, instance.definition_id, instance.dependency_ids)
            workflow = serialization.loads(instance.state, spec, subprocess_specs, script_engine)
            snap = snapshot(workflow)
            ready = {str(t.id) for t in snap.ready}
            rows = open_rows.get(instance.id, set())
            if ready != rows:
                problem(instance.id, f"open rows {sorted(rows)}, READY user tasks {sorted(ready)}")
            state_status = status_of(workflow, snap, instance.error)
            if state_status != instance.status or instance.status == "error":
                problem(instance.id, f"status column {instance.status}, state says {state_status}"
                        + (f" ({instance.error})" if instance.error else ""))
            for guid in completed_rows.get(instance.id, ()):
                task = workflow.get_task_from_id(UUID(guid))
                if task is not None and task.state != TaskState.COMPLETED:
                    problem(instance.id, f"task {guid} completed in human_task, "
                                         f"{TaskState.get_name(task.state)} in the state")
    return Check("projection", not problems, f"{count - len(wrong)} of {count} instances: open inbox rows = READY user "
                 "tasks, status = state", problems)


def audit_verify(deployment) -> Check:
    done = subprocess.run([sys.executable, "-m", "web.cli", "--json", "audit", "verify"], cwd=ROOT,
                          env=deployment.env, capture_output=True, text=True, timeout=600)
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = {"ok": False, "reason": (done.stderr or done.stdout).strip()[:500]}
    if done.returncode == 0 and answer.get("ok"):
        return Check("audit verify", True, f"approvals audit verify: {answer['chains']} chains verified, "
                     "inbox rows agree with the chains")
    return Check("audit verify", False, "approvals audit verify failed", [str(answer.get("reason"))])
