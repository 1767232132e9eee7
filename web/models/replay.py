"""Replay before deploy: what the draft's version would have done with the requests of the deployed one, as
a list in words and as counts on the diagram."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from engine import ReplayOutcome, SpecInvalid

from ..engine_access import get_engine
from .area import bp, get_draft, require_owner
from .deploy import render_check


def _name(step) -> str:
    return step.name or step.bpmn_id if step is not None else ""


def _values(values: dict) -> str:
    return "，".join(f"{name} = {value!r}" for name, value in values.items())


def explain(outcome: ReplayOutcome) -> str:
    """One request's replay in plain words."""
    was, now = _name(outcome.was), _name(outcome.now)
    if outcome.verdict == "same":
        if outcome.ended_by_person:
            return _("Same path up to the point where it was withdrawn or cancelled.")
        return _("Same path.")
    if outcome.verdict == "stuck":
        if outcome.error:
            return _("Stuck: step %(element)s fails: %(error)s", element=outcome.element, error=outcome.error)
        return _("Stuck: the new version cannot go on where the request went to “%(was)s”.", was=was)
    if outcome.why == "condition":
        if outcome.default_flow:
            text = _("At “%(gateway)s” the condition %(condition)s no longer holds, so the request would go to "
                     "“%(now)s” instead of “%(was)s”.", gateway=outcome.gateway, condition=outcome.condition,
                     now=now, was=was)
        else:
            text = _("At “%(gateway)s” the condition %(condition)s holds, so the request would go to “%(now)s” "
                     "instead of “%(was)s”.", gateway=outcome.gateway, condition=outcome.condition or "",
                     now=now, was=was)
        return text + (" " + _("The data: %(values)s.", values=_values(outcome.values)) if outcome.values else "")
    if outcome.why == "timer":
        if outcome.now is not None and outcome.now.kind == "timer":
            return _("The timer “%(now)s” (%(timer)s) would fire first%(instead)s.", now=now, timer=outcome.timer,
                     instead=_(", before “%(was)s”", was=was) if was else "")
        return _("The timer “%(was)s” would not have fired by then; the new version goes to “%(now)s”.",
                 was=was, now=now)
    if outcome.why == "waits":
        return _("The new version waits at “%(now)s”, where the request went on to “%(was)s”.", now=now or "?",
                 was=was)
    if outcome.why == "ends":
        return _("The new version ends here; the request went on to “%(was)s”.", was=was)
    if outcome.why == "goes_on":
        return _("The request stopped or waits here; the new version goes on to “%(now)s”.", now=now)
    return _("The diagram connects the steps differently: after the same steps the request went to “%(was)s”, "
             "the new version goes to “%(now)s”.", was=was, now=now)


@bp.get("/drafts/<int:draft_id>/replay")
def replay(draft_id: int):
    require_owner()
    draft = get_draft(draft_id)
    try:
        report = get_engine().replay_draft(draft_id, current_user.username)
    except SpecInvalid as exc:
        return render_check(draft, draft.filename, problems=exc.problems, status=422)
    return render_template("models/replay.html", draft=draft, report=report, explain=explain,
                           marks=report.on_diagram())
