"""Requests (instances): my requests, one request's status, diagram, record, timeline; cancel."""
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
    size, number = current_app.config["INBOX_PAGE_SIZE"], page_arg(request.args.get("page"))
    # One page from the database (and one row more, which only says that a next page exists).
    rows = engine.instances(process_id=process, status=status, started_by=current_user.username if mine else None,
                            limit=size + 1, offset=(number - 1) * size)
    if not rows and number > 1:  # past the end (the list got shorter): back to the first page
        return redirect(url_for("instances.index", **{**request.args.to_dict(), "page": 1}))
    page = from_probe(rows, number, size)
    return render_template("instances/index.html", page=page, sees_all=sees_all, mine=mine, process=process,
                           status=status, statuses=STATUSES, processes=process_names())


@bp.get("/<int:instance_id>")
def show(instance_id: int):
    engine = get_engine()
    instance = engine.instance(instance_id)
    tasks = engine.instance_tasks(instance_id)
    if not may_see_instance(instance, tasks):
        raise refuse(_("You may not open this request."))
    entries = history.timeline(engine, instance, tasks, full=current_user.in_group(*SEE_ALL_GROUPS))
    open_tasks = [t for t in tasks if t.status == "open"]
    verified = None
    if current_user.in_group(*SEE_ALL_GROUPS):
        chains, broken = engine.verify_audit(instance_id)
        verified = {"ok": not broken, "chains": chains, "broken": [str(b) for b in broken],
                    "keyed": engine.audit_key is not None}
    return render_template(
        "instances/show.html", instance=instance, tasks=tasks, open_tasks=open_tasks, entries=entries,
        record=record_of(engine.data(instance_id)), verified=verified, may_cancel=may_cancel(instance),
        current_ids=sorted({t.bpmn_id for t in open_tasks}),
        done_ids=sorted({e.event.bpmn_id for e in entries if e.event.bpmn_id}
                        - {t.bpmn_id for t in open_tasks}),
        now=engine.now())


@bp.get("/<int:instance_id>/diagram.bpmn")
def diagram(instance_id: int):
    instance = get_instance_or_404(instance_id)
    xml = get_engine().definition_xml(instance.definition_id)
    return Response(xml, mimetype="application/xml")


@bp.post("/<int:instance_id>/cancel")
def cancel(instance_id: int):
    require_actor()
    instance = get_instance_or_404(instance_id)
    reason = request.form.get("reason", "").strip()[:500]
    get_engine().cancel(instance_id, current_user.username, reason)
    flash(_("The request %(title)s was cancelled.", title=instance.title), "info")
    return redirect(url_for("instances.show", instance_id=instance_id))
