"""The inbox: everything I can act on, my tasks, my groups' unclaimed tasks, what I completed; counts for
the navigation; where each role lands."""
from __future__ import annotations

import logging
from datetime import datetime

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import TaskView

from .engine_access import get_engine
from .guards import require_actor
from .paging import anchor_args
from .present import process_name
from .refusals import reason_message

bp = Blueprint("inbox", __name__)
log = logging.getLogger(__name__)
TABS = ("all", "mine", "group", "done")
SORTS = ("due", "created")


def _soon_until(now: datetime) -> datetime:
    # one working day ahead, on the working calendar: Friday evening's task due Monday is 'soon'
    cached = g.get("_soon_until")
    if cached is None or cached[0] != now:
        g._soon_until = cached = (now, get_engine().add_working_days(now, 1))
    return cached[1]


def due_state(task: TaskView, now: datetime) -> str:
    """'overdue', 'soon' (within one working day), 'due' or '' for the badge next to a task."""
    if task.status != "open" or task.due_at is None:
        return ""
    if task.is_overdue(now):
        return "overdue"
    return "soon" if task.due_at <= _soon_until(now) else "due"


@bp.get("/")
def home():
    """Where each role starts: auditors at the audit search, process owners with nothing to do at their
    models, everyone else at the work waiting for them."""
    if current_user.is_auditor:
        return redirect(url_for("audit.search"))
    if current_user.in_group("process_owner") and not get_engine().task_counts(current_user.username)["all"]:
        return redirect(url_for("models.index"))
    return redirect(url_for("inbox.index"))


@bp.get("/inbox")
def index():
    engine = get_engine()
    me = current_user.username
    # the default is everything the user can act on, most urgent first: work waiting for a group is not
    # hidden behind an empty "my tasks"
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "all"
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "due"
    process = request.args.get("process") or ""
    q = (request.args.get("q") or "").strip()[:100]
    # One keyset page from the database (a page whose anchor task was completed meanwhile starts over).
    page, processes = engine.task_page(me, tab, process or None, sort, current_app.config["INBOX_PAGE_SIZE"],
                                       text=q or None, **anchor_args(request))
    processes = sorted(processes, key=process_name)
    titles = engine.instance_titles({t.instance_id for t in page.items})
    bulk = engine.bulk_allowed(t.id for t in page.items) if tab != "done" else set()
    return render_template("inbox/index.html", tab=tab, sort=sort, process=process, processes=processes, q=q,
                           page=page, titles=titles, now=engine.now(), due_state=due_state, bulk=bulk)


@bp.post("/inbox/bulk")
def bulk():
    """批量审批: approve the ticked tasks, each on its own; say how many went through and why others did not."""
    require_actor()
    ids = [int(i) for i in request.form.getlist("task") if i.isdigit()]
    results = get_engine().complete_many(ids, current_user.username, {"decision": "approve"})
    done = [r for r in results if r.ok]
    if done:
        flash(_("Approved %(count)d task(s).", count=len(done)), "success")
    for refused in (r for r in results if not r.ok):
        flash(_("Task %(id)d was not approved: %(why)s", id=refused.task_id,
                why=reason_message(refused.reason) or refused.message), "error")
    if not results:
        flash(_("Tick the tasks to approve first."), "info")
    return redirect(url_for("inbox.index"))


@bp.app_context_processor
def _nav_counts():
    if not current_user.is_authenticated:
        return {}
    engine = get_engine()
    me = current_user.username
    try:
        return {"nav_counts": {**engine.task_counts(me), "unread": engine.unread_notices(me)}}
    except Exception:  # noqa: BLE001 - counts are decoration: an error page must still render without them
        log.exception("navigation counts failed")
        return {}
