"""Check a draft before it is deployed: its problems on the diagram, or the change in plain words; deploy."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import SpecInvalid
from engine import SpecProblem
from engine import SourceFile
from engine import DraftView, FilePreview

from ..engine_access import get_engine
from .area import bp, get_draft, require_owner
from .present import affected_waiting, decision_lines, grouped_changes, problem_lines


def _source(draft: DraftView) -> SourceFile:
    return SourceFile(draft.filename, get_engine().draft_xml(draft.id).encode("utf-8"))


def _newest_version(process_id: str) -> int | None:
    definitions = get_engine().definitions(process_id)
    return definitions[-1].version if definitions else None


def render_check(draft: DraftView | None, filename: str, problems: list[SpecProblem] | None = None,
                 preview: FilePreview | None = None, status: int = 200):
    """The check page: problems (no deploy button) or the preview of what deploying would do."""
    problems = problems or []
    context = {"draft": draft, "filename": filename, "problems": problem_lines(problems),
               "problem_ids": sorted({p.element for p in problems if p.element}), "preview": preview,
               "groups": [], "changed_ids": [], "decision_lines": [], "waiting": 0, "newest": None, "is_dmn": filename.endswith(".dmn")}
    if draft is not None:
        context["newest"] = _newest_version(draft.process_id)
    if preview is not None:
        context.update(groups=grouped_changes(preview), waiting=affected_waiting(preview),
                       changed_ids=sorted({c.element_id for c in preview.changes}),
                       decision_lines=decision_lines(preview))
    context["deployable"] = draft is not None and not problems and not (preview and preview.unchanged)
    return render_template("models/check.html", **context), status


def _check(draft: DraftView, status_when_invalid: int):
    try:
        previews = get_engine().preview_deploy([_source(draft)], current_user.username)
    except SpecInvalid as exc:
        return render_check(draft, draft.filename, problems=exc.problems, status=status_when_invalid)
    # One preview per file: a BPMN file's process, or a DMN file's decisions.
    return render_check(draft, draft.filename, preview=previews[0] if previews else None)


@bp.get("/drafts/<int:draft_id>/check")
def check(draft_id: int):
    return _check(get_draft(draft_id), 200)


@bp.post("/drafts/<int:draft_id>/deploy")
def deploy(draft_id: int):
    require_owner()
    draft = get_draft(draft_id)
    engine = get_engine()
    try:
        deployed = engine.deploy_draft(draft_id, current_user.username)  # the draft goes in the same step
    except SpecInvalid as exc:
        return render_check(draft, draft.filename, problems=exc.problems, status=422)
    if not deployed:
        flash(_("Nothing was deployed: the draft is identical to the newest version."), "info")
        return redirect(url_for("models.check", draft_id=draft_id))
    definition = deployed[0]
    flash(_("Version %(version)d of %(name)s is deployed. New requests use it; running requests stay on "
            "their version until moved.", version=definition.version, name=definition.name), "success")
    return redirect(url_for("models.process", process_id=definition.process_id, version=definition.version))
