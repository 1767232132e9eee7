"""The team page: the open work of the groups a manager oversees, with counts per group."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user

from .engine_access import get_engine
from .guards import refuse
from .inbox import due_state

bp = Blueprint("team", __name__, url_prefix="/team")


@bp.get("/")
def index():
    if not current_user.oversees:
        raise refuse(_("This page is for people who oversee a group's work."))
    engine = get_engine()
    now = engine.now()
    overview = engine.team_overview(current_user.username, now)
    titles = engine.instance_titles({t.instance_id for t in overview.tasks})
    return render_template("team/index.html", overview=overview, titles=titles, now=now, due_state=due_state)
