"""What a page needs to show a form: its widgets, the values to display, and the messages per field."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from flask_babel import get_timezone, ngettext

from engine import FormInvalid
from engine import FieldError
from engine import FormView, validate_form as validate

from . import formdata, messages
from .formspec import FieldSpec, decision_of, fields_of
from .present import as_text, when


@dataclass
class FormState:
    """A form ready for the macros in templates/macros/forms.html."""

    form: FormView
    fields: list[FieldSpec]
    shown: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    files: dict[int, Any] = field(default_factory=dict)  # attachment id -> AttachmentView, for file fields

    @property
    def file_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.widget == "files"]

    def file_ids(self) -> list[int]:
        """The attachment ids the file fields show."""
        return [i for f in self.file_fields for i in self.shown.get(f.name) or ()]

    def add_uploads(self, uploaded: dict[str, list[int]], data: dict[str, Any]) -> None:
        """Files just uploaded join the ticked ones: in the data sent to the engine and on the form shown."""
        for name, ids in uploaded.items():
            ids = list(dict.fromkeys([*(self.shown.get(name) or []), *ids]))
            self.shown[name] = ids
            if ids:
                data[name] = ids

    @property
    def decision(self) -> FieldSpec | None:
        return decision_of(self.fields)

    @property
    def inputs(self) -> list[FieldSpec]:
        """The fields drawn as inputs (the decision is drawn as the submit buttons)."""
        return [f for f in self.fields if f.widget != "decision"]

    @property
    def title(self) -> str:
        return str(self.form.schema.get("title") or "")

    @property
    def description(self) -> str:
        return str(self.form.schema.get("description") or "")

    @property
    def general_errors(self) -> list[str]:
        """Messages no input shows: about the whole form, or about a field that is not drawn."""
        drawn = {f.name for f in self.fields}
        return [text for path, text in self.errors.items() if not path or path.split(".")[0] not in drawn]


def state(form: FormView, data: Mapping[str, Any] | None = None, now: datetime | None = None,
          me: str | None = None) -> FormState:
    """A form showing stored data (or empty); given `now` (and the person's name, `me`), fields without a
    value start from their `ui:default`."""
    fields = fields_of(form)
    data = dict(data or {})
    if now is not None:
        data = {**defaults(fields, now, me), **data}
    return FormState(form, fields, formdata.shown_values(fields, data, get_timezone()))


def defaults(fields: list[FieldSpec], now: datetime, me: str | None) -> dict[str, Any]:
    """Starting values from the UI schema's `ui:default`: now (a date-time), today (a date, in the person's
    time zone), me (the person's name)."""
    out: dict[str, Any] = {}
    for spec in fields:
        if spec.default == "now" and spec.widget == "datetime":
            out[spec.name] = now.isoformat()
        elif spec.default == "today" and spec.widget == "date":
            out[spec.name] = now.astimezone(get_timezone()).date().isoformat()
        elif spec.default == "me" and me and spec.widget in ("text", "textarea"):
            out[spec.name] = me
    return out


def parse(form: FormView, posted: Mapping[str, Any]) -> tuple[formdata.Parsed, FormState]:
    """The posted form as typed data, and the state to re-render it with what was typed."""
    fields = fields_of(form)
    parsed = formdata.parse(fields, posted, get_timezone())
    return parsed, FormState(form, fields, parsed.shown, messages.from_codes(parsed.errors))


def refuse_parse_errors(form: FormView, parsed: formdata.Parsed) -> None:
    """FormInvalid for text that is not even of the field's type, plus what validation finds elsewhere."""
    if not parsed.errors:
        return
    errors = [FieldError(path, code, code) for path, code in parsed.errors.items()]
    try:
        validate(form, parsed.data)
    except FormInvalid as exc:
        broken = {e.field.split(".")[0] for e in errors}
        errors += [e for e in exc.errors if e.field.split(".")[0] not in broken]
    raise FormInvalid(errors)


def labelled(form: FormView | None, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Submitted data as (label, readable value) pairs, in the form's order when the form is known."""
    specs = {f.name: f for f in fields_of(form)} if form is not None else {}
    pairs = []
    for key in [k for k in specs if k in data] + [k for k in data if k not in specs]:
        spec, value = specs.get(key), data[key]
        if spec is not None and spec.widget == "rows" and isinstance(value, list):
            text = rows_text(spec, value)
        elif spec is not None and spec.widget == "files" and isinstance(value, list):
            text = files_text(value)
        elif spec is not None and spec.widget == "datetime" and isinstance(value, str):
            text = when(value, "short")
        elif spec is not None and spec.options and not isinstance(value, (list, dict)):
            text = spec.label_of(value)
        elif spec is not None and spec.options and isinstance(value, list):
            text = ", ".join(spec.label_of(v) for v in value)
        else:
            text = as_text(value)
        pairs.append((spec.title if spec else key, text))
    return pairs


def files_text(ids: list[Any]) -> str:
    """Attachments named by a form, as people read them (the files themselves are listed on the request)."""
    return ngettext("%(num)d file", "%(num)d files", len(ids)) if ids else ""


def rows_text(spec: FieldSpec, rows: list[Any]) -> str:
    """Repeated rows as one line each: `title: value, title: value`."""
    lines = []
    for row in rows:
        if not isinstance(row, dict):
            lines.append(as_text(row))
            continue
        cells = [(c.title, c.label_of(row[c.name]) if c.options else as_text(row[c.name]))
                 for c in spec.columns if row.get(c.name) not in (None, "")]
        lines.append(", ".join(f"{title}: {text}" for title, text in cells))
    return "\n".join(lines)


def typed_pairs(state_: FormState) -> list[tuple[str, str]]:
    """What the user typed, labelled, for the page that explains why it was not saved."""
    pairs = []
    for spec in state_.fields:
        value = state_.shown.get(spec.name)
        if value in (None, "", [], False):
            continue
        if spec.widget == "rows":
            text = rows_text(spec, value)
        elif spec.widget == "files":
            text = files_text(value)
        elif spec.options:
            keys = value if isinstance(value, list) else [value]
            text = ", ".join(spec.label_of(k) for k in keys)
        else:
            text = as_text(value)
        pairs.append((spec.title, text))
    return pairs
