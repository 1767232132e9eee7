"""API tokens: the signed-in user makes, lists and revokes their own personal access tokens for /api/.

A new token's secret is shown in the answer to the form that made it, and never again: it is not put in
the session (a signed cookie, readable by whoever holds it) and the engine keeps only its hash.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import NewToken

from .engine_access import get_engine

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")

# What the form offers: days until the token expires ("" keeps it until it is revoked).
LIFETIMES = ("30", "90", "365", "")
DEFAULT_LIFETIME = "90"
STATUSES = {"active": _l("active"), "expired": _l("expired"), "revoked": _l("revoked")}


def _lifetime_label(value: str) -> str:
    return _("%(days)d days", days=int(value)) if value else _("No expiry")


def _page(status: int = 200, created: NewToken | None = None, name: str = "", lifetime: str = DEFAULT_LIFETIME,
          errors: dict[str, str] | None = None):
    tokens = get_engine().list_tokens(current_user.username)
    lifetimes = [(value, _lifetime_label(value)) for value in LIFETIMES]
    return render_template("tokens/index.html", tokens=tokens, created=created, name=name, lifetime=lifetime,
                           lifetimes=lifetimes, errors=errors or {}, statuses=STATUSES), status


@bp.get("/")
def index():
    return _page()


@bp.post("/")
def create():
    name = request.form.get("name", "").strip()
    lifetime = request.form.get("lifetime", DEFAULT_LIFETIME)
    errors = {}
    if not name:
        errors["name"] = _("Give the token a name, e.g. the script that will use it.")
    if lifetime not in LIFETIMES:
        errors["lifetime"] = _("Choose one of the offered lifetimes.")
    if errors:
        return _page(422, name=name, lifetime=lifetime, errors=errors)
    made = get_engine().create_token(current_user.username, name, int(lifetime) if lifetime else None)
    return _page(created=made)


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    token = get_engine().revoke_token(token_id, current_user.username)
    flash(_("The token %(name)s is revoked: requests that send it are refused from now on.", name=token.name),
          "success")
    return redirect(url_for("tokens.index"))
