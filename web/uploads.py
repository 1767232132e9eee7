"""Files arriving with a form or an upload: each handed to the engine as it comes (staged for a start form,
attached to a task or a request), so a form refused for another field keeps its files; and the body limit
of the pages and API endpoints that take files, so a body too large is a 413 that says the limits."""
from __future__ import annotations

from typing import Callable

from flask import Flask, current_app, request
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from engine import AttachmentView, FormInvalid

from .engine_access import get_engine
from .messages import message

FILES_PER_SUBMISSION = 5  # files at the largest size one request body may carry
UPLOAD_ENDPOINTS = ("processes.start", "tasks.complete", "files.attach", "api.attach", "api.stage")


def body_limit() -> int:
    """The largest body an upload endpoint reads: a few files at the largest size, plus the form."""
    return get_engine().attachment_limits.max_bytes * FILES_PER_SUBMISSION + 1024 * 1024


def too_large_text() -> str:
    """Why a body was refused unread: the upload limits where files are taken, else the general limit."""
    if request.endpoint not in UPLOAD_ENDPOINTS:
        largest = "%g MB" % (current_app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024))
        return _("A request may carry at most %(size)s.", size=largest)
    total = "%d MB" % (body_limit() // (1024 * 1024))
    return _("Each file may be at most %(size)s, and one submission at most %(total)s.",
             size=get_engine().attachment_limits.size_text, total=total)


def files_in(name: str) -> list[FileStorage]:
    """The files posted under `name` (a file input left empty posts one without a name)."""
    return [f for f in request.files.getlist(name) if f and f.filename]


def receive(names: list[str], store: Callable[[str, bytes], AttachmentView]) -> tuple[dict[str, list[int]],
                                                                                      dict[str, str]]:
    """Store every posted file of the named fields: (field -> new attachment ids, field -> why one was refused)."""
    largest = get_engine().attachment_limits.max_bytes
    uploaded: dict[str, list[int]] = {}
    refused: dict[str, str] = {}
    for name in names:
        for item in files_in(name):
            try:
                kept = store(item.filename, item.stream.read(largest + 1))  # one byte more says "too large"
            except FormInvalid as exc:
                error = exc.errors[0]
                refused[name] = f"{item.filename}: {message(error.code, error.message, error.limit)}"
                continue
            uploaded.setdefault(name, []).append(kept.id)
    return uploaded, refused


def init_app(app: Flask) -> None:
    @app.url_value_preprocessor
    def _limit_body(endpoint, values) -> None:
        # before any before_request hook reads the body (CSRF does)
        if endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = body_limit()

    app.jinja_env.globals["attachment_accept"] = lambda: ",".join(
        "." + k for k in get_engine().attachment_limits.kinds)
    app.jinja_env.globals["attachment_help"] = lambda: _(
        "Photos, PDF or Office documents (%(kinds)s), at most %(size)s each.",
        kinds=", ".join(get_engine().attachment_limits.kinds), size=get_engine().attachment_limits.size_text)
