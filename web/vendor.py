"""Serves the diagram viewer from node_modules (installed by npm at setup, never committed): bpmn-js and its
minimap (diagram-js-minimap), dmn-js for the decision-table editor, and the reports'
charting library (chart.js)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, send_from_directory
from werkzeug.exceptions import NotFound

bp = Blueprint("vendor", __name__, url_prefix="/vendor")
NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
# Only what the pages load: the viewer bundle and its two style sheets; for the models editor also the
# modeler bundle and the palette's icon font.
ALLOWED = {"bpmn-navigated-viewer.production.min.js", "assets/diagram-js.css", "assets/bpmn-js.css",
           "bpmn-modeler.production.min.js", "assets/bpmn-font/css/bpmn.css",
           "assets/bpmn-font/font/bpmn.woff2", "assets/bpmn-font/font/bpmn.woff"}
# The decision-table editor of the models area: the modeler bundle, its style sheets and icon font.
DMN_ALLOWED = {"dmn-modeler.production.min.js", "assets/dmn-js-shared.css", "assets/dmn-js-decision-table.css",
               "assets/dmn-js-decision-table-controls.css", "assets/dmn-js-drd.css", "assets/diagram-js.css",
               "assets/dmn-js-literal-expression.css", "assets/dmn-font/css/dmn.css",
               "assets/dmn-font/font/dmn.woff2", "assets/dmn-font/font/dmn.woff", "assets/dmn-font/font/dmn.ttf"}
# The minimap of the request page's diagram: its browser bundle and style sheet.
MINIMAP_ALLOWED = {"dist/diagram-minimap.umd.prod.js", "assets/diagram-js-minimap.css"}


def _send(folder: Path, filename: str, allowed: set[str]):
    if filename not in allowed or not (folder / filename).is_file():
        raise NotFound()
    return send_from_directory(folder, filename, max_age=86400)


@bp.get("/bpmn-js/<path:filename>")
def bpmn_js(filename: str):
    return _send(Path(current_app.config["BPMN_JS_DIST"]), filename, ALLOWED)


@bp.get("/dmn-js/<path:filename>")
def dmn_js(filename: str):
    folder = Path(current_app.config.get("DMN_JS_DIST") or NODE_MODULES / "dmn-js" / "dist")
    return _send(folder, filename, DMN_ALLOWED)


@bp.get("/diagram-js-minimap/<path:filename>")
def minimap(filename: str):
    folder = Path(current_app.config.get("MINIMAP_PACKAGE") or NODE_MODULES / "diagram-js-minimap")
    return _send(folder, filename, MINIMAP_ALLOWED)


# The reports' charts: Chart.js's browser bundle.
CHART_JS_ALLOWED = {"dist/chart.umd.min.js"}


@bp.get("/chart.js/<path:filename>")
def chart_js(filename: str):
    folder = Path(current_app.config.get("CHART_JS_PACKAGE") or NODE_MODULES / "chart.js")
    return _send(folder, filename, CHART_JS_ALLOWED)
