"""Requests (instances): my requests, one request's status, diagram, record, timeline; cancel, retry."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import Conflict, FormInvalid

from . import history
from .documents import paper
from .engine_access import get_engine
from .guards import SEE_ALL_GROUPS, get_instance_or_404, may_cancel, may_see_instance, refuse, require_actor
from .paging import anchor_args
from .present import person, process_names, when
from .records import record_of

bp = Blueprint("instances", __name__, url_prefix="/requests")
STATUSES = ("running", "error", "completed", "cancelled")


@bp.get("/")
def index():
    engine = get_engine()
    sees_all = current_user.in_group(*SEE_ALL_GROUPS)
    process = request.args.get("process") or None
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    mine = not sees_all or request.args.get("scope") != "all"
    q = (request.args.get("q") or "").strip()[:100]
    size, anchor = current_app.config["INBOX_PAGE_SIZE"], anchor_args(request)
    # One keyset page from the database (and one row more, which only says that another page exists).
    copied = request.args.get("scope") == "copied"
    if copied:  # 抄送我的: requests copied to me or my groups
        mine = False
        page = engine.copied_page(current_user.username, size, **anchor)
    else:
        page = engine.instance_page(size, process_id=process, status=status,
                                    started_by=current_user.username if mine else None, text=q or None, **anchor)
    if not page.items and (anchor["after"] or anchor["before"]):  # past the end (the list got shorter)
        return redirect(url_for("instances.index", **{k: v for k, v in request.args.items()
                                                      if k not in ("after", "before")}))
    return render_template("instances/index.html", page=page, sees_all=sees_all, mine=mine, process=process,
                           status=status, statuses=STATUSES, processes=process_names(), q=q, copied=copied,
                           waiting=engine.waiting_on(i.id for i in page.items))


@bp.get("/<int:instance_id>")
def show(instance_id: int):
    engine = get_engine()
    instance = engine.instance(instance_id)
    tasks = engine.instance_tasks(instance_id)
    if not may_see_instance(instance, tasks):
        raise refuse(_("You may not open this request."))
    full = current_user.in_group(*SEE_ALL_GROUPS)
    entries = history.timeline(engine, instance, tasks, full=full)
    open_tasks = [t for t in tasks if t.status == "open"]
    files = engine.attachments(instance_id, current_user.username)
    verified = None
    if current_user.in_group(*SEE_ALL_GROUPS):
        chains, broken = engine.verify_audit(instance_id)
        verified = {"ok": not broken, "chains": chains, "broken": [str(b) for b in broken],
                    "keyed": engine.audit_key is not None}
    now = engine.now()
    data = engine.data(instance_id)
    # the worker continues it: its steps were left to the worker, or a timer of it is due
    in_progress = (instance.status == "running" and not open_tasks and instance.next_timer_at is not None
                   and instance.next_timer_at <= now)
    return render_template(
        "instances/show.html", instance=instance, tasks=tasks, open_tasks=open_tasks, entries=entries,
        lines=entries if full else history.for_people(entries),
        in_progress=in_progress, over_budget=over_budget(instance.error),
        record=record_of(data), documents=engine.documents(instance_id, current_user.username, data),
        verified=verified, may_cancel=may_cancel(instance),
        may_retry=instance.status == "error" and current_user.in_group("process_owner"),
        # open steps, and a step sent back for rework (being redone now, outside the diagram's path)
        current_ids=sorted({t.bpmn_id for t in open_tasks if t.side_of is None or t.kind == "rework"}),
        waiting_ids=sorted({t.bpmn_id for t in open_tasks if t.held}),
        done_ids=sorted({e.event.bpmn_id for e in entries if e.event.bpmn_id}
                        - {t.bpmn_id for t in open_tasks}),
        lane_names=engine.group_names(),  # the diagram's lanes are group ids: the viewer shows these names
        now=now, acts=not current_user.is_auditor,
        mine=instance.started_by == current_user.username,
        may_withdraw=not current_user.is_auditor and engine.withdrawable(instance_id, current_user.username),
        files=files, may_attach=engine.may_attach(instance_id, current_user.username),
        # the engine's rule (remove_attachment), for showing the button: one's own file, not submitted with a
        # form, while the request runs and its task (if any) is open
        removable={a.id for a in files if a.uploaded_by == current_user.username and a.field is None
                   and instance.status not in ("completed", "cancelled")
                   and (a.task_id is None or a.task_id in {t.id for t in open_tasks})},
        task_titles={t.id: t.title for t in tasks},
        people=engine.people(), groups=engine.group_names())


def over_budget(error: str | None) -> str | None:
    """"time" or "memory" when a step was stopped by its budget (the engine's words for it), else None."""
    for kind in ("time", "memory"):
        if error and f"{kind} budget" in error:
            return kind
    return None


@bp.get("/<int:instance_id>/diagram.bpmn")
def diagram(instance_id: int):
    instance = get_instance_or_404(instance_id)
    xml = get_engine().definition_xml(instance.definition_id)
    return Response(xml, mimetype="application/xml")


@bp.post("/<int:instance_id>/retry")
def retry(instance_id: int):
    """A process owner runs the stopped step again (after correcting the diagram or the data elsewhere)."""
    require_actor()
    get_instance_or_404(instance_id)
    view = get_engine().retry(instance_id, current_user.username)
    if view.status == "error":
        flash(_("The step failed again: %(error)s", error=view.error), "error")
    else:
        flash(_("The stopped step ran again; the request goes on."), "success")
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.post("/<int:instance_id>/cancel")
def cancel(instance_id: int):
    require_actor()
    instance = get_instance_or_404(instance_id)
    reason = request.form.get("reason", "").strip()[:500]
    get_engine().cancel(instance_id, current_user.username, reason)
    flash(_("The request %(title)s was cancelled.", title=instance.title), "info")
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.post("/<int:instance_id>/comments")
def comment(instance_id: int):
    """A comment on the request; `@name` tells a colleague, who may read the request from then on."""
    require_actor()
    get_instance_or_404(instance_id)
    try:
        posted = get_engine().comment(instance_id, current_user.username, request.form.get("text", ""))
    except FormInvalid:
        flash(_("Write something first (at most 2000 characters)."), "error")
        return redirect(url_for("instances.show", instance_id=instance_id, _anchor="comment-h"))
    told = "、".join(person(m) for m in posted.mentions)
    flash(_("Comment posted; %(names)s will be told.", names=told) if told else _("Comment posted."), "success")
    return redirect(url_for("instances.show", instance_id=instance_id, _anchor="timeline-h"))


@bp.post("/<int:instance_id>/withdraw")
def withdraw(instance_id: int):
    """撤回: the applicant takes the request back before anyone acted on it."""
    require_actor()
    get_instance_or_404(instance_id)
    get_engine().withdraw(instance_id, current_user.username, request.form.get("reason", "").strip()[:500])
    flash(_("You withdrew the request; nobody needs to act on it any more."), "info")
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.post("/<int:instance_id>/remind")
def remind(instance_id: int):
    """催办: remind whoever holds the request now."""
    require_actor()
    get_instance_or_404(instance_id)
    try:
        reminded = get_engine().remind(instance_id, current_user.username)
    except Conflict as exc:
        if exc.reason != "reminded_recently":
            raise
        flash(_("You reminded them a short while ago; you can remind again after %(when)s.",
                when=when(exc.holder, "short")), "info")
    else:
        flash(_("Reminded: %(names)s.", names="、".join(person(r) for r in reminded)), "success")
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.post("/<int:instance_id>/copy")
def copy(instance_id: int):
    """抄送: copy the request to colleagues or groups, who are told and may read it."""
    require_actor()
    get_instance_or_404(instance_id)
    wanted = [f"group:{g}" for g in request.form.getlist("to_group")] + request.form.getlist("to_user")
    note = request.form.get("note", "").strip()[:500]
    added = get_engine().copy_to(instance_id, current_user.username, wanted, note) if wanted else []
    if added:
        flash(_("Copied to %(names)s.", names="、".join(person(a) for a in added)), "success")
    else:
        flash(_("Choose someone who has not had a copy yet."), "info")
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.get("/<int:instance_id>/print")
def printable(instance_id: int):
    """The request on paper (打印/归档): what was asked, every decision with who and when, the record
    numbers, its files with their sha256, a QR code that opens it, and the head of its audit chain, so a
    paper copy can be checked against the system."""
    return render_template("instances/print.html", files=get_engine().attachments(instance_id, current_user.username),
                           **paper(instance_id))
