"""群机器人: process owners give a group a 企业微信 or 钉钉 chat robot, see which groups have one, and see the
posts the worker gave up on. The signing secret is never shown back."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import EngineError

from .engine_access import get_engine
from .errors import http_status
from .refusals import error_message

bp = Blueprint("robots", __name__, url_prefix="/notices/robots")


def _page(status: int = 200, form: dict | None = None, error: str | None = None):
    engine, me = get_engine(), current_user.username
    return render_template("notices/robots.html", robots=engine.group_robots(me),
                           failed=engine.failed_robot_posts(me), groups=engine.group_names(), form=form or {},
                           error=error), status


@bp.get("/")
def index():
    return _page()


@bp.post("/")
def save():
    form = {k: request.form.get(k, "").strip() for k in ("group", "kind", "url", "secret")}
    try:
        get_engine().set_group_robot(form["group"], current_user.username, form["url"], form["kind"],
                                     form["secret"] or None)
    except EngineError as exc:
        return _page(http_status(exc), {**form, "secret": ""}, error_message(exc) or exc.message)
    flash(_("The robot of %(group)s is saved: the group's notifications are posted there.",
            group=get_engine().group_names().get(form["group"], form["group"])), "success")
    return redirect(url_for("robots.index"))


@bp.post("/<group_id>/remove")
def remove(group_id: str):
    if get_engine().remove_group_robot(group_id, current_user.username):
        flash(_("The robot of %(group)s is removed.", group=get_engine().group_names().get(group_id, group_id)),
              "success")
    return redirect(url_for("robots.index"))
