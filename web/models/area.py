"""The models area's blueprint and what its views share: who may enter, size limits, the listing.

Auditors may look (list, versions, downloads); only process owners change anything. The views live in
versions.py, edit.py, deploy.py and migrate.py of this package, all on this one blueprint.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from engine import DefinitionView, DraftView, NotFound, VersionStats

from ..engine_access import get_engine
from ..errors import error_page
from ..guards import refuse

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
