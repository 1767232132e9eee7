"""Serves the bpmn-js viewer from node_modules (installed by npm at setup, never committed)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, send_from_directory
from werkzeug.exceptions import NotFound

bp = Blueprint("vendor", __name__, url_prefix="/vendor")
# Only what the pages load: the viewer bundle and its two style sheets; for the models editor also the
# modeler bundle and the palette's icon font.
ALLOWED = {"bpmn-navigated-viewer.production.min.js", "assets/diagram-js.css", "assets/bpmn-js.css",
           "bpmn-modeler.production.min.js", "assets/bpmn-font/css/bpmn.css",
           "assets/bpmn-font/font/bpmn.woff2", "assets/bpmn-font/font/bpmn.woff"}


@bp.get("/bpmn-js/<path:filename>")
def bpmn_js(filename: str):
    if filename not in ALLOWED:
        raise NotFound()
    dist = Path(current_app.config["BPMN_JS_DIST"])
    if not (dist / filename).is_file():
        raise NotFound()
    return send_from_directory(dist, filename, max_age=86400)
