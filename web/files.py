"""Attachments on the request page: upload to a request, remove one's own, download, and preview images and
PDFs in the browser. A file is only ever served as its own kind (never as HTML), with `nosniff` and a
sandboxing content security policy; downloads are offered to exactly those who may read the request."""
from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import NotFound

from . import uploads
from .engine_access import get_engine
from .guards import get_instance_or_404, require_actor

bp = Blueprint("files", __name__)

# Nothing loads, no script runs, and the document gets an origin of its own: whatever the file holds cannot
# act on the application (Chromium still draws images and PDFs, in its own viewer, under this policy).
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def serve_file(attachment_id: int, inline: bool):
    """The file as a response, for whoever may read it (the pages and the API)."""
    view, data = get_engine().attachment_file(attachment_id, current_user.username)
    if inline and not view.preview:
        raise NotFound(f"attachment {attachment_id} has no preview")
    response = send_file(io.BytesIO(data), mimetype=view.media_type, as_attachment=not inline,
                         download_name=view.filename, etag=view.sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    # No Cross-Origin-Resource-Policy: the sandboxed document has an origin of its own, and Chromium's PDF
    # viewer would not be allowed to load the file; other sites get nothing anyway (the session cookie is
    # SameSite=Lax, so their pages' requests arrive signed out).
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/files/<int:attachment_id>")
def download(attachment_id: int):
    return serve_file(attachment_id, inline=False)


@bp.get("/files/<int:attachment_id>/preview")
def preview(attachment_id: int):
    return serve_file(attachment_id, inline=True)


@bp.post("/requests/<int:instance_id>/files")
def attach(instance_id: int):
    """Add files to the request itself (附件), for everyone who may read it to see."""
    require_actor()
    get_instance_or_404(instance_id)
    engine, me = get_engine(), current_user.username
    if not uploads.files_in("file"):
        flash(_("Choose a file to upload first."), "error")
        return redirect(url_for("instances.show", instance_id=instance_id, _anchor="files-h"))
    uploaded, refused = uploads.receive(["file"], lambda name, data: engine.attach(instance_id, me, name, data))
    count = len(uploaded.get("file", []))
    if count:
        flash(_("%(num)d file(s) attached.", num=count), "success")
    if refused:
        flash(refused["file"], "error")
    return redirect(url_for("instances.show", instance_id=instance_id, _anchor="files-h"))


@bp.post("/files/<int:attachment_id>/remove")
def remove(attachment_id: int):
    require_actor()
    removed = get_engine().remove_attachment(attachment_id, current_user.username)
    flash(_("Removed %(name)s.", name=removed.filename), "info")
    if removed.instance_id is None:  # staged for a start form that was never sent
        return redirect(url_for("processes.index"))
    return redirect(url_for("instances.show", instance_id=removed.instance_id, _anchor="files-h"))
