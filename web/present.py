"""How values read on a page: people's and groups' names, dates in the user's locale, labels for codes."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Flask, g
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from .engine_access import get_engine

EVENT_KINDS = {
    "started": _l("started"),
    "claimed": _l("claimed"),
    "released": _l("released"),
    "delegated": _l("delegated"),
    "completed": _l("completed"),
    "step_completed": _l("automatic step"),
    "timer_fired": _l("timer fired"),
    "notified": _l("notification sent"),
    "error": _l("error"),
    "retried": _l("retried"),
    "migrated": _l("moved to a new version"),
    "cancel_requested": _l("cancellation requested"),
    "instance_completed": _l("request completed"),
    "instance_cancelled": _l("request cancelled"),
    "deployed": _l("procedure deployed"),
    "message_sent": _l("message sent"),
    "message_received": _l("message received"),
    "message_undelivered": _l("message not delivered"),
    "signal_sent": _l("signal broadcast"),
    "signal_received": _l("signal received"),
    "signal_undelivered": _l("signal reached nobody"),
    "repaired": _l("resumed after a restart"),
    "token_created": _l("API token created"),
    "token_revoked": _l("API token revoked"),
    "commented": _l("commented"),
    "withdrawn": _l("withdrew the request"),
    "reminded": _l("sent a reminder"),
    "copied": _l("copied the request"),
    "returned": _l("sent the request back"),
    "calendar_unknown": _l("deadline counted Monday to Friday: the year's official holidays are not known"),
    "calendar_changed": _l("working calendar changed"),
    "report_exported": _l("report exported"),
    "delegated_by_rule": _l("handed to the deputy (out of office)"),
    "notice_preferences_set": _l("notification settings changed"),
    "out_of_office_set": _l("out of office set"),
    "out_of_office_cleared": _l("back in the office"),
    "robot_set": _l("group robot set"),
    "robot_removed": _l("group robot removed"),
    "attached": _l("attached a file"),
    "attachment_removed": _l("removed a file"),
    "signers_added": _l("asked others to sign (加签)"),
    "opinion_given": _l("gave an opinion"),
    "countersigned": _l("signed after the approver"),
    "reworked": _l("redid the step sent back"),
}

# 加签 and rework (engine/staples/side_tasks.py): what a side task is, and an added signer's decision.
SIDE_KINDS = {
    "consult": _l("opinion asked (征求意见)"),
    "countersign": _l("approval after (后加签)"),
    "rework": _l("rework"),
}
SIDE_DECISIONS = {"approve": _l("approved"), "reject": _l("rejected")}

STATUSES = {
    "running": _l("in progress"),
    "waiting": _l("waiting"),
    "error": _l("stopped by an error"),
    "completed": _l("completed"),
    "cancelled": _l("cancelled"),
    "open": _l("open"),
}


def _cached(key: str, build):
    # One look-up per request: a timeline names the same few people many times.
    if key not in g:
        setattr(g, key, build())
    return getattr(g, key)


# Actors that are not people: the engine's own steps and deployments by the command line.
MACHINE_ACTORS = ("engine", "system")


def person(username: str | None) -> str:
    """A person's name; a group (`group:cs_staff`, as notifications address them) by its name."""
    if not username:
        return ""
    if isinstance(username, str) and username.startswith("group:"):
        return group_name(username[len("group:"):])
    if username in MACHINE_ACTORS:
        return str(_l("System"))
    people = _cached("_people", dict)
    if username not in people:
        view = get_engine().user(username)
        people[username] = view.name if view else username
    return people[username]


def group_name(group_id: str | None) -> str:
    if not group_id:
        return ""
    return _cached("_groups", lambda: get_engine().group_names()).get(group_id, group_id)


def process_names() -> dict[str, str]:
    return _cached("_processes", lambda: {d.process_id: d.name for d in get_engine().definitions()
                                          if d.kind == "bpmn"})


def process_name(process_id: str | None) -> str:
    return process_names().get(process_id or "", process_id or "")


def when(value: datetime | str | None, style: str = "medium") -> str:
    """A date and time in the user's language and time zone."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_datetime(value, style)


def kind_label(kind: str) -> str:
    return str(EVENT_KINDS.get(kind, kind))


def side_kind(kind: str | None) -> str:
    return str(SIDE_KINDS.get(kind or "", kind or ""))


def side_decision(decision: str | None) -> str:
    return str(SIDE_DECISIONS.get(decision or "", decision or ""))


def status_label(status: str) -> str:
    return str(STATUSES.get(status, status))


# What an ended request came to (engine/runtime/outcome.py), when its end event has no name to show.
OUTCOME_WORDS = {
    "approved": _l("approved"),
    "done": _l("done"),
    "rejected": _l("rejected"),
    "expired": _l("expired"),
    "withdrawn": _l("withdrawn"),
    "not_applicable": _l("not applicable"),
    "completed": _l("ended"),
    "cancelled": _l("cancelled"),
}


def state_class(instance) -> str:
    """The badge class of a request: its outcome once it ended, else its lifecycle status."""
    if instance.status in ("completed", "cancelled") and instance.outcome:
        return f"outcome-{instance.outcome}"
    return f"status-{instance.status}"


def state_label(instance) -> str:
    """What a request came to, in the end event's own words ("参观申请被驳回"), else its status."""
    if instance.status in ("completed", "cancelled") and instance.outcome:
        return instance.outcome_label or str(OUTCOME_WORDS.get(instance.outcome, instance.outcome))
    return status_label(instance.status)


def holders(task) -> str:
    """Who has an open task now: its assignee, else the groups and people it is offered to."""
    if task.assignee:
        return person(task.assignee)
    return "、".join([group_name(g) for g in task.candidate_groups] + [person(u) for u in task.candidate_users])


def where_now(instance, open_tasks) -> str:
    """Where a request went after an action, in one sentence: the step it waits at and who has it, or how it
    ended, or that it is still being processed."""
    if instance.status in ("completed", "cancelled"):
        return str(_l("The request has ended: %(outcome)s.", outcome=state_label(instance)))
    if instance.status == "error":
        return str(_l("The request stopped at a failing step; the process owner has been shown the error."))
    if open_tasks:
        steps = "；".join(str(_l("「%(step)s」, with %(who)s", step=t.title, who=holders(t))) for t in open_tasks)
        return str(_l("The request is now at %(steps)s.", steps=steps))
    return str(_l("The request is being processed; this page shows where it goes next."))


def as_text(value: Any) -> str:
    """A submitted value as one readable line (lists joined, objects as compact JSON)."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def file_size(size: int) -> str:
    """Bytes as people read them: 850 KB, 3.2 MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def init_app(app: Flask) -> None:
    for name, fn in (("person", person), ("file_size", file_size), ("group_name", group_name), ("process_name", process_name),
                     ("when", when), ("kind_label", kind_label), ("status_label", status_label),
                     ("state_class", state_class), ("state_label", state_label), ("as_text", as_text),
                     ("side_kind", side_kind), ("side_decision", side_decision)):
        app.add_template_filter(fn, name)
