"""通知设置: how notifications reach me (in the app always; mail on or off, for which events) and who handles
my new tasks while I am out of office. Refusals come back on the page with what was typed."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import EngineError
from engine.preferences import EVENTS
from engine.webhooks import MANAGERS

from .engine_access import get_engine
from .errors import http_status
from .refusals import error_message

bp = Blueprint("notice_settings", __name__, url_prefix="/notices/settings")

EVENT_LABELS = {"task": _l("A new task for me"), "reminder": _l("A reminder (催办) of my task"),
                "copy": _l("A request copied to me"), "mention": _l("Someone mentions me in a comment"),
                "outcome": _l("The outcome of my request")}


def _page(status: int = 200, away_form: dict | None = None, errors: dict[str, str] | None = None):
    engine, me = get_engine(), current_user.username
    absence = engine.out_of_office(me)
    people = {login: name for login, name in engine.people().items() if login != me}
    form = away_form or ({"deputy": absence.deputy, "starts_on": absence.starts_on.isoformat(),
                          "ends_on": absence.ends_on.isoformat()} if absence else {})
    return render_template("notices/settings.html", prefs=engine.notice_preferences(me), events=EVENT_LABELS,
                           absence=absence, people=people, form=form, errors=errors or {},
                           may_configure_robots=MANAGERS in current_user.groups), status


@bp.get("/")
def index():
    return _page()


@bp.post("/")
def save():
    chosen = [e for e in request.form.getlist("event") if e in EVENTS]
    get_engine().set_notice_preferences(current_user.username, request.form.get("mail") == "on", chosen)
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("notice_settings.index"))


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@bp.post("/away")
def away():
    form = {k: request.form.get(k, "").strip() for k in ("deputy", "starts_on", "ends_on")}
    errors = {}
    if not form["deputy"]:
        errors["deputy"] = _("Choose the colleague who handles your new tasks.")
    for field in ("starts_on", "ends_on"):
        if _day(form[field]) is None:
            errors[field] = _("Enter a date, e.g. 2026-12-01.")
    if errors:
        return _page(422, form, errors)
    try:
        absence = get_engine().set_out_of_office(current_user.username, form["deputy"], _day(form["starts_on"]),
                                                 _day(form["ends_on"]))
    except EngineError as exc:
        field = "deputy" if (exc.reason or "").startswith("deputy") else "ends_on"
        return _page(http_status(exc), form, {field: error_message(exc) or exc.message})
    flash(_("While you are away (%(first)s to %(last)s), new tasks for you go to %(name)s.",
            first=absence.starts_on.isoformat(), last=absence.ends_on.isoformat(),
            name=get_engine().people().get(absence.deputy, absence.deputy)), "success")
    return redirect(url_for("notice_settings.index"))


@bp.post("/away/clear")
def back():
    if get_engine().clear_out_of_office(current_user.username):
        flash(_("Welcome back: new tasks come to you again."), "success")
    return redirect(url_for("notice_settings.index"))
