"""The notification centre: what the engine told me (mentions, reminders, copies, returns, a procedure's
notices), newest first, with unread ones marked; opening one marks it read and goes to its request."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from .engine_access import get_engine

bp = Blueprint("notices", __name__, url_prefix="/notices")
PAGE = 50


@bp.get("/")
def index():
    before = request.args.get("before", type=int)
    found = get_engine().notices(current_user.username, limit=PAGE + 1, before=before)
    return render_template("notices/index.html", notices=found[:PAGE],
                           next_before=found[PAGE - 1].id if len(found) > PAGE else None)


@bp.get("/<int:notice_id>")
def open_one(notice_id: int):
    notice = get_engine().open_notice(current_user.username, notice_id)  # someone else's: 404
    if notice.instance_id is None:
        return redirect(url_for("notices.index"))
    return redirect(url_for("instances.show", instance_id=notice.instance_id))


@bp.post("/read")
def read_all():
    get_engine().mark_notices_read(current_user.username)
    return redirect(url_for("notices.index"))
