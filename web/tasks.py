"""The task page: instructions, earlier decisions, the form; claim, release and delegate."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import Conflict, FieldError, FormInvalid, NotAllowed
from engine import TaskView

from . import history, instructions, messages, refusals, taskforms, uploads
from .engine_access import get_engine
from .errors import http_status
from .guards import get_task_or_404, next_task_for_me
from .present import person, where_now

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
REASON_MAX = 500


def _reason() -> str:
    return request.form.get("reason", "").strip()[:REASON_MAX]


def _page(task: TaskView, state: taskforms.FormState | None = None, status: int = 200):
    engine = get_engine()
    me = current_user.username
    page = engine.task_screen(task.id, me)  # one read: instance, data, forms, history, may-act
    task, instance, data, form = page.task, page.instance, page.data, page.form
    if state is None:
        # An approval form starts empty: the next approver must never inherit the previous verdict.
        now, name = engine.now(), current_user.name
        fresh = taskforms.state(form, now=now, me=name)
        state = fresh if fresh.decision else taskforms.state(form, data, now, name)
    is_open = task.status == "open"
    files = engine.attachments(instance.id, me)  # the request's files, shown above the form
    if state.file_fields:
        # this task's files: those a form named, and (open task) those uploaded to it and not yet submitted
        own = [a for a in files if a.task_id == task.id]
        state.files = {a.id: a for a in own}
        waiting = [a.id for a in own if a.field is None and a.uploaded_by == me]
        first = state.file_fields[0].name
        if is_open and waiting and not state.errors:
            state.shown[first] = list(dict.fromkeys([*(state.shown.get(first) or []), *waiting]))
    # The engine's own rule (candidate, holder, no self-approval, task still waiting), asked before drawing
    # the form, so nobody fills in a form that would be refused.
    if current_user.is_auditor:
        may_act, reason = False, ("auditor" if is_open else task.status)
    else:
        may_act, reason = page.may_act, page.reason
    members = [(u, n) for u, n in page.members if u not in (me, instance.started_by)] if may_act else []
    entries = history.entries(page.audit, page.forms, page.tasks)
    context = {
        "task": task, "instance": instance, "form": state, "now": engine.now(),
        "instructions": instructions.render(page.documentation, data),
        # a done task shows what came before it; an open one (perhaps sent back to) everything so far
        "decisions": history.decisions(entries, before_guid=task.task_guid if task.status != "open" else None),
        "may_act": may_act,
        "why_not": "" if may_act else refusals.why_not(reason, task),
        "may_claim": may_act and task.assignee is None,
        "may_release": is_open and task.assignee == me and bool(task.candidate_groups),
        "members": members,
        "return_targets": page.return_targets if may_act else (),
        "files": files,
        "signers": page.signers, "side_tasks": page.side_tasks, "returns_to_me": page.returns_to_me,
        **_directory(engine, page.signers, instance.started_by),
    }
    return render_template("tasks/task.html", **context), status


@bp.get("/<int:task_id>")
def show(task_id: int):
    task = get_task_or_404(task_id)
    if task.side_of is not None:  # an opinion, an added approval or a rework: answered on its own page
        return redirect(url_for("side_tasks.show", side_id=task_id))
    return _page(task)


@bp.post("/<int:task_id>")
def complete(task_id: int):
    engine = get_engine()
    me = current_user.username
    task = get_task_or_404(task_id, act=True)
    form = engine.task_form(task.id)
    parsed, state = taskforms.parse(form, request.form)
    if task.status != "open":
        g.submitted, g.stale_task_id = taskforms.typed_pairs(state), task_id
        raise Conflict(f"task {task_id} is already {task.status}", task.status, task.completed_by)
    # files are attached to the task as they arrive, so a form refused for another field keeps them
    uploaded, refused = uploads.receive([f.name for f in state.file_fields], lambda name, data: engine.attach(
        task.instance_id, me, name, data, task_id=task_id))
    state.add_uploads(uploaded, parsed.data)
    # Kept for the 409 page, so what was typed is shown rather than silently lost.
    g.submitted, g.stale_task_id = taskforms.typed_pairs(state), task_id
    try:
        taskforms.refuse_parse_errors(form, parsed)
        if refused:
            raise FormInvalid([FieldError(name, "upload", text) for name, text in refused.items()])
        after_signers = [p for p in request.form.getlist("after") if p]
        if after_signers:  # 后加签: my decision stands once they approved it too
            note = request.form.get("sign_note", "").strip()[:REASON_MAX] or _("Please approve after me.")
            engine.add_signers(task_id, me, "countersign", after_signers, note, parsed.data)
            flash(_("Your decision is recorded; it takes effect once %(names)s approved it.",
                    names="、".join(person(p) for p in after_signers)), "success")
            return redirect(url_for("tasks.show", task_id=task_id))
        after = engine.complete(task_id, me, parsed.data)
    except FormInvalid as exc:
        state.errors = {**messages.from_invalid(exc), **state.errors}
        return _page(task, state, http_status(exc))
    except NotAllowed:
        now = engine.task(task_id)  # it was offered to me when I opened it: was it taken away since?
        if now.status != "open":
            raise Conflict(f"task {task_id} is already {now.status}", now.status, now.completed_by) from None
        if now.assignee and now.assignee != me:
            raise Conflict(f"task {task_id} was taken by {now.assignee}", "claimed", now.assignee) from None
        raise
    flash(_("Done: %(title)s", title=task.title) + " " + where_now(after, engine.open_tasks(after.id)), "success")
    return redirect(next_task_for_me(task.instance_id) or url_for("inbox.index"))


def _directory(engine, signers, started_by: str) -> dict:
    """Whom the 征求意见 pickers offer (the directory, or only those the step lists) and whom 后加签 offers."""
    if not signers.on:
        return {"people": {}, "groups": {}, "after": ()}
    after = tuple(e for e in signers.allowed or () if e not in (current_user.username, started_by))
    people, groups = engine.people(), engine.group_names()
    if signers.allowed is not None:
        people = {u: n for u, n in people.items() if u in signers.allowed}
        groups = {gid: n for gid, n in groups.items() if f"group:{gid}" in signers.allowed}
    # not oneself, and not the applicant: what the applicant should add is what a return asks for
    return {"people": {u: n for u, n in people.items() if u not in (current_user.username, started_by)},
            "groups": groups, "after": after}


def _picked() -> list[str]:
    """The people and groups (`group:<id>`) chosen in the directory pickers."""
    return ([f"group:{g}" for g in request.form.getlist("to_group") if g]
            + [u for u in request.form.getlist("to_user") if u])


@bp.post("/<int:task_id>/signers")
def add_signers(task_id: int):
    """征求意见 (前加签): ask colleagues or a department for their opinion before deciding."""
    get_task_or_404(task_id, act=True)
    g.stale_task_id = task_id
    wanted = _picked()
    try:
        get_engine().add_signers(task_id, current_user.username, "consult", wanted, _reason())
    except FormInvalid:
        flash(_("Choose whom to ask and write your question."), "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    flash(_("Asked %(names)s for their opinion; you decide once they answered.",
            names="、".join(person(p) for p in wanted)), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<int:task_id>/claim")
def claim(task_id: int):
    task = get_task_or_404(task_id, act=True)
    g.stale_task_id = task_id
    get_engine().claim(task_id, current_user.username, _reason())
    flash(_("You took the task: %(title)s", title=task.title), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<int:task_id>/release")
def release(task_id: int):
    task = get_task_or_404(task_id, act=True)
    g.stale_task_id = task_id
    get_engine().unclaim(task_id, current_user.username, _reason())
    flash(_("You gave the task back to the group: %(title)s", title=task.title), "info")
    return redirect(url_for("inbox.index", tab="group"))


@bp.post("/<int:task_id>/delegate")
def delegate(task_id: int):
    get_task_or_404(task_id, act=True)
    g.stale_task_id = task_id
    to_user = request.form.get("to_user", "").strip()
    if not to_user:
        flash(_("Choose the colleague to hand the task to."), "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    get_engine().delegate(task_id, current_user.username, to_user, _reason())
    flash(_("You handed the task to %(name)s.", name=person(to_user)), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/<int:task_id>/return")
def send_back(task_id: int):
    """退回: send the request back to an earlier step, with the reason."""
    task = get_task_or_404(task_id, act=True)
    engine = get_engine()
    try:
        after = engine.return_to(task_id, current_user.username, request.form.get("to", ""), _reason())
    except FormInvalid:
        flash(_("Say why the request goes back."), "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    if engine.task(task_id).held == "rework":
        flash(_("Sent back for correction: %(title)s. It comes straight back to you once corrected.",
                title=task.title), "info")
    else:
        flash(_("Sent back: %(title)s.", title=task.title) + " " + where_now(after, engine.open_tasks(after.id)),
              "info")
    return redirect(url_for("inbox.index"))
