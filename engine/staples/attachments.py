"""Attachments (附件): files on a request, on one of its tasks, or on a start form before the request exists.

A file is checked before anything is kept: its name's extension must be an accepted kind and its first bytes
must be that kind (a `.pdf` that is HTML is refused), within the size limit and the request's count. Its
bytes go to the file store under their sha256; the `attached` audit line records the name, size, media type
and sha256. A start form's files are staged by their uploader and bound to the request, in the start's own
unit, when the form names them; a task form names files uploaded to that task. Whoever may read the request
may download its files. The uploader may remove a file until it was submitted with a form."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import func, select, update

from ..authoring.forms import FormView
from ..authoring.specs import start_event
from ..errors import Conflict, FieldError, FormInvalid, NotAllowed, NotFound
from ..files.kinds import KINDS, extension, previewable
from ..runtime.assignment import READ_ONLY_GROUP, require_actor
from ..runtime.switches import is_on
from ..storage.models import Attachment, HumanTask, ProcessInstance
from . import require_on, task_spec_of

FORMAT = "attachments"  # a form field `{"type": "array", "format": "attachments", "items": {"type": "integer"}}`
ENDED = ("completed", "cancelled")
STAGED_FOR = timedelta(days=1)  # staged files older than this no longer count against the uploader's limit


@dataclass(frozen=True)
class AttachmentView:
    id: int
    instance_id: int | None
    task_id: int | None
    field: str | None
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime

    @classmethod
    def of(cls, row: Attachment) -> AttachmentView:
        return cls(row.id, row.instance_id, row.task_id, row.field, row.filename, row.media_type, row.size,
                   row.sha256, row.uploaded_by, row.uploaded_at)

    @property
    def preview(self) -> bool:
        """An image or a PDF, which the browser shows."""
        return previewable(self.media_type)

    @property
    def is_image(self) -> bool:
        return self.preview and self.media_type.startswith("image/")


def attachment_fields(form: FormView | None) -> list[str]:
    """The form's fields that hold attachment ids."""
    props = (form.schema.get("properties") or {}) if form is not None else {}
    return [name for name, prop in props.items() if isinstance(prop, dict) and prop.get("format") == FORMAT]


def named_ids(form: FormView | None, data: dict[str, Any]) -> dict[int, str]:
    """attachment id -> the field naming it, for the attachment fields of validated form data."""
    return {i: name for name in attachment_fields(form) for i in data.get(name) or ()}


def _refused(code: str, message: str, limit: Any = None) -> FormInvalid:
    return FormInvalid([FieldError("file", code, message, limit)])


def clean_name(filename: str) -> str:
    """The file's own name: no folders, no control characters, at most 255 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(name) > 255:
        ext = extension(name)
        name = name[:250 - len(ext)] + ("." + ext if ext else "")
    return name


def bound_rows(session, form: FormView | None, data: dict[str, Any], ok) -> list[Attachment]:
    """The rows the form's attachment fields name, each checked by `ok(row)`; FormInvalid on the field
    naming a file that does not exist, was removed, or fails the check."""
    wanted = named_ids(form, data)
    if not wanted:
        return []
    found = {r.id: r for r in session.scalars(select(Attachment).where(Attachment.id.in_(wanted)))}
    errors = [FieldError(field, "attachment", f"file {i} is not one uploaded for this form")
              for i, field in wanted.items()
              if i not in found or found[i].removed_at is not None or not ok(found[i])]
    if errors:
        raise FormInvalid(errors)
    for row in found.values():
        row.field = wanted[row.id]
    return list(found.values())


def staged_for_start(session, user: str, form: FormView | None, data: dict[str, Any]) -> list[Attachment]:
    """The files a start form names: each staged by this user and not yet bound to a request."""
    return bound_rows(session, form, data, lambda r: r.instance_id is None and r.uploaded_by == user)


def bind(unit, instance, rows: list[Attachment]) -> None:
    """Attach staged files to the new request, each with its `attached` audit line. The update takes only
    files still unbound, so of two starts sent at once with the same files (a double click) one gets them and
    the other is refused, whatever each read before."""
    if not rows:
        return
    taken = unit.session.execute(
        update(Attachment).where(Attachment.id.in_([r.id for r in rows]), Attachment.instance_id.is_(None))
        .values(instance_id=instance.id).execution_options(synchronize_session=False)).rowcount
    if taken != len(rows):
        raise Conflict("these files were just sent with another request", "files_taken")
    for row in rows:
        unit.record(instance, "attached", actor=row.uploaded_by, data=_audited(row))


def _audited(row: Attachment) -> dict[str, Any]:
    return {"attachment": row.id, "name": row.filename, "size": row.size, "media_type": row.media_type,
            "sha256": row.sha256, **({"field": row.field} if row.field else {})}


class AttachmentVerbs:
    """Mixed into Engine; relies on its `_unit`, `_groups`, `session`, `specs`, `task`, `may_read`, `may_act`,
    `_may_start`, `_newest`, `files` and `attachment_limits`."""

    def _checked(self, filename: str, data: bytes) -> tuple[str, str]:
        """(clean name, media type) of an acceptable file, else FormInvalid saying why."""
        limits = self.attachment_limits
        name = clean_name(filename)
        if not name:
            raise _refused("required", "the file has no name")
        if not data:
            raise _refused("empty", f"{name} is empty")
        if len(data) > limits.max_bytes:
            raise _refused("too_large", f"{name} is larger than {limits.size_text}", limits.size_text)
        accepted = ", ".join(limits.kinds)
        ext = extension(name)
        if ext not in limits.kinds:
            raise _refused("refused_type", f"{name}: files of this kind are not accepted (accepted: {accepted})",
                           accepted)
        kind = KINDS[ext]
        if not kind.matches(data):
            raise _refused("not_what_it_says", f"{name} is not a {kind.label} file, whatever its name says",
                           kind.label)
        return name, kind.media_type

    def _new_row(self, unit, user: str, name: str, media_type: str, data: bytes, **where) -> Attachment:
        sha256 = self.files.put(data)  # content-addressed: a unit that fails leaves at most unused bytes
        row = Attachment(filename=name, media_type=media_type, size=len(data), sha256=sha256, uploaded_by=user,
                         uploaded_at=unit.now, **where)
        unit.session.add(row)
        unit.session.flush()
        return row

    def stage_attachment(self, process_id: str, user: str, filename: str, data: bytes) -> AttachmentView:
        """Upload a file for a start form of `process_id`; the start binds it to the request it creates."""
        name, media_type = self._checked(filename, data)

        def work(unit) -> AttachmentView:
            s = unit.session
            require_actor(self._groups(s, user), user)
            spec = self._newest(s, process_id)[2]
            if not self._may_start(s, process_id, user, spec):
                raise NotAllowed(f"{user} may not start {process_id}", "cannot_start")
            if not is_on("attachments", start_event(spec)):
                raise NotAllowed("attachments are turned off for this process", "staple_off")
            pending = s.scalar(select(func.count()).select_from(Attachment).where(
                Attachment.uploaded_by == user, Attachment.instance_id.is_(None), Attachment.removed_at.is_(None),
                Attachment.uploaded_at > unit.now - STAGED_FOR))
            if pending >= self.attachment_limits.staged:
                raise _refused("too_many", f"at most {self.attachment_limits.staged} files wait for a start form",
                               self.attachment_limits.staged)
            return AttachmentView.of(self._new_row(unit, user, name, media_type, data))
        return self._unit(user, work)

    def attach(self, instance_id: int, user: str, filename: str, data: bytes,
               task_id: int | None = None) -> AttachmentView:
        """Attach a file to a running request, or to one of its open tasks that the user may complete (the
        task's form may then name it)."""
        name, media_type = self._checked(filename, data)
        if task_id is None:
            if not self.may_read(user, instance_id):
                raise NotAllowed(f"{user} may not read instance {instance_id}", "not_reader")
        else:
            may, reason = self.may_act(task_id, user)
            if not may:
                task = self.task(task_id)
                if task.status != "open":
                    raise Conflict(f"task {task_id} is already {task.status}", task.status, task.completed_by)
                raise NotAllowed(f"{user} may not act on task {task_id}", reason)

        def work(unit) -> AttachmentView:
            s = unit.session
            require_actor(self._groups(s, user), user)
            instance = unit.lock_instance(instance_id)
            if instance.status in ENDED:
                raise Conflict(f"instance {instance_id} is already {instance.status}", "instance_ended")
            row = s.get(HumanTask, task_id) if task_id is not None else None
            if task_id is not None and (row is None or row.instance_id != instance_id):
                raise NotFound(f"task {task_id} is not a task of instance {instance_id}")
            if row is not None and row.status != "open":
                raise Conflict(f"task {task_id} is already {row.status}", row.status, row.completed_by)
            task_spec = None
            if row is not None:
                spec, subprocess_specs = unit.specs.get(s, instance.definition_id, instance.dependency_ids)
                task_spec = task_spec_of(spec, subprocess_specs, row.bpmn_id)
            require_on(unit, instance, "attachments", task_spec)
            held = s.scalar(select(func.count()).select_from(Attachment).where(
                Attachment.instance_id == instance_id, Attachment.removed_at.is_(None)))
            if held >= self.attachment_limits.per_request:
                raise _refused("too_many", f"a request holds at most {self.attachment_limits.per_request} files",
                               self.attachment_limits.per_request)
            added = self._new_row(unit, user, name, media_type, data, instance_id=instance_id, task_id=task_id)
            unit.record(instance, "attached", task_guid=row.task_guid if row else None,
                        bpmn_id=row.bpmn_id if row else None, data=_audited(added))
            return AttachmentView.of(added)
        return self._unit(user, work)

    def may_attach(self, instance_id: int, user: str) -> bool:
        """Whether the user may add files to the request itself now (for showing the upload form)."""
        with self.session() as s:
            if READ_ONLY_GROUP in self._groups(s, user):
                return False
            instance = s.get(ProcessInstance, instance_id)
            if instance is None or instance.status in ENDED:
                return False
            spec, _subs = self.specs.get(s, instance.definition_id, instance.dependency_ids)
            if not is_on("attachments", start_event(spec)):
                return False
        return self.may_read(user, instance_id)

    def attachments(self, instance_id: int, user: str) -> list[AttachmentView]:
        """The request's files (not those removed), oldest first, for someone who may read it."""
        if not self.may_read(user, instance_id):
            raise NotAllowed(f"{user} may not read instance {instance_id}", "not_reader")
        with self.session() as s:
            return [AttachmentView.of(r) for r in s.scalars(select(Attachment).where(
                Attachment.instance_id == instance_id, Attachment.removed_at.is_(None)).order_by(Attachment.id))]

    def staged_attachments(self, user: str, ids: Iterable[int]) -> list[AttachmentView]:
        """The user's own staged files among `ids` (a start form shown again keeps what was uploaded)."""
        ids = [i for i in ids if isinstance(i, int)]
        if not ids:
            return []
        with self.session() as s:
            return [AttachmentView.of(r) for r in s.scalars(select(Attachment).where(
                Attachment.id.in_(ids), Attachment.uploaded_by == user, Attachment.instance_id.is_(None),
                Attachment.removed_at.is_(None)).order_by(Attachment.id))]

    def attachment(self, attachment_id: int, user: str) -> AttachmentView:
        """A file's record, for its uploader while staged, else for whoever may read its request."""
        with self.session() as s:
            row = s.get(Attachment, attachment_id)
            if row is None or row.removed_at is not None:
                raise NotFound(f"attachment {attachment_id} does not exist", "removed" if row else None)
            view = AttachmentView.of(row)
        if view.instance_id is None:
            if view.uploaded_by != user:
                raise NotAllowed(f"{user} may not read attachment {attachment_id}", "not_uploader")
        elif not self.may_read(user, view.instance_id):
            raise NotAllowed(f"{user} may not read instance {view.instance_id}", "not_reader")
        return view

    def attachment_file(self, attachment_id: int, user: str) -> tuple[AttachmentView, bytes]:
        """A file's record and its bytes (checked against their sha256), for whoever may read it."""
        view = self.attachment(attachment_id, user)
        return view, self.files.get(view.sha256)

    def remove_attachment(self, attachment_id: int, user: str) -> AttachmentView:
        """The uploader takes a file off again, until it was submitted with a form and while the request runs."""
        def work(unit) -> AttachmentView:
            s = unit.session
            require_actor(self._groups(s, user), user)
            row = s.get(Attachment, attachment_id)
            if row is None or row.removed_at is not None:
                raise NotFound(f"attachment {attachment_id} does not exist", "removed" if row else None)
            if row.uploaded_by != user:
                raise NotAllowed(f"{user} did not upload attachment {attachment_id}", "not_uploader")
            if row.field is not None:
                raise Conflict(f"attachment {attachment_id} was submitted with a form", "submitted")
            instance = unit.lock_instance(row.instance_id) if row.instance_id is not None else None
            if instance is not None and instance.status in ENDED:
                raise Conflict(f"instance {instance.id} is already {instance.status}", "instance_ended")
            task = s.get(HumanTask, row.task_id) if row.task_id is not None else None
            if task is not None and task.status != "open":
                raise Conflict(f"task {task.id} is already {task.status}", "submitted", task.completed_by)
            row.removed_by, row.removed_at = user, unit.now
            if instance is not None:
                unit.record(instance, "attachment_removed", task_guid=task.task_guid if task else None,
                            bpmn_id=task.bpmn_id if task else None,
                            data={"attachment": row.id, "name": row.filename, "sha256": row.sha256})
            return AttachmentView.of(row)
        return self._unit(user, work)
