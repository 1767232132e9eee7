"""Move a process's running requests to its newest version: a dry run first, then a confirmed move."""
from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import MigrationCheck
from engine import InstanceView

from ..engine_access import get_engine
from .area import bp, newest_definition, require_owner
from .present import migration_reason


@dataclass(frozen=True)
class MigrationLine:
    check: MigrationCheck
    instance: InstanceView | None
    reason: str


def _lines(process_id: str, checks: list[MigrationCheck]) -> list[MigrationLine]:
    instances = {i.id: i for i in get_engine().instances(process_id=process_id, limit=10000)}
    return [MigrationLine(c, instances.get(c.instance_id), migration_reason(c)) for c in checks]


def _page(process_id: str, moved: list[MigrationLine] | None = None, refused: list[MigrationLine] | None = None):
    newest = newest_definition(process_id)
    pending = _lines(process_id, get_engine().migrate(process_id, current_user.username, dry_run=True))
    return render_template("models/migrate.html", definition=newest, pending=pending, moved=moved or [],
                           refused=refused or [], movable=[line for line in pending if line.check.can_move])


@bp.get("/<process_id>/migrate")
def migrate(process_id: str):
    require_owner()
    return _page(process_id)


@bp.post("/<process_id>/migrate")
def migrate_confirm(process_id: str):
    require_owner()
    newest_definition(process_id)  # 404 before anything else
    chosen = sorted({int(v) for v in request.form.getlist("instance") if v.isdigit()})
    if not chosen:
        flash(_("Choose at least one request to move."), "error")
        return redirect(url_for("models.migrate", process_id=process_id))
    results = get_engine().migrate(process_id, current_user.username, dry_run=False, instance_ids=chosen)
    lines = _lines(process_id, results)
    moved = [line for line in lines if line.check.moved]
    refused = [line for line in lines if not line.check.moved]
    if moved:
        flash(_("%(count)d request(s) moved to version %(version)d.", count=len(moved),
                version=moved[0].check.to_version), "success")
    return _page(process_id, moved, refused)
