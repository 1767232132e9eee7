"""The paper documents a request produces (a permit, a review sheet), as its procedure declares them
(`Extension.documents`): which exist for a request yet, and the data one is filled from."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy import select

from .errors import Conflict, NotAllowed, NotFound
from .extensions import Document
from .storage.models import ProcessInstance


@dataclass(frozen=True)
class DocumentView:
    """One document of a request: whether it exists yet, and if not, why (per locale)."""

    name: str
    titles: Mapping[str, str]
    ready: bool
    pending: Mapping[str, str]  # empty once it exists


@dataclass(frozen=True)
class DocumentSheet:
    """A document that exists, with what fills it: the request's data and the procedure's template."""

    view: DocumentView
    data: Mapping[str, Any]
    template: Path


def _view(document: Document, data: Mapping[str, Any]) -> DocumentView:
    ready = bool(document.ready(data))
    return DocumentView(document.name, dict(document.titles), ready, {} if ready else dict(document.pending))


class DocumentReads:
    """Mixed into Engine; relies on its `extensions`, `session`, `may_read` and `data`."""

    def _documents_of(self, instance_id: int, user: str,
                      data: Mapping[str, Any] | None = None) -> tuple[list[Document], Mapping[str, Any]]:
        if not self.may_read(user, instance_id):
            raise NotAllowed(f"{user} may not read instance {instance_id}", "not_reader")
        with self.session() as s:
            process_id = s.scalar(select(ProcessInstance.process_id).where(ProcessInstance.id == instance_id))
        found = [d for ext in self.extensions for d in ext.documents if d.process_id == process_id]
        if data is None and found:
            data = self.data(instance_id)
        return found, data or {}

    def documents(self, instance_id: int, user: str, data: Mapping[str, Any] | None = None) -> list[DocumentView]:
        """The documents the request's procedure produces, each ready or saying why not yet (readers only);
        `data`: the request's current data, when the caller has just read it."""
        found, data = self._documents_of(instance_id, user, data)
        return [_view(d, data) for d in found]

    def document(self, instance_id: int, name: str, user: str) -> DocumentSheet:
        """One document of the request, to print: NotFound when its procedure has no such document,
        Conflict (document_not_ready) while the request has not reached the point where it exists."""
        found, data = self._documents_of(instance_id, user)
        document = next((d for d in found if d.name == name), None)
        if document is None:
            raise NotFound(f"request {instance_id} has no document {name!r}", "unknown_document")
        view = _view(document, data)
        if not view.ready:
            raise Conflict(document.pending.get("en") or f"{name} does not exist yet", "document_not_ready")
        return DocumentSheet(view, data, document.template)
