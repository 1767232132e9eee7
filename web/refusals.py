"""Why something was refused, in the user's language, from the engine's stable reason codes.

The engine words its errors in English for logs and operators and adds `reason` (a code that never
changes) and `holder` (the username involved). People read the sentences below; the English text is
kept only as a technical detail.
"""
from __future__ import annotations

from typing import Callable

from flask_babel import gettext as _
from flask_login import current_user

from engine import EngineError
from engine import TaskView

from .present import person, when


def _self_approval(holder: str | None) -> str:
    if holder in (None, current_user.username):
        return _("You started this request, so you may not approve it yourself.")
    return _("%(name)s started this request and may not approve it.", name=person(holder))


def _named(with_name: Callable[[str], str], without: Callable[[], str]) -> Callable[[str | None], str]:
    """A message naming the user involved, or a plainer one when the engine named nobody."""
    return lambda holder: with_name(person(holder)) if holder else without()


# reason code -> message(holder). Codes of Conflict and of NotAllowed never overlap.
REASONS: dict[str, Callable[[str | None], str]] = {
    # Conflict: the task or the request changed before the action arrived
    "completed": _named(lambda name: _("This task was already completed by %(name)s.", name=name),
                        lambda: _("This task was already completed.")),
    "cancelled": lambda _h: _("This task is no longer needed: the request moved on or was cancelled."),
    "claimed": _named(lambda name: _("%(name)s has already taken this task.", name=name),
                      lambda: _("Someone else has already taken this task.")),
    "not_waiting": lambda _h: _("This task is not waiting for input at the moment."),
    "concurrent": lambda _h: _("Someone else changed this request at the same moment. "
                               "Nothing was saved; please try again."),
    "instance_ended": lambda _h: _("This request has already ended."),
    "not_in_error": lambda _h: _("This request is not stopped by an error, so there is nothing to retry."),
    "not_releasable": lambda _h: _("This task was given to you personally and cannot be given back to a group."),
    "unsafe_migration": lambda _h: _("This request cannot be moved to the new version safely; "
                                     "it stays on its current version."),
    "waiting_opinions": lambda _h: _("This task waits for the opinions you asked for; you decide once every "
                                     "one of them answered."),
    "waiting_signers": lambda _h: _("Your decision is recorded and waits for the approval of the people added "
                                    "after you."),
    "waiting_rework": lambda _h: _("This task was sent back for correction; it comes back to you once the "
                                   "step is redone."),
    "side_task": lambda _h: _("This is a question to answer on its own page, not a step to complete."),
    # NotAllowed: the user may not do this
    "assigned_to": _named(lambda name: _("This task is held by %(name)s.", name=name),
                          lambda: _("This task is held by someone else.")),
    "not_candidate": lambda _h: _("This task is not offered to you or to any of your groups."),
    "self_approval": _self_approval,
    "not_owner": lambda _h: _("Only process owners may do this."),
    "not_report_reader": lambda _h: _("This report is open to the groups that work with it, process owners and "
                                      "auditors."),
    "cannot_start": lambda _h: _("You may not start this procedure."),
    "auditor": lambda _h: _("Auditors can view but not act."),
    "event_start": lambda _h: _("This procedure starts by itself, on a message, a signal or a timer."),
    "not_initiator": lambda _h: _("Only the person who started this request, or a process owner, may cancel it."),
    "not_holder": _named(lambda name: _("This task is held by %(name)s, not by you.", name=name),
                         lambda: _("You do not hold this task.")),
    "not_in_group": _named(lambda name: _("%(name)s is not in the group this task belongs to.", name=name),
                           lambda: _("That colleague is not in the group this task belongs to.")),
    "not_token_owner": lambda _h: _("Only the token's owner may revoke it."),
    "not_bulk": lambda _h: _("This step is decided one task at a time."),
    "not_registrar": lambda _h: _("Only the people who deal with customers may register a new one here."),
    "lookup_closed": lambda _h: _("Nothing can be added to this register from a form."),
    "inactive": lambda _h: _("This account is inactive."),
    # not found
    "unknown_lookup": lambda _h: _("There is no such register to pick from."),
    "unknown_document": lambda _h: _("This request has no such document."),
    "document_not_ready": lambda _h: _("This document does not exist yet: the request has not reached that point."),
    "not_reader": lambda _h: _("You may not open this request, nor its files."),
    "not_uploader": lambda _h: _("Only the person who uploaded this file may do this."),
    "staple_off": lambda _h: _("This procedure has turned this off for this request or step."),
    "submitted": lambda _h: _("This file was submitted with a form and stays with the request."),
    "removed": lambda _h: _("This file was removed by the person who uploaded it."),
    "files_taken": lambda _h: _("These files were just sent with another request (submitted twice?). "
                                "Nothing was created here; upload them again if this request needs them."),
    "missing": lambda _h: _("This file is missing from the file store; tell the operator."),
    "altered": lambda _h: _("This file was changed in the file store since it was uploaded; tell the operator."),
    "self": lambda _h: _("You cannot add yourself."),
    "not_allowed_signer": _named(lambda name: _("This step does not allow adding %(name)s.", name=name),
                                 lambda: _("This step does not allow adding that person.")),
    "not_configured": lambda _h: _("This step names nobody who may approve after you; ask for an opinion "
                                   "instead."),
    # refused input
    "token_name": lambda _h: _("Give the token a name of at most 100 characters."),
    # the working calendar
    "not_entered": lambda _h: _("Nobody entered this day in the working calendar, so there is nothing to remove."),
    "year_out_of_range": lambda _h: _("The working calendar covers the years 2000 to 2100."),
    "lookup_text": lambda _h: _("Search with at most 100 characters."),
    "lookup_label": lambda _h: _("Type the new entry's name first."),
    "lookup_limit": lambda _h: _("Ask for 1 to 50 matches."),
    "not_self": lambda _h: _("You may change only your own settings."),
    "not_process_owner": lambda _h: _("Only process owners may configure group robots."),
    "unknown_event": lambda _h: _("Choose among the events offered."),
    "bad_mail": lambda _h: _("Mail is either on or off."),
    "deputy_self": lambda _h: _("You cannot be your own deputy: choose a colleague."),
    "deputy_unknown": lambda _h: _("There is no such colleague: choose one from the list."),
    "deputy_inactive": _named(lambda name: _("%(name)s no longer works here: choose another colleague.", name=name),
                              lambda: _("That colleague no longer works here: choose another.")),
    "deputy_away": _named(lambda name: _("%(name)s is away at the same time: choose a colleague who is here.",
                                         name=name),
                          lambda: _("That colleague is away at the same time: choose one who is here.")),
    "dates_missing": lambda _h: _("Enter the first and the last day you are away."),
    "dates_reversed": lambda _h: _("The last day comes before the first day."),
    "dates_past": lambda _h: _("That time is already over: the last day has passed."),
    "dates_too_long": lambda _h: _("An absence lasts at most a year."),
    "bad_url": lambda _h: _("Enter the robot's web address, starting with https:// (or http://)."),
    "bad_kind": lambda _h: _("Choose WeCom (企业微信) or DingTalk (钉钉)."),
    "bad_secret": lambda _h: _("Only a DingTalk (钉钉) robot has a signing secret (at most 200 characters)."),
    "group_unknown": lambda _h: _("There is no such group."),
}

# Reasons the error page already explains with the task's current state (who completed or holds it).
TASK_STATE_REASONS = ("completed", "cancelled", "claimed")


def reason_message(reason: str | None, holder: str | None = None) -> str | None:
    """The sentence for a reason code, or None for a code this UI does not know."""
    message = REASONS.get(reason or "")
    return message(holder) if message else None


def error_message(exc: EngineError) -> str | None:
    return reason_message(getattr(exc, "reason", None), getattr(exc, "holder", None))


def why_not(reason: str | None, task: TaskView) -> str:
    """Why the task page shows no form: the engine's may_act reason, told with the task's own facts."""
    if reason == "completed":
        return _("Completed by %(name)s on %(when)s.", name=person(task.completed_by), when=when(task.completed_at))
    if reason == "cancelled":
        return _("This task is no longer needed.")
    if reason == "auditor":
        return _("Auditors can view but not act.")
    holder = task.assignee if reason == "assigned_to" else current_user.username
    return reason_message(reason, holder) or _("This task is not yours to complete.")
