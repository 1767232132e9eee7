"""The pickers' side of the registers (pick, don't type): matches for what was typed, and a new entry
registered from the picker, as JSON for app.js under the signed-in session (the API has its own)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from engine import EngineError, LookupItem, to_jsonable

from .engine_access import get_engine

bp = Blueprint("lookups", __name__, url_prefix="/lookups")
SHOWN = 8


@bp.app_template_global()
def lookup_entry(name: str, value: object) -> LookupItem | None:
    """The register's entry a field already holds (its exact name), shown under it without any script: after
    a refused submission, or on a form that starts filled in."""
    if not value or not current_user.is_authenticated:
        return None
    try:
        found = get_engine().lookup(name, current_user.username, str(value), limit=SHOWN)
    except EngineError:  # too long to be a name in the register, say: then it is none of them
        return None
    return next((item for item in found if item.value == value), None)


@bp.get("/<name>")
def search(name: str):
    """Up to eight matches for `q`, and whether the user may register a new entry."""
    engine, me = get_engine(), current_user.username
    items = engine.lookup(name, me, request.args.get("q", ""), limit=SHOWN)
    return jsonify(items=to_jsonable(items), may_register=engine.may_register(name, me))


@bp.post("/<name>")
def register(name: str):
    """A new entry (`label`), from a form post with the page's CSRF token."""
    item = get_engine().register_lookup(name, current_user.username, request.form.get("label"))
    return jsonify(item=to_jsonable(item)), 201
