"""Requests (instances): my requests, one request's status, diagram, record, timeline; cancel, retry."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from . import history
from .engine_access import get_engine
from .guards import SEE_ALL_GROUPS, get_instance_or_404, may_cancel, may_see_instance, refuse, require_actor
from .paging import from_probe, page_arg
from .present import process_names
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
    size, number = current_app.config["INBOX_PAGE_SIZE"], page_arg(request.args.get("page"))
    # One page from the database (and one row more, which only says that a next page exists).
    rows = engine.instances(process_id=process, status=status, started_by=current_user.username if mine else None,
                            limit=size + 1, offset=(number - 1) * size, text=q or None)
    if not rows and number > 1:  # past the end (the list got shorter): back to the first page
        return redirect(url_for("instances.index", **{**request.args.to_dict(), "page": 1}))
    page = from_probe(rows, number, size)
    return render_template("instances/index.html", page=page, sees_all=sees_all, mine=mine, process=process,
                           status=status, statuses=STATUSES, processes=process_names(), q=q,
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
    verified = None
    if current_user.in_group(*SEE_ALL_GROUPS):
        chains, broken = engine.verify_audit(instance_id)
        verified = {"ok": not broken, "chains": chains, "broken": [str(b) for b in broken],
                    "keyed": engine.audit_key is not None}
    now = engine.now()
    # the worker continues it: its steps were left to the worker, or a timer of it is due
    in_progress = (instance.status == "running" and not open_tasks and instance.next_timer_at is not None
                   and instance.next_timer_at <= now)
    return render_template(
        "instances/show.html", instance=instance, tasks=tasks, open_tasks=open_tasks, entries=entries,
        lines=entries if full else history.for_people(entries),
        in_progress=in_progress, over_budget=over_budget(instance.error),
        record=record_of(engine.data(instance_id)), verified=verified, may_cancel=may_cancel(instance),
        may_retry=instance.status == "error" and current_user.in_group("process_owner"),
        current_ids=sorted({t.bpmn_id for t in open_tasks}),
        done_ids=sorted({e.event.bpmn_id for e in entries if e.event.bpmn_id}
                        - {t.bpmn_id for t in open_tasks}),
        lane_names=engine.group_names(),  # the diagram's lanes are group ids: the viewer shows these names
        now=now)


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
