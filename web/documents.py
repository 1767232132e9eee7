"""The documents a request produces, as its procedure lays them out (《参观许可证》, 合同评审表, ...): a page
to print and a PDF made on the server, each with the record number, the decisions with names and times, a
QR code that opens the request, and the head of its audit chain. The web finds them through the engine's
extensions; the layouts belong to the procedures."""
from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from engine import DocumentSheet

from . import history
from .engine_access import get_engine
from .guards import get_instance_or_404
from .i18n import localized
from .pdf import PdfUnavailable, html_to_pdf
from .qr import qr_svg
from .records import record_of

bp = Blueprint("documents", __name__, url_prefix="/requests")


def paper(instance_id: int, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What every printed page of a request carries: record numbers, decisions with names and times, the
    audit chain's head, the time of printing and a QR code that opens the request (`data`: the request's
    data, when the caller has read it already)."""
    engine = get_engine()
    instance = get_instance_or_404(instance_id)
    tasks = engine.instance_tasks(instance_id)
    seq, head = engine.audit_head(instance_id)
    address = url_for("instances.show", instance_id=instance_id, _external=True)
    return {"instance": instance, "record": record_of(engine.data(instance_id) if data is None else data),
            "decisions": history.decisions(history.timeline(engine, instance, tasks, full=False)),
            "open_tasks": [t for t in tasks if t.status == "open"], "audit_seq": seq, "audit_head": head,
            "printed_at": engine.now(), "address": address, "qr": qr_svg(address, _("Open this request"))}


def render_sheet(instance_id: int, sheet: DocumentSheet, for_pdf: bool) -> str:
    body = current_app.jinja_env.from_string(sheet.template.read_text(encoding="utf-8")).render(data=sheet.data)
    return render_template("documents/sheet.html", sheet=sheet, title=localized(sheet.view.titles),
                           body=Markup(body), for_pdf=for_pdf, **paper(instance_id, sheet.data))


def _sheet(instance_id: int, name: str) -> DocumentSheet | tuple[str, int]:
    """The document to print, or the page that says why it does not exist yet."""
    get_instance_or_404(instance_id)
    engine, me = get_engine(), current_user.username
    view = next((d for d in engine.documents(instance_id, me) if d.name == name), None)
    if view is not None and not view.ready:
        return render_template("errors/error.html", code=409, title=_("Not available yet"),
                               message=_("%(document)s: %(why)s", document=localized(view.titles),
                                         why=localized(view.pending)),
                               back_to=url_for("instances.show", instance_id=instance_id)), 409
    return engine.document(instance_id, name, me)


@bp.get("/<int:instance_id>/documents/<name>")
def show(instance_id: int, name: str):
    sheet = _sheet(instance_id, name)
    if not isinstance(sheet, DocumentSheet):
        return sheet
    return render_sheet(instance_id, sheet, for_pdf=False)


@bp.get("/<int:instance_id>/documents/<name>.pdf")
def pdf(instance_id: int, name: str):
    sheet = _sheet(instance_id, name)
    if not isinstance(sheet, DocumentSheet):
        return sheet
    try:
        data = html_to_pdf(render_sheet(instance_id, sheet, for_pdf=True))
    except PdfUnavailable as exc:
        current_app.logger.warning("PDF of request %s (%s) not made: %s", instance_id, name, exc)
        message = _("The PDF could not be made just now (%(why)s). The page itself can still be printed "
                    "from the browser.", why=unavailable_words(exc.reason))
        return render_template("errors/error.html", code=503, title=_("PDF not available"), message=message,
                               back_to=url_for("documents.show", instance_id=instance_id, name=name)), 503
    return pdf_response(data, f"{name}-{instance_id}.pdf", f"{localized(sheet.view.titles)}-{instance_id}.pdf")


def unavailable_words(reason: str) -> str:
    return {"no_renderer": _("the PDF printer, Chromium, is not installed on the server"),
            "timeout": _("printing took too long")}.get(reason, _("the PDF printer failed"))


def pdf_response(data: bytes, fallback: str, filename: str | None = None) -> Response:
    """A PDF download named `filename` (UTF-8, e.g. 客户参观许可证-12.pdf), `fallback` (ASCII) for old clients."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (f'attachment; filename="{fallback}"; '
                                               f"filename*=UTF-8''{quote(filename or fallback)}")
    return response
