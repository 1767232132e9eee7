"""Side tasks on the web: the page of an opinion asked (征求意见), an approval added after the approver's own
(加签审批) or a step sent back for rework, with the request it is about and a small form to answer."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import FormInvalid, SideTaskView

from . import history, instructions, messages, taskforms
from .engine_access import get_engine
from .errors import http_status
from .guards import get_task_or_404, next_task_for_me
from .present import person
from .refusals import reason_message

bp = Blueprint("side_tasks", __name__, url_prefix="/side-tasks")
OPINION_MAX = 2000


def _page(side: SideTaskView, state: taskforms.FormState | None = None, errors: dict | None = None,
          status: int = 200):
    engine = get_engine()
    page = engine.task_screen(side.side_of, current_user.username)  # the waiting task: the request it is about
    if side.kind == "rework" and state is None:
        state = taskforms.state(engine.task_form(side.id), side.data, engine.now(), current_user.name)
    entries = history.entries(page.audit, page.forms, page.tasks)
    # the engine's own rule (the person or group asked, not an auditor, still open), asked before drawing
    may_answer, reason = engine.may_answer(side.id, current_user.username)
    return render_template(
        "tasks/side.html", side=side, of=page.task, instance=page.instance, form=state, errors=errors or {},
        instructions=instructions.render(page.documentation, page.data), decisions=history.decisions(entries),
        may_answer=may_answer, why_not=None if may_answer else reason_message(reason, side.assignee),
        opinion=request.form.get("opinion", "")), status


@bp.get("/<int:side_id>")
def show(side_id: int):
    get_task_or_404(side_id)
    return _page(get_engine().side_task(side_id))


@bp.post("/<int:side_id>")
def answer(side_id: int):
    engine = get_engine()
    get_task_or_404(side_id, act=True)
    side = engine.side_task(side_id)
    opinion = request.form.get("opinion", "").strip()[:OPINION_MAX]
    state, data = None, None
    if side.kind == "rework":
        form = engine.task_form(side_id)
        parsed, state = taskforms.parse(form, request.form)
        data = parsed.data
    try:
        if state is not None:
            taskforms.refuse_parse_errors(form, parsed)
        after = engine.answer(side_id, current_user.username, opinion, request.form.get("decision") or None, data)
    except FormInvalid as exc:
        found = messages.from_invalid(exc)
        if state is not None:
            state.errors = {**found, **state.errors}
        return _page(side, state, found, http_status(exc))
    words = {"consult": _("Your opinion was sent to %(name)s."),
             "countersign": _("Your decision was sent to %(name)s."),
             "rework": _("Corrected and sent straight back to %(name)s.")}[side.kind]
    flash(words % {"name": person(side.asked_by)}, "success")
    return redirect(next_task_for_me(after.id) or url_for("inbox.index"))
