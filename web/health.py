"""`/healthz`: whether this web process can reach its database, for load balancers and supervisors."""
from __future__ import annotations

from flask import Blueprint, jsonify

from .engine_access import get_engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    ok = get_engine().database_ok()
    response = jsonify(ok=ok, database="ok" if ok else "unreachable")
    if not ok:
        response.status_code = 503
        response.headers["Retry-After"] = "2"
    return response
