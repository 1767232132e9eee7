"""JSON API under /api/v1 for scripts and integrations: personal access tokens or HTTP Basic, the engine's
verbs, OpenAPI.

No cookies: every request carries its credentials, so the API needs no CSRF token. The same
read-side guards as the pages decide what a user may see; the engine re-checks every action.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, abort, g, jsonify, request, url_for
from flask_login import current_user

from engine import FormInvalid, to_jsonable

from .documents import pdf_response, render_sheet
from . import uploads
from .engine_access import get_engine
from .files import serve_file
from .guards import SEE_ALL_GROUPS, get_instance_or_404, get_task_or_404, require_actor
from .openapi import document
from .pdf import PdfUnavailable, html_to_pdf
from .reports import report_csv

bp = Blueprint("api", __name__, url_prefix="/api/v1")


MAX_JSON_DEPTH = 32


def _refuse_constant(name: str):
    abort(400, description=f"{name} is not a number JSON allows")


def _body() -> dict[str, Any]:
    """The request's JSON object: strict UTF-8, no NaN or Infinity, no lone surrogates, nested at most
    MAX_JSON_DEPTH levels; anything else is a 400 that says why."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        abort(400, description="the request body is not UTF-8")
    except RecursionError:
        abort(400, description=f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
    except ValueError as exc:
        abort(400, description=f"the request body is not JSON: {exc}")
    if not isinstance(body, dict):
        abort(400, description="the request body must be a JSON object")
    _check_tree(body)
    return body


def _check_tree(value: Any) -> None:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            abort(400, description=f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                abort(400, description="the JSON holds invalid Unicode (a lone surrogate)")
        elif isinstance(item, dict):
            pending += [(k, depth + 1) for k in item] + [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            pending += [(v, depth + 1) for v in item]


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(request.host_url.rstrip("/") + bp.url_prefix))


@bp.get("/me")
def me():
    return jsonify(username=current_user.username, name=current_user.name, groups=list(current_user.groups))


@bp.get("/processes")
def processes():
    return jsonify(to_jsonable(get_engine().startable_processes(current_user.username)))


@bp.post("/processes/<process_id>/instances")
def start(process_id: str):
    require_actor()
    body = _body()
    copies = body.get("copy_to") or []
    if not isinstance(copies, list) or not all(isinstance(c, str) for c in copies):
        return jsonify(error="invalid", reason=None, message="copy_to must be a list of logins or group:<id>"), 400
    instance = get_engine().start(process_id, current_user.username, body.get("data") or {}, copy_to=copies)
    response = jsonify(to_jsonable(instance))
    response.status_code, response.headers["Location"] = 201, url_for("api.instance", instance_id=instance.id)
    return response


@bp.get("/tasks")
def tasks():
    """One page of tasks (`limit`, at most 500, default 100; `after`: the last id of the previous page). The
    body is the list; `X-Next-After` carries the id to ask for the next page with, when there is one."""
    engine, me = get_engine(), current_user.username
    scope = request.args.get("scope", "all")
    found = {"all": engine.tasks, "inbox": engine.inbox, "queue": engine.group_queue,
             "completed": engine.completed_tasks}.get(scope)
    if found is None:
        abort(400, description="scope must be all, inbox, queue or completed")
    limit = _int_arg("limit", 100, 1, 500)
    after = _int_arg("after", None, 1, 2**62)
    page = found(me, limit=limit + 1, after=after)
    response = jsonify(to_jsonable(page[:limit]))
    if len(page) > limit:
        response.headers["X-Next-After"] = str(page[limit - 1].id)
    return response


def _newest_first(page: list, limit: int):
    """A page read newest first with one row more than `limit`: the rows, and `X-Next-Before` naming the
    last id shown when there is a next page."""
    response = jsonify(to_jsonable(page[:limit]))
    if len(page) > limit:
        response.headers["X-Next-Before"] = str(page[limit - 1].id)
    return response


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        abort(400, description=f"{name} must be a whole number from {low} to {high}")
    return int(text)


@bp.get("/tasks/<int:task_id>")
def task(task_id: int):
    engine = get_engine()
    view = get_task_or_404(task_id)
    form = engine.task_form(task_id)
    may, reason = engine.may_act(task_id, current_user.username)
    targets = to_jsonable(engine.return_targets(task_id)) if may else []
    return jsonify(task=to_jsonable(view), form={"schema": form.schema, "ui": form.ui}, may_act=may, reason=reason,
                   return_targets=targets)


@bp.post("/tasks/<int:task_id>/<verb>")
def act(task_id: int, verb: str):
    # no read before the verb: the engine checks the task exists (404) and that this user may act on it (403)
    require_actor()
    engine, me, body = get_engine(), current_user.username, _body()
    reason = str(body.get("reason") or "")
    if verb == "complete":
        return jsonify(to_jsonable(engine.complete(task_id, me, body.get("data") or {})))
    if verb == "claim":
        return jsonify(to_jsonable(engine.claim(task_id, me, reason)))
    if verb == "release":
        return jsonify(to_jsonable(engine.unclaim(task_id, me, reason)))
    if verb == "delegate":
        return jsonify(to_jsonable(engine.delegate(task_id, me, str(body.get("to") or ""), reason)))
    abort(404)


@bp.post("/messages")
def message():
    body = _body()
    name, correlations, instance_id = body.get("name"), body.get("correlations"), body.get("instance_id")
    if not isinstance(name, str) or not name:
        abort(400, description="name (the message name) is required")
    if correlations is not None and not (isinstance(correlations, dict)
                                         and all(isinstance(v, dict) for v in correlations.values())):
        abort(400, description="correlations must be an object {key: {property: value}}")
    if instance_id is not None and (not isinstance(instance_id, int) or isinstance(instance_id, bool)):
        abort(400, description="instance_id must be an integer")
    view = get_engine().send_message(name, current_user.username, body.get("payload"), correlations, instance_id,
                                     bool(body.get("all")))
    return jsonify(to_jsonable(view))


@bp.post("/signals")
def signal():
    body = _body()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        abort(400, description="name (the signal name) is required")
    return jsonify(to_jsonable(get_engine().broadcast_signal(name, current_user.username, body.get("payload"))))


@bp.get("/instances")
def instances():
    """One page of requests, newest first: the user's own (everyone's for process owners and auditors), found
    by `q` (record number, customer, id); `limit` (at most 500, default 100), `before` the last id of the
    previous page; `X-Next-Before` carries it when there is a next page."""
    engine, me = get_engine(), current_user.username
    limit = _int_arg("limit", 100, 1, 500)
    before = _int_arg("before", None, 1, 2**62)
    mine = None if current_user.in_group(*SEE_ALL_GROUPS) else me
    return _newest_first(engine.instances(started_by=mine, limit=limit + 1, before=before,
                                          text=(request.args.get("q") or "")[:100] or None), limit)


@bp.get("/instances/<int:instance_id>")
def instance(instance_id: int):
    view = get_instance_or_404(instance_id)
    return jsonify(instance=to_jsonable(view), open_tasks=to_jsonable(get_engine().open_tasks(instance_id)))


@bp.get("/instances/<int:instance_id>/audit")
def instance_audit(instance_id: int):
    get_instance_or_404(instance_id)
    _chains, broken = get_engine().verify_audit(instance_id)
    return jsonify(events=to_jsonable(get_engine().audit_trail(instance_id)), verified=not broken,
                   broken=[str(b) for b in broken])


@bp.post("/instances/<int:instance_id>/cancel")
def cancel(instance_id: int):
    require_actor()
    get_instance_or_404(instance_id)
    reason = str(_body().get("reason") or "")
    return jsonify(to_jsonable(get_engine().cancel(instance_id, current_user.username, reason)))


@bp.post("/instances/<int:instance_id>/retry")
def retry(instance_id: int):
    """Run a stopped step again (process owners), optionally with corrected `data`."""
    require_actor()
    get_instance_or_404(instance_id)
    data = _body().get("data")
    if data is not None and not isinstance(data, dict):
        return jsonify(error="invalid", message="data must be an object"), 400
    return jsonify(to_jsonable(get_engine().retry(instance_id, current_user.username, data or None)))


@bp.post("/tasks/<int:task_id>/return")
def send_back(task_id: int):
    """退回 ({to: an earlier step's BPMN id, reason}); GET the task's `return_targets` to choose."""
    require_actor()
    get_task_or_404(task_id)
    body = _body()
    view = get_engine().return_to(task_id, current_user.username, str(body.get("to") or ""), str(body.get("reason") or ""))
    return jsonify(to_jsonable(view))


@bp.post("/tasks/<int:task_id>/signers")
def add_signers(task_id: int):
    """加签 ({kind: consult | countersign, to: [login | "group:<id>"], reason, data: my decision (countersign)})."""
    require_actor()
    body = _body()
    to, data = body.get("to"), body.get("data")
    if not isinstance(to, list) or not all(isinstance(t, str) for t in to):
        return jsonify(error="invalid", reason=None, message="to must be a list of logins or group:<id>"), 400
    if data is not None and not isinstance(data, dict):
        return jsonify(error="invalid", reason=None, message="data must be an object"), 400
    ids = get_engine().add_signers(task_id, current_user.username, str(body.get("kind") or ""), to,
                                   str(body.get("reason") or ""), data)
    return jsonify(side_tasks=ids), 201


@bp.get("/side-tasks/<int:side_id>")
def side_task(side_id: int):
    """A side task (加签, rework) with what it asks and, once answered, the answer."""
    view = get_engine().side_task(side_id)
    get_instance_or_404(view.instance_id)
    return jsonify(to_jsonable(view))


@bp.post("/side-tasks/<int:side_id>/answer")
def answer(side_id: int):
    """Answer a side task ({opinion}; countersign: {decision: approve | reject}; rework: {data: the form})."""
    require_actor()
    body = _body()
    data = body.get("data")
    if data is not None and not isinstance(data, dict):
        return jsonify(error="invalid", reason=None, message="data must be an object"), 400
    decision = body.get("decision")
    view = get_engine().answer(side_id, current_user.username, str(body.get("opinion") or ""),
                               str(decision) if decision is not None else None, data)
    return jsonify(to_jsonable(view))


@bp.get("/instances/<int:instance_id>/side-tasks")
def side_tasks(instance_id: int):
    """The request's side tasks, oldest first."""
    get_instance_or_404(instance_id)
    return jsonify(to_jsonable(get_engine().side_tasks(instance_id)))


@bp.post("/instances/<int:instance_id>/comments")
def comment(instance_id: int):
    """A comment ({text}); `@name` mentions a colleague, who is told and may read the request."""
    require_actor()
    get_instance_or_404(instance_id)
    posted = get_engine().comment(instance_id, current_user.username, str(_body().get("text") or ""))
    return jsonify(to_jsonable(posted)), 201


@bp.post("/instances/<int:instance_id>/withdraw")
def withdraw(instance_id: int):
    """撤回 ({reason}): the applicant, before anyone else acted (409 someone_acted after)."""
    require_actor()
    get_instance_or_404(instance_id)
    reason = str(_body().get("reason") or "")[:500]
    return jsonify(to_jsonable(get_engine().withdraw(instance_id, current_user.username, reason)))


@bp.post("/instances/<int:instance_id>/remind")
def remind(instance_id: int):
    """催办: the applicant reminds the holders of the open tasks (409 reminded_recently, holder = next time)."""
    require_actor()
    get_instance_or_404(instance_id)
    return jsonify(reminded=get_engine().remind(instance_id, current_user.username))


@bp.post("/instances/<int:instance_id>/copy")
def copy(instance_id: int):
    """抄送 ({to: [login | "group:<id>"], note}): they are told and may read the request."""
    require_actor()
    get_instance_or_404(instance_id)
    body = _body()
    to = body.get("to")
    if not isinstance(to, list) or not all(isinstance(t, str) for t in to):
        return jsonify(error="invalid", reason=None, message="to must be a list of logins or group:<id>"), 400
    note = str(body.get("note") or "")[:500]
    return jsonify(copied=get_engine().copy_to(instance_id, current_user.username, to, note))


@bp.get("/instances/<int:instance_id>/documents")
def documents(instance_id: int):
    """The documents the request's procedure produces: each `ready`, or `pending` (why not yet, per language)."""
    get_instance_or_404(instance_id)
    return jsonify(documents=to_jsonable(get_engine().documents(instance_id, current_user.username)))


@bp.get("/instances/<int:instance_id>/documents/<name>.pdf")
def document_pdf(instance_id: int, name: str):
    """One document as PDF (409 document_not_ready before it exists; 503 when no PDF can be made)."""
    get_instance_or_404(instance_id)
    engine = get_engine()
    sheet = engine.document(instance_id, name, current_user.username)
    html = render_sheet(instance_id, sheet, for_pdf=True)
    try:
        return pdf_response(html_to_pdf(html), f"{name}-{instance_id}.pdf")
    except PdfUnavailable as exc:
        response = jsonify(error="unavailable", reason=exc.reason, message=f"no PDF could be made: {exc}")
        response.status_code = 503
        return response


@bp.get("/lookups/<name>")
def lookup(name: str):
    """Entries of a register (e.g. `customer`) whose name or code holds `q`: value, label, summary, warning,
    details; `limit` 1 to 50 (default 10); `may_register` says whether POST may add one."""
    engine, me = get_engine(), current_user.username
    items = engine.lookup(name, me, request.args.get("q", ""), limit=_int_arg("limit", 10, 1, 50))
    return jsonify(items=to_jsonable(items), may_register=engine.may_register(name, me))


@bp.post("/lookups/<name>")
def register_lookup(name: str):
    """Register a new entry ({label}) in the register; an entry of that name already there is returned."""
    require_actor()
    label = _body().get("label")
    if not isinstance(label, str):
        return jsonify(error="invalid", reason="lookup_label", message="label (the new entry's name) is required"), 400
    return jsonify(item=to_jsonable(get_engine().register_lookup(name, current_user.username, label))), 201


def _uploaded(store):
    """Store the multipart parts named `file`: 201 with the attachments, or 422 naming the refused file (the
    files before it are kept and listed under `attached`)."""
    files = uploads.files_in("file")
    if not files:
        return jsonify(error="invalid", reason=None,
                       message="send the files as multipart/form-data parts named file"), 400
    largest = get_engine().attachment_limits.max_bytes
    kept = []
    for item in files:
        try:
            kept.append(store(item.filename, item.stream.read(largest + 1)))
        except FormInvalid as exc:
            return jsonify(error=exc.code, reason=exc.errors[0].code, message=exc.message,
                           fields={"file": exc.errors[0].message}, attached=to_jsonable(kept)), 422
    return jsonify(to_jsonable(kept)), 201


@bp.post("/processes/<process_id>/attachments")
def stage(process_id: str):
    """Upload files for a start form (multipart, parts named `file`); name their ids in the form's field."""
    require_actor()
    engine, me = get_engine(), current_user.username
    return _uploaded(lambda name, data: engine.stage_attachment(process_id, me, name, data))


@bp.post("/instances/<int:instance_id>/attachments")
def attach(instance_id: int):
    """Attach files (multipart, parts named `file`) to the request, or with `task_id` to an open task of it
    that the caller may complete (its form may then name them)."""
    require_actor()
    get_instance_or_404(instance_id)
    task_id = request.form.get("task_id") or None
    if task_id is not None and not task_id.isdigit():
        return jsonify(error="invalid", reason=None, message="task_id must be a task id"), 400
    engine, me = get_engine(), current_user.username
    return _uploaded(lambda name, data: engine.attach(instance_id, me, name, data,
                                                      task_id=int(task_id) if task_id else None))


@bp.get("/instances/<int:instance_id>/attachments")
def attachments(instance_id: int):
    """The request's files (name, media type, size, sha256, who, when, task, form field)."""
    get_instance_or_404(instance_id)
    return jsonify(to_jsonable(get_engine().attachments(instance_id, current_user.username)))


@bp.get("/attachments/<int:attachment_id>")
def download(attachment_id: int):
    """A file's bytes, as its own media type, for whoever may read its request."""
    return serve_file(attachment_id, inline=False)


@bp.post("/attachments/<int:attachment_id>/remove")
def remove_attachment(attachment_id: int):
    """The uploader takes a file off again, before it was submitted with a form."""
    require_actor()
    return jsonify(to_jsonable(get_engine().remove_attachment(attachment_id, current_user.username)))


@bp.get("/copied")
def copied():
    """Requests copied to me or one of my groups, newest first (`limit`, `before`)."""
    limit = _int_arg("limit", 100, 1, 500)
    before = _int_arg("before", None, 1, 2**62)
    return _newest_first(get_engine().copied_to_me(current_user.username, limit=limit + 1, before=before), limit)


@bp.get("/notices")
def notices():
    """My notifications, newest first (`limit`, `before`; X-Next-Before), with `unread` in a header."""
    engine, me = get_engine(), current_user.username
    limit = _int_arg("limit", 50, 1, 500)
    before = _int_arg("before", None, 1, 2**62)
    response = _newest_first(engine.notices(me, limit=limit + 1, before=before), limit)
    response.headers["X-Unread"] = str(engine.unread_notices(me))
    return response


@bp.post("/notices/read")
def notices_read():
    """Mark my notifications read: `ids`, or all of them."""
    ids = _body().get("ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, int) for i in ids)):
        return jsonify(error="invalid", reason=None, message="ids must be a list of notice ids"), 400
    return jsonify(marked=get_engine().mark_notices_read(current_user.username, ids))


@bp.get("/calendar/<int:year>")
def calendar_year(year: int):
    """工作日历: every day of the year (working or not, kind, name, who entered it), and whether the year's
    official calendar is known."""
    return jsonify(to_jsonable(get_engine().calendar_year(year)))


@bp.put("/calendar/days/<day>")
def calendar_day_set(day: str):
    """Enter a day ({working, name, official}): a company closure, a day worked, or an official day of a
    year the package does not know; process owners."""
    body = _body()
    working = body.get("working")
    if not isinstance(working, bool) or not isinstance(body.get("official", False), bool):
        return jsonify(error="invalid", reason=None, message="working (and official) must be true or false"), 400
    entry = get_engine().set_calendar_day(day, working, str(body.get("name") or ""), current_user.username,
                                          official=body.get("official", False))
    return jsonify(to_jsonable(entry))


@bp.delete("/calendar/days/<day>")
def calendar_day_remove(day: str):
    """Remove an entered day: it follows China's calendar again; process owners."""
    get_engine().remove_calendar_day(day, current_user.username)
    return "", 204


@bp.get("/me/notice-settings")
def notice_settings():
    """My channel preferences and my out-of-office deputy (null when none is set)."""
    engine, me = get_engine(), current_user.username
    return jsonify(preferences=to_jsonable(engine.notice_preferences(me)),
                   out_of_office=to_jsonable(engine.out_of_office(me)))


@bp.post("/me/notice-settings")
def set_notice_settings():
    """Mail on or off ({mail: bool}) and for which events ({events: [task, reminder, copy, mention, outcome]})."""
    body = _body()
    events = body.get("events", [])
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        return jsonify(error="invalid", reason="unknown_event", message="events must be a list of event names"), 400
    return jsonify(to_jsonable(get_engine().set_notice_preferences(current_user.username, body.get("mail"), events)))


def _date_field(body: dict[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(str(body.get(name) or ""))
    except ValueError:
        abort(400, description=f"{name} must be a date YYYY-MM-DD")


@bp.post("/me/out-of-office")
def set_out_of_office():
    """Out of office ({deputy, starts_on, ends_on}, dates inclusive): new tasks for me go to the deputy."""
    body = _body()
    absence = get_engine().set_out_of_office(current_user.username, str(body.get("deputy") or ""),
                                             _date_field(body, "starts_on"), _date_field(body, "ends_on"))
    return jsonify(to_jsonable(absence))


@bp.post("/me/out-of-office/clear")
def clear_out_of_office():
    """Back in the office (cleared: false when nothing was set)."""
    return jsonify(cleared=get_engine().clear_out_of_office(current_user.username))


@bp.get("/robots")
def robots():
    """Every group's chat robot, without secrets (process owners)."""
    return jsonify(to_jsonable(get_engine().group_robots(current_user.username)))


@bp.get("/robots/failed")
def robots_failed():
    """Robot posts the worker gave up on, newest first (process owners)."""
    return jsonify(to_jsonable(get_engine().failed_robot_posts(current_user.username)))


@bp.post("/groups/<group_id>/robot")
def set_robot(group_id: str):
    """Give a group a chat robot ({url, kind: wecom | dingtalk, secret: 钉钉 signing secret}) (process owners)."""
    body = _body()
    robot = get_engine().set_group_robot(group_id, current_user.username, str(body.get("url") or ""),
                                         str(body.get("kind") or ""), body.get("secret") and str(body["secret"]))
    return jsonify(to_jsonable(robot))


@bp.post("/groups/<group_id>/robot/remove")
def remove_robot(group_id: str):
    """Take a group's robot away (removed: false when it had none)."""
    return jsonify(removed=get_engine().remove_group_robot(group_id, current_user.username))


@bp.get("/reports")
def reports():
    """The reports I may read."""
    return jsonify([{"name": r.name, "titles": dict(r.titles)} for r in get_engine().reports(current_user.username)])


@bp.get("/reports/<name>")
def report(name: str):
    """A report's rows as JSON, or as CSV with `format=csv`; either is recorded in the audit as an export."""
    view = get_engine().report(name, current_user.username, export=True)
    if request.args.get("format") == "csv":
        return report_csv(view)
    return jsonify(name=view.report.name, titles=dict(view.report.titles), at=view.at.isoformat(),
                   columns=[{"key": c.key, "labels": dict(c.labels)} for c in view.report.columns],
                   rows=to_jsonable(list(view.rows)))


@bp.before_request
def _authenticated():
    if request.endpoint == "api.openapi":
        return None
    # Only JSON is taken: a page on another site can post a form (urlencoded, multipart or text/plain)
    # without asking, but not a JSON body, so no action here can be driven cross-site.
    # Uploads are multipart: still never driven cross-site, since the credentials travel only in the
    # Authorization header, which no form on another site can set (and no cookie is ever accepted here).
    multipart = request.endpoint in ("api.stage", "api.attach") and request.mimetype == "multipart/form-data"
    if request.method in ("POST", "PUT") and request.mimetype != "application/json" and not multipart:
        response = jsonify(error="unsupported_media_type", reason=None,
                           message="send the request body as application/json (an empty object will do)")
        response.status_code = 415
        return response
    if not current_user.is_authenticated:
        # No `WWW-Authenticate: Basic` challenge: a browser then never asks for, keeps or resends
        # credentials for this API on its own.
        message = ("the token is unknown, revoked or expired, or its user is inactive" if g.get("api_token_refused")
                   else "credentials required: Authorization: Bearer <personal access token>, or HTTP Basic")
        response = jsonify(error="unauthorized", message=message)
        response.status_code = 401
        if g.get("api_retry_after"):
            response.status_code = 429
            response.headers["Retry-After"] = str(g.api_retry_after)
        return response
    return None
