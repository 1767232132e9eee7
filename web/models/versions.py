"""The models area's version views: the list, one process, downloads (file and bundle), uploads."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from engine import NotFound, SourceFile, SpecProblem, identify

from ..engine_access import get_engine
from .area import (SUFFIXES, _SAFE_NAME, bp, collect, get_definition, is_owner, max_bytes, require_owner,
                   size_limit_text)
from .deploy import render_check


@bp.get("/")
def index():
    return render_template("models/index.html", processes=collect(), owner=is_owner(), limit=size_limit_text())


@bp.get("/<process_id>")
def process(process_id: str):
    found = collect(process_id)
    if not found:
        raise NotFound(f"no process {process_id!r}")
    return render_template("models/process.html", models=found[0], owner=is_owner(),
                           highlight=request.args.get("version", type=int),
                           starts=get_engine().start_plan(process_id))


@bp.get("/versions/<int:definition_id>/download")
def download(definition_id: int):
    definition = get_definition(definition_id)
    xml = get_engine().definition_xml(definition_id)
    suffix = Path(definition.filename).suffix or f".{definition.kind}"
    return send_file(io.BytesIO(xml.encode("utf-8")), mimetype="application/xml", as_attachment=True,
                     download_name=f"{definition.process_id}.v{definition.version}{suffix}")


@bp.get("/versions/<int:definition_id>/bundle.zip")
def bundle(definition_id: int):
    """The version with everything it ran with (BPMN, its forms, the decision tables), for the archive."""
    definition = get_definition(definition_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, text in get_engine().definition_bundle(definition_id):
            archive.writestr(filename, text)
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=f"{definition.process_id}.v{definition.version}.zip")


def uploaded_id(data: bytes, filename: str) -> tuple[str | None, list[SpecProblem]]:
    """The process (or decision) id a file declares, or why it cannot even be read safely."""
    found, problems = identify(SourceFile(filename, data))
    if problems:
        return None, problems
    return found or Path(filename).stem, []


@bp.post("/upload")
def upload():
    require_owner()
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a .bpmn or .dmn file to upload."), "error")
        return redirect(url_for("models.index"))
    filename = Path(file.filename.replace("\\", "/")).name
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        flash(_("Only .bpmn and .dmn files can be uploaded."), "error")
        return redirect(url_for("models.index"))
    data = file.stream.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise RequestEntityTooLarge()
    if not data.strip():
        flash(_("The file is empty."), "error")
        return redirect(url_for("models.index"))
    process_id, problems = uploaded_id(data, filename)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems = problems or [SpecProblem(filename, None, _("The file is not UTF-8 text."))]
    if problems:
        # Not even safe, well-formed XML: nothing is kept; the check page says why.
        return render_check(None, filename, problems=problems, status=422)
    stem = Path(filename).stem
    filename = f"{stem if _SAFE_NAME.fullmatch(stem) else process_id}{suffix}"
    draft = get_engine().save_draft(process_id, filename, text, current_user.username)
    return redirect(url_for("models.check", draft_id=draft.id))

