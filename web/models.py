"""Process owners' models area: every definition with its versions, downloads and uploads.

Auditors may look (list, versions, download); only process owners change anything. The editor, the
check-and-deploy page and migration live in web/models_edit.py, models_deploy.py and models_migrate.py,
which add their views to this one blueprint.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from engine import NotFound
from engine.errors import SpecProblem
from engine.specs import SourceFile, identify
from engine.versioning import DraftView, VersionStats
from engine.views import DefinitionView

from .engine_access import get_engine
from .errors import error_page
from .guards import refuse

bp = Blueprint("models", __name__, url_prefix="/models")
MAX_BYTES = 2 * 1024 * 1024
SUFFIXES = (".bpmn", ".dmn")
_SAFE_NAME = re.compile(r"[\w.-]{1,200}")


def max_bytes() -> int:
    return int(current_app.config.get("MODELS_MAX_BYTES", MAX_BYTES))


def size_limit_text() -> str:
    limit = max_bytes()
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


@bp.url_value_preprocessor
def _limit_body(endpoint, values) -> None:
    # Runs before every before_request hook (CSRF reads the body there): cap what any models view reads.
    # JSON escaping and multipart framing add a little to the file's own size.
    request.max_content_length = max_bytes() * 5 // 4 + 64 * 1024


@bp.before_request
def _viewers_only() -> None:
    if not current_user.in_group("process_owner", "auditor"):
        raise refuse(_("Only process owners and auditors may open the models area."))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    g.submitted = []  # the body is not read again to echo it: it is what was too large
    return error_page(413, _("The file is larger than %(size)s.", size=size_limit_text()))


def require_owner() -> None:
    """Changing a procedure is for process owners (the engine checks again)."""
    if not current_user.in_group("process_owner"):
        raise refuse(_("Only process owners may change procedures."))


def is_owner() -> bool:
    return current_user.in_group("process_owner")


@dataclass
class ProcessModels:
    """One process (or decision file) with its versions, newest first, and its drafts."""

    process_id: str
    versions: list[VersionStats] = field(default_factory=list)
    drafts: list[DraftView] = field(default_factory=list)

    @property
    def newest(self) -> DefinitionView | None:
        return self.versions[0].definition if self.versions else None

    @property
    def name(self) -> str:
        return self.newest.name if self.newest else self.process_id

    @property
    def kind(self) -> str:
        if self.newest:
            return self.newest.kind
        return "dmn" if self.drafts and self.drafts[0].filename.endswith(".dmn") else "bpmn"

    @property
    def running_on_older(self) -> int:
        newest = self.newest.version if self.newest else 0
        return sum(v.running for v in self.versions if v.definition.version != newest)


def collect(process_id: str | None = None) -> list[ProcessModels]:
    """Versions (with instance counts) and, for owners, drafts, grouped by process id."""
    engine = get_engine()
    out: dict[str, ProcessModels] = {}
    for stats in engine.version_stats(process_id):
        out.setdefault(stats.definition.process_id, ProcessModels(stats.definition.process_id)).versions.append(stats)
    if is_owner():
        for draft in engine.drafts(process_id):
            out.setdefault(draft.process_id, ProcessModels(draft.process_id)).drafts.append(draft)
    for models in out.values():
        models.versions.sort(key=lambda s: s.definition.version, reverse=True)
    return sorted(out.values(), key=lambda m: m.process_id)


def get_draft(draft_id: int) -> DraftView:
    """The draft (404 when it was deployed, discarded or never existed); owners only."""
    require_owner()
    return get_engine().draft(draft_id)


def get_definition(definition_id: int) -> DefinitionView:
    return get_engine().definition(definition_id)


def newest_definition(process_id: str) -> DefinitionView:
    definitions = get_engine().definitions(process_id)
    if not definitions:
        raise NotFound(f"no deployed process {process_id!r}")
    return definitions[-1]


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
        return models_deploy.render_check(None, filename, problems=problems, status=422)
    stem = Path(filename).stem
    filename = f"{stem if _SAFE_NAME.fullmatch(stem) else process_id}{suffix}"
    draft = get_engine().save_draft(process_id, filename, text, current_user.username)
    return redirect(url_for("models.check", draft_id=draft.id))


from . import models_deploy, models_edit, models_migrate  # noqa: E402,F401  (their views join this blueprint)
