"""The diagram editor (bpmn-js Modeler), the decision-table editor (dmn-js) and their drafts: open a version
or a draft, save, rename, delete."""
from __future__ import annotations

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import Conflict, DraftView, EngineError, SpecInvalid

from ..engine_access import get_engine
from ..errors import http_status
from .area import bp, get_draft, max_bytes, newest_definition, require_owner, size_limit_text
from .present import problem_lines
from ..present import person, when


def _editor(process_id: str, xml_url: str, title: str, draft: DraftView | None = None,
            base_version: int | None = None, decisions: bool = False):
    return render_template("models/edit_dmn.html" if decisions else "models/edit.html", process_id=process_id,
                           xml_url=xml_url, title=title,
                           draft_id=draft.id if draft else None, base_version=base_version,
                           revision=draft.revision if draft else None, draft_name=draft.name if draft else "",
                           save_url=url_for("models.save_draft", process_id=process_id))


@bp.get("/<process_id>/edit")
def edit(process_id: str):
    """A new draft from the newest version."""
    require_owner()
    definition = newest_definition(process_id)
    return _editor(process_id, url_for("models.download", definition_id=definition.id),
                   _("Version %(version)d", version=definition.version), base_version=definition.version,
                   decisions=definition.kind == "dmn")


@bp.get("/drafts/<int:draft_id>/edit")
def edit_draft(draft_id: int):
    draft = get_draft(draft_id)
    return _editor(draft.process_id, url_for("models.draft_xml", draft_id=draft.id),
                   draft.name or _("Draft of %(when)s", when=when(draft.saved_at, "short")), draft=draft,
                   base_version=draft.base_version, decisions=draft.filename.endswith(".dmn"))


@bp.get("/drafts/<int:draft_id>/xml")
def draft_xml(draft_id: int):
    draft = get_draft(draft_id)
    # Uploaded text: never rendered as a page of this site when opened directly (fetch ignores this).
    return Response(get_engine().draft_xml(draft.id), mimetype="application/xml",
                    headers={"Content-Disposition": "attachment"})


def _json_error(status: int, message: str, problems=()):
    lines = [{"element": p.problem.element, "kind": p.kind, "reason": p.problem.reason, "line": p.problem.line}
             for p in problem_lines(list(problems))]
    return jsonify({"ok": False, "message": message, "problems": lines}), status


@bp.post("/<process_id>/drafts")
def save_draft(process_id: str):
    """Save the editor's XML (JSON body: xml, draft_id, base_version); answers JSON for modeler.js."""
    require_owner()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str) or not body["xml"].strip():
        return _json_error(400, _("Nothing to save: the diagram is empty."))
    xml = body["xml"]
    if len(xml.encode("utf-8")) > max_bytes():
        return _json_error(413, _("The file is larger than %(size)s.", size=size_limit_text()))
    draft_id, base_version, revision = body.get("draft_id"), body.get("base_version"), body.get("revision")
    draft_id = draft_id if isinstance(draft_id, int) else None
    base_version = base_version if isinstance(base_version, int) else None
    revision = revision if isinstance(revision, int) and not isinstance(revision, bool) else None
    name = body.get("name") if isinstance(body.get("name"), str) else None
    engine = get_engine()
    if draft_id is not None:
        filename = get_draft(draft_id).filename  # 404 for a draft deployed or discarded meanwhile
    else:
        definitions = engine.definitions(process_id)
        filename = definitions[-1].filename if definitions else f"{process_id}.bpmn"
    try:
        draft = engine.save_draft(process_id, filename, xml, current_user.username, base_version, draft_id,
                                  name=name, revision=revision)
    except SpecInvalid as exc:
        return _json_error(422, _("The draft was not saved: it is not well-formed XML."), exc.problems)
    except Conflict as exc:
        changed = get_draft(draft_id)
        return _json_error(409, _("Not saved: %(name)s saved this draft at %(when)s, after you opened it. Copy "
                                  "your change (XML tab), open the draft again and make it there.",
                                  name=person(changed.saved_by), when=when(changed.saved_at, "short")))
    except EngineError as exc:
        return _json_error(http_status(exc), _("The draft was not saved."))
    return jsonify({"ok": True, "draft_id": draft.id, "revision": draft.revision, "name": draft.name,
                    "saved_at": when(draft.saved_at, "short"),
                    "message": _("Draft saved at %(when)s.", when=when(draft.saved_at, "short")),
                    "check_url": url_for("models.check", draft_id=draft.id),
                    "edit_url": url_for("models.edit_draft", draft_id=draft.id)})


@bp.post("/drafts/<int:draft_id>/discard")
def discard(draft_id: int):
    draft = get_draft(draft_id)
    get_engine().discard_draft(draft.id, current_user.username)
    flash(_("The draft was deleted."), "info")
    return redirect(url_for("models.process", process_id=draft.process_id))


@bp.post("/drafts/<int:draft_id>/rename")
def rename(draft_id: int):
    draft = get_draft(draft_id)
    get_engine().rename_draft(draft.id, current_user.username, request.form.get("name", ""))
    flash(_("The draft is now called “%(name)s”.", name=request.form.get("name", "").strip() or _("Untitled draft")),
          "success")
    return redirect(url_for("models.process", process_id=draft.process_id, _anchor=f"draft-{draft.id}"))
