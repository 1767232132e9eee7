"""Start a request: the processes this user may start, each with its start form."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import FieldError, FormInvalid, NotFound

from . import messages, taskforms, uploads
from .engine_access import get_engine
from .errors import http_status
from .guards import next_task_for_me, refuse, require_actor
from .present import where_now

bp = Blueprint("processes", __name__, url_prefix="/start")


@bp.get("/")
def index():
    processes = [] if current_user.is_auditor else get_engine().startable_processes(current_user.username)
    return render_template("processes/index.html", processes=processes)


def _startable(process_id: str):
    """The newest definition of a process this user may start (403 otherwise, 404 when unknown)."""
    require_actor()
    engine = get_engine()
    definitions = [d for d in engine.definitions(process_id) if d.kind == "bpmn"]
    if not definitions:
        raise NotFound(f"no deployed process {process_id!r}")
    if not engine.may_start(process_id, current_user.username):
        raise refuse(_("You may not start this procedure."))
    return definitions[-1]


@bp.get("/<process_id>")
def form(process_id: str):
    definition = _startable(process_id)
    engine = get_engine()
    state = taskforms.state(engine.start_form(process_id), now=engine.now(), me=current_user.name)
    return render_template("processes/start.html", definition=definition, form=state,
                           people=engine.people(), groups=engine.group_names())


@bp.post("/<process_id>")
def start(process_id: str):
    definition = _startable(process_id)
    engine = get_engine()
    start_form = engine.start_form(process_id)
    me = current_user.username
    parsed, state = taskforms.parse(start_form, request.form)
    # files are staged as they arrive, so a form refused for another field keeps them
    uploaded, refused = uploads.receive([f.name for f in state.file_fields],
                                        lambda name, data: engine.stage_attachment(process_id, me, name, data))
    state.add_uploads(uploaded, parsed.data)
    g.submitted = taskforms.typed_pairs(state)
    try:
        taskforms.refuse_parse_errors(start_form, parsed)
        if refused:
            raise FormInvalid([FieldError(name, "upload", text) for name, text in refused.items()])
        copies = [f"group:{g}" for g in request.form.getlist("to_group")] + request.form.getlist("to_user")
        instance = engine.start(process_id, me, parsed.data, copy_to=copies)
    except FormInvalid as exc:
        state.errors = {**messages.from_invalid(exc), **state.errors}
        state.files = {a.id: a for a in engine.staged_attachments(me, state.file_ids())}
        return render_template("processes/start.html", definition=definition, form=state, people=engine.people(),
                               groups=engine.group_names()), http_status(exc)
    flash(_("Your request %(title)s was submitted.", title=instance.title) + " "
          + where_now(instance, engine.open_tasks(instance.id)), "success")
    return redirect(next_task_for_me(instance.id) or url_for("instances.show", instance_id=instance.id))
