"""Auditors: search audit events, export them (CSV, JSON), see whether each instance's chain verifies, and
check the whole trail against the newest external checkpoint (and download the checkpoint file)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, send_file
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import AuditView, EngineError, KeysetPage, NotFound

from .csvout import csv_response
from .engine_access import get_engine
from .guards import refuse
from .paging import anchor_args
from .present import EVENT_KINDS, person, process_names

bp = Blueprint("audit", __name__, url_prefix="/audit")
# what a chain (or the file) is found to be when checked against a checkpoint
PROBLEM_KINDS = {"rewritten": _l("Rewritten"), "truncated": _l("Cut short"), "missing": _l("Deleted"),
                 "file": _l("Checkpoint file altered")}
FIELDS = ("id", "at", "at_local", "instance_id", "process_id", "chain", "seq", "kind", "actor", "actor_name",
          "bpmn_id", "task_guid", "definition_id", "data", "hash")
# the CSV's header row, in the reader's language (the JSON keeps the field names)
HEADERS = {"id": _l("Event number"), "at": _l("Time (UTC)"), "at_local": _l("Time (local)"), "instance_id": _l("Request"),
           "process_id": _l("Procedure"), "chain": _l("Chain"), "seq": _l("Number in chain"), "kind": _l("What"),
           "actor": _l("Login"), "actor_name": _l("Person's name"), "bpmn_id": _l("Step"), "task_guid": _l("Task id"),
           "definition_id": _l("Version id"), "data": _l("Data"), "hash": _l("Hash")}


@bp.before_request
def _auditors_only():
    if not current_user.is_auditor:
        raise refuse(_("Only auditors may search the audit trail."))


@dataclass
class Filters:
    process: str = ""
    instance: str = ""
    actor: str = ""
    kind: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def from_args(cls, args) -> tuple[Filters, list[str]]:
        found = cls(**{k: (args.get(k) or "").strip() for k in cls.__dataclass_fields__})
        errors = []
        if found.instance and not found.instance.isdigit():
            errors.append(_("The request number must be a whole number."))
        for day in (found.since, found.until):
            if day and _day(day) is None:
                errors.append(_("Dates are written YYYY-MM-DD."))
        return found, errors

    def query(self) -> dict[str, Any]:
        """Keyword arguments for engine.search_audit; dates are whole days in the user's time zone."""
        since, until = _day(self.since), _day(self.until)
        return {
            "process_id": self.process or None, "actor": self.actor or None, "kind": self.kind or None,
            "instance_id": int(self.instance) if self.instance.isdigit() else None,
            "since": _start_of(since) if since else None,
            "until": _start_of(until + timedelta(days=1)) if until else None,
        }

    def args(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _start_of(day: date) -> datetime:
    tz = get_timezone()
    midnight = datetime.combine(day, time())
    local = tz.localize(midnight) if hasattr(tz, "localize") else midnight.replace(tzinfo=tz)
    return local.astimezone(timezone.utc)


@bp.get("/")
def search():
    engine = get_engine()
    filters, errors = Filters.from_args(request.args)
    size = current_app.config["AUDIT_PAGE_SIZE"]
    searched = bool(filters.args() or request.args.get("searched")) and not errors
    page = KeysetPage([], False, False, total=0)
    if searched:  # one keyset page, with the total and where the page starts in it
        page = engine.audit_page(size, **anchor_args(request), **filters.query())
    chains = {}
    for instance_id in sorted({e.instance_id for e in page.items if e.instance_id}):
        _count, broken = engine.verify_audit(instance_id)
        chains[instance_id] = not broken
    checkpoint, checkpoint_error = _latest_checkpoint()
    return render_template("audit/search.html", filters=filters, errors=errors, page=page, searched=searched,
                           chains=chains, kinds=EVENT_KINDS, processes=process_names(), checkpoint=checkpoint,
                           checkpoint_error=checkpoint_error)


def _latest_checkpoint():
    """(the newest checkpoint's summary or None, why it cannot be read or None)."""
    try:
        return get_engine().latest_checkpoint(), None
    except EngineError as exc:
        return None, exc.message


@bp.get("/checkpoint")
def checkpoint():
    """The newest external checkpoint, and the whole trail verified against it."""
    engine = get_engine()
    report, error = None, None
    try:
        report = engine.verify_checkpoint()
    except NotFound:
        pass  # none written yet: the page says so
    except EngineError as exc:
        error = exc.message
    return render_template("audit/checkpoint.html", report=report, error=error, kinds=PROBLEM_KINDS)


@bp.get("/checkpoint/file")
def checkpoint_file():
    """The checkpoint file as it is, to keep apart from the machines."""
    path = get_engine().checkpoint_path()
    if not path.is_file():
        raise NotFound("no checkpoint has been written yet")
    return send_file(path, mimetype="application/x-ndjson", as_attachment=True, download_name=path.name,
                     max_age=0)


def _row(event: AuditView) -> dict[str, Any]:
    row = asdict(event)
    row["at"] = event.at.astimezone(timezone.utc).isoformat()
    row["at_local"] = event.at.astimezone(get_timezone()).isoformat()
    row["actor_name"] = person(event.actor)
    return {k: row.get(k) for k in FIELDS}


@bp.get("/export.<fmt>")
def export(fmt: str):
    if fmt not in ("csv", "json"):
        raise NotFound(f"no export format {fmt!r}")
    filters, errors = Filters.from_args(request.args)
    if errors:
        return Response("\n".join(errors), status=400, mimetype="text/plain")
    events = get_engine().search_audit(**filters.query(), limit=current_app.config["AUDIT_EXPORT_LIMIT"])
    stamp = get_engine().now().strftime("%Y%m%d-%H%M%S")
    headers = {"Content-Disposition": f'attachment; filename="audit-{stamp}.{fmt}"'}
    if fmt == "json":
        body = {"exported_at": get_engine().now().isoformat(), "exported_by": current_user.username,
                "filters": filters.args(), "count": len(events), "events": [_row(e) for e in events]}
        return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers=headers)
    return csv_response([str(HEADERS[k]) for k in FIELDS], ([row[k] for k in FIELDS] for row in map(_row, events)),
                        f"audit-{stamp}.csv")
