"""The pickers' side of the registers (pick, don't type): matches for what was typed, and a new entry
registered from the picker, as JSON for app.js under the signed-in session (the API has its own)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from engine import to_jsonable

from .engine_access import get_engine

bp = Blueprint("lookups", __name__, url_prefix="/lookups")
SHOWN = 8


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
