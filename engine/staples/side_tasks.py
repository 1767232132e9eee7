"""Side tasks: human work outside the diagram while a diagram task waits for it.

加签 (`add_signers`): the person on a task asks others for their opinion before deciding (consult: the task
cannot be completed until every opinion is in), or decides and requires others' approval after their own
(countersign: the task completes with the approver's decision once every added signer approved; one
rejection gives the task back to the approver, with the reason). Rework: a return whose task says
`returnMode` = `back_to_me` gives the earlier step's person a side task with that step's form and answers;
the corrected data goes into the returning task, which is then free again, skipping the steps in between.
Side tasks are inbox rows (`human_task.side_of`), so counts, search, paging and reminders see them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from ..errors import Conflict, FieldError, FormInvalid, NotAllowed, NotFound
from ..runtime.assignment import refusal
from ..storage import rows
from ..storage.models import HumanTask, ProcessInstance, SideTask
from ..views import InstanceView
from . import require_on
from .signers import allowed_signers, known_people, permitted, require_free

MAX_PEOPLE = 20
MAX_TEXT = 2000
ASKED = {"consult": "征求意见", "countersign": "加签审批"}


@dataclass(frozen=True)
class SideTaskView:
    id: int
    instance_id: int
    side_of: int
    kind: str                       # consult | countersign | rework
    title: str                      # the waiting task's title; for rework the step to redo
    bpmn_id: str
    asked_by: str
    reason: str
    status: str                     # open | completed | cancelled
    assignee: str | None
    candidate_groups: tuple[str, ...]
    created_at: datetime
    answered_by: str | None
    answered_at: datetime | None
    opinion: str | None
    decision: str | None
    data: dict[str, Any]
    form: str | None
    ui_form: str | None


def _text(field: str, value: str | None, required: str | None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise FormInvalid([FieldError(field, "required", required)])
    if len(value) > MAX_TEXT:
        raise FormInvalid([FieldError(field, "maxLength", f"at most {MAX_TEXT} characters", MAX_TEXT)])
    return value


def hold_for(unit, instance, row, held: str, user: str) -> None:
    """The diagram task waits on its side tasks, held by the person who asked (it leaves the group queue)."""
    if row.assignee is None:
        rows.assign(unit.session, row, user)
        unit.record(instance, "claimed", task_guid=row.task_guid, bpmn_id=row.bpmn_id, data={"implicit": True})
    rows.hold(unit.session, row, held)


def open_side(unit, instance, of, kind: str, to: str, by: str, reason: str, data: dict[str, Any], *,
              bpmn_id: str | None = None, title: str | None = None, form: str | None = None,
              ui_form: str | None = None):
    """An inbox row for `to` (a login or `group:<id>`) waiting on the diagram task row `of`, with its details."""
    group = to[len("group:"):] if to.startswith("group:") else None
    values = dict(instance_id=instance.id, task_guid=str(uuid4()), bpmn_id=bpmn_id or of.bpmn_id,
                  title=title or of.title, process_id=instance.process_id, lane=None, form=form, ui_form=ui_form,
                  assignee=None if group else to, status="open", created_at=unit.now, due_at=None, kind=kind,
                  side_of=of.id, held=None)
    side = rows.open_task(unit.session, values, [group] if group else [], [] if group else [to])
    unit.session.add(SideTask(id=side.id, instance_id=instance.id, asked_by=by, reason=reason, data=data))
    return side


class SideTaskVerbs:
    """Mixed into Engine; relies on its `_unit`, `_open_task`, `_check_may_act`, `_validated`, `_finish`,
    `_workflow`, `_groups` and `session`."""

    def add_signers(self, task_id: int, user: str, kind: str, to: list[str], reason: str,
                    data: dict[str, Any] | None = None) -> list[int]:
        """加签 on the task the user holds: `consult` asks `to` (logins, `group:<id>`) for their opinion before
        the user decides; `countersign` records the user's decision (`data`, the task's form) and requires
        their approval after it. Returns the side tasks' ids."""
        if kind not in ASKED:
            raise FormInvalid([FieldError("kind", "enum", "consult (before deciding) or countersign (after)")])
        wanted = list(dict.fromkeys(t.strip() for t in to or [] if t and t.strip()))
        if not wanted:
            raise FormInvalid([FieldError("to", "required", "name at least one person or group")])
        if len(wanted) > MAX_PEOPLE:
            raise FormInvalid([FieldError("to", "maxItems", f"at most {MAX_PEOPLE} at a time", MAX_PEOPLE)])
        reason = _text("reason", reason, "say what you ask of them")

        def work(unit) -> list[int]:
            s = unit.session
            row, instance, _workflow, task = self._open_task(unit, task_id, user)
            self._check_may_act(unit, row, instance, task, user)
            require_on(unit, instance, "addSigners", task.task_spec)
            if not (kind == "consult" and row.held == "consult"):  # more opinions may be asked meanwhile
                require_free(row)
            known_people(s, wanted)
            allowed = allowed_signers(task.task_spec)
            if kind == "countersign" and allowed is None:
                raise NotAllowed(f"step {row.bpmn_id} names nobody who may be added as an approver", "not_configured")
            for entry in wanted:
                if entry == user:
                    raise NotAllowed(f"{user} cannot add themselves to task {task_id}", "self", entry)
                if kind == "countersign" and entry == instance.started_by and not task.data.get("allow_self_approval"):
                    raise NotAllowed(f"{entry} started this request and may not approve it", "self_approval", entry)
                if allowed is not None and not permitted(s, entry, allowed):
                    raise NotAllowed(f"{entry} may not be added to step {row.bpmn_id}", "not_allowed_signer", entry)
            clean = self._validated(unit, instance, row, data) if kind == "countersign" else {}
            ids = [open_side(unit, instance, row, kind, entry, user, reason, clean).id for entry in wanted]
            hold_for(unit, instance, row, kind, user)
            unit.touch(instance)
            unit.record(instance, "signers_added", task_guid=row.task_guid, bpmn_id=row.bpmn_id,
                        data={"title": row.title, "kind": kind, "to": wanted, "reason": reason,
                              **({"form": clean} if clean else {})})
            for entry in wanted:
                unit.notifications.append({"to": entry, "subject": f"{ASKED[kind]}：{row.title}",
                                           "body": f"“{instance.title}”的“{row.title}”请您"
                                                   f"{'发表意见' if kind == 'consult' else '审批'}：{reason}",
                                           "at": unit.now.isoformat()})
            unit.announce(instance)
            return ids
        return self._unit(user, work)

    def answer(self, side_id: int, user: str, opinion: str = "", decision: str | None = None,
               data: dict[str, Any] | None = None) -> InstanceView:
        """Answer a side task: an opinion (consult), approve/reject with an opinion (countersign), or the
        step's corrected form (rework)."""
        opinion = _text("opinion", opinion, None)

        def work(unit) -> InstanceView:
            s = unit.session
            instance_id = s.scalar(select(HumanTask.instance_id).where(HumanTask.id == side_id))
            if instance_id is None:
                raise NotFound(f"task {side_id} does not exist")
            instance = unit.lock_instance(instance_id)
            side = rows.read_task(s, side_id)
            if side.side_of is None:
                raise NotFound(f"task {side_id} is a step of the diagram, not a side task")
            if side.status != "open":
                who = f" by {side.completed_by}" if side.completed_by else ""
                raise Conflict(f"side task {side_id} is already {side.status}{who}", side.status, side.completed_by)
            problem = refusal(side, user, self._groups(s, user), instance.started_by, None, False)
            if problem is not None:
                raise problem
            of = rows.read_task(s, side.side_of)
            unit.known_rows[of.task_guid] = of
            workflow = unit.load(instance)
            task = workflow.get_task_from_id(UUID(of.task_guid))
            if of.status != "open" or task is None or task.state != TaskState.READY:
                raise Conflict(f"task {of.id} is no longer waiting", "not_waiting")
            detail = s.get(SideTask, side_id)
            base = {"title": of.title, "kind": side.kind, "side_task": side.id, "asked_by": detail.asked_by}
            if side.kind == "consult":
                detail.opinion = _text("opinion", opinion, "write your opinion")
                self._close_side(unit, instance, of, side, user, "opinion_given", {**base, "opinion": opinion})
                if of.held is None:
                    self._tell(unit, detail.asked_by, f"意见已回复：{of.title}", f"“{instance.title}”：{opinion}")
            elif side.kind == "countersign":
                if decision not in ("approve", "reject"):
                    raise FormInvalid([FieldError("decision", "enum", "approve or reject")])
                if decision == "reject":
                    _text("opinion", opinion, "say why you reject it")
                if user == instance.started_by and not task.data.get("allow_self_approval"):
                    raise NotAllowed(f"{user} started this request and may not approve it", "self_approval", user)
                detail.decision, detail.opinion = decision, opinion
                self._close_side(unit, instance, of, side, user, "countersigned",
                                 {**base, "decision": decision, "opinion": opinion}, stop_others=decision == "reject")
                if decision == "reject":
                    self._tell(unit, detail.asked_by, f"加签驳回：{of.title}",
                               f"“{instance.title}”：{opinion}。请重新决定。")
                elif of.held is None:  # every added signer approved: the approver's decision goes through
                    self._tell(unit, detail.asked_by, f"加签已通过：{of.title}", f"“{instance.title}”")
                    self._finish(unit, of, instance, workflow, task, detail.asked_by, dict(detail.data))
            else:
                clean = self._validated(unit, instance, side, data)
                before = dict(detail.data)
                detail.data, detail.opinion = clean, opinion
                task.data.update(clean)
                self._close_side(unit, instance, of, side, user, "reworked",
                                 {**base, "step": side.title, "form": clean, "before": before, "opinion": opinion})
                self._tell(unit, detail.asked_by, f"已修改：{of.title}",
                           f"“{instance.title}”的“{side.title}”已修改，请继续审批。")
                unit.save(instance, workflow)
            unit.announce(instance)
            return InstanceView.of(instance)
        return self._unit(user, work)

    def may_answer(self, side_id: int, user: str) -> tuple[bool, str | None]:
        """(True, None) when the user may answer the side task now, else (False, reason code)."""
        with self.session() as s:
            side = rows.read_task(s, side_id)
            if side is None or side.side_of is None:
                return False, "not_waiting"
            if side.status != "open":
                return False, side.status
            started_by = s.scalar(select(ProcessInstance.started_by).where(ProcessInstance.id == side.instance_id))
            problem = refusal(side, user, self._groups(s, user), started_by, None, False)
            if problem is not None:
                return False, problem.reason
            if side.kind == "countersign" and user == started_by and not self._allows_self_approval(s, side):
                return False, "self_approval"
            return True, None

    def _allows_self_approval(self, s, side) -> bool:
        of = rows.read_task(s, side.side_of)
        task = self._workflow(s, side.instance_id).get_task_from_id(UUID(of.task_guid))
        return task is not None and bool(task.data.get("allow_self_approval"))

    def _close_side(self, unit, instance, of, side, user: str, kind: str, data: dict[str, Any],
                    stop_others: bool = False) -> None:
        """Close the answered side task (and with `stop_others` the rest of its task's); free the task when
        none is left open."""
        s = unit.session
        rows.close_tasks(s, [(side, "completed", user)], unit.now)
        unit.record(instance, kind, task_guid=side.task_guid, bpmn_id=side.bpmn_id, data=data)
        others = rows.open_side_tasks(s, [of.id])
        if stop_others:
            rows.close_tasks(s, [(o, "cancelled", None) for o in others], unit.now)
        if stop_others or not others:
            rows.hold(s, of, None)
        unit.touch(instance)

    @staticmethod
    def _tell(unit, to: str, subject: str, body: str) -> None:
        unit.notifications.append({"to": to, "subject": subject, "body": body, "at": unit.now.isoformat()})

    def side_tasks(self, instance_id: int, of: int | None = None) -> list[SideTaskView]:
        """The request's side tasks (of one diagram task when `of` is given), oldest first."""
        with self.session() as s:
            return side_tasks_of(s, instance_id, of)

    def side_task(self, side_id: int) -> SideTaskView:
        with self.session() as s:
            found = s.execute(_SIDE_TASKS.where(HumanTask.id == side_id)).first()
            if found is None:
                raise NotFound(f"side task {side_id} does not exist")
            return _view(*found)


_SIDE_TASKS = select(HumanTask, SideTask).join(SideTask, SideTask.id == HumanTask.id)


def side_tasks_of(session, instance_id: int, of: int | None = None) -> list[SideTaskView]:
    """A request's side tasks (of one diagram task when `of` is given), oldest first."""
    stmt = _SIDE_TASKS.where(HumanTask.instance_id == instance_id)
    if of is not None:
        stmt = stmt.where(HumanTask.side_of == of)
    return [_view(t, d) for t, d in session.execute(stmt.order_by(HumanTask.id))]


def _view(t: HumanTask, d: SideTask) -> SideTaskView:
    return SideTaskView(t.id, t.instance_id, t.side_of, t.kind, t.title, t.bpmn_id, d.asked_by, d.reason, t.status,
                        t.assignee, tuple(c.group_id for c in t.candidates if c.group_id), t.created_at,
                        t.completed_by, t.completed_at, d.opinion, d.decision, dict(d.data or {}), t.form, t.ui_form)
