"""工作日历: the working calendar a year at a time (holidays, 调休 working days, company closures); process
owners enter and remove days here."""
from __future__ import annotations

import calendar as month_grid
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import FormInvalid

from .engine_access import get_engine

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

# the names China's calendar gives its holidays (chinese-calendar's English), in the reader's language
HOLIDAY_NAMES = {
    "New Year's Day": _l("New Year's Day"), "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"), "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"), "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-autumn Festival"), "Anti-Fascist 70th Day": _l("Anti-Fascist 70th Day"),
}

FIELD_MESSAGES = {
    ("day", "format"): lambda: _("Enter the date as year-month-day, e.g. 2026-12-31."),
    ("day", "range"): lambda: _("The working calendar covers the years 2000 to 2100."),
    ("name", "required"): lambda: _("Say what the day is, e.g. 年度设备检修停产."),
    ("name", "maxLength"): lambda: _("The name may have at most 100 characters."),
}


def _page(year: int, form: dict | None = None, errors: dict | None = None, status: int = 200):
    engine = get_engine()
    view = engine.calendar_year(year)
    by_day = {d.day: d for d in view.dates}
    months = [[[by_day.get(day) if day.year == year and day.month == m else None for day in week]
               for week in month_grid.Calendar().monthdatescalendar(year, m)] for m in range(1, 13)]
    entered = [d for d in view.dates if d.entry]
    special = [d for d in view.dates if d.kind in ("holiday", "adjusted") and not d.entry]
    return render_template("calendar/index.html", view=view, months=months, entered=entered, special=special,
                           unknown=engine.unknown_years(engine.now()), form=form or {},
                           errors=errors or {}, holiday_name=lambda name: str(HOLIDAY_NAMES.get(name, name)),
                           may_edit=current_user.in_group("process_owner")), status


def _year_arg() -> int:
    return request.args.get("year", type=int) or get_engine().now().year


@bp.get("/")
def index():
    return _page(_year_arg())


@bp.post("/days")
def enter():
    """Enter a day (a closure, a day worked, an official day of an unknown year): process owners."""
    form = {k: request.form.get(k, "").strip() for k in ("day", "working", "name")}
    form["official"] = bool(request.form.get("official"))
    year = _year_arg()
    try:
        entry = get_engine().set_calendar_day(form["day"], form["working"] == "1", form["name"],
                                              current_user.username, official=form["official"])
    except FormInvalid as exc:
        errors = {e.field: FIELD_MESSAGES.get((e.field, e.code), lambda: e.message)() for e in exc.errors}
        return _page(year, form, errors, 422)
    flash(_("%(day)s is now a working day: %(name)s.", day=entry.day.isoformat(), name=entry.name) if entry.working
          else _("%(day)s is now a day off: %(name)s.", day=entry.day.isoformat(), name=entry.name), "success")
    return redirect(url_for("calendar.index", year=entry.day.year))


@bp.post("/days/<day>/remove")
def remove(day: str):
    """Remove an entered day: it follows China's calendar again."""
    get_engine().remove_calendar_day(day, current_user.username)
    flash(_("%(day)s follows the official calendar again.", day=day), "success")
    return redirect(url_for("calendar.index", year=date.fromisoformat(day).year))
