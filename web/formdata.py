"""Posted form fields -> typed JSON for the engine, and typed JSON -> what the inputs show."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Mapping

from .formspec import FieldSpec, key_of

TRUE_WORDS = ("on", "true", "1", "yes", "y")

# Codes for text that cannot even be turned into the field's type; web.forms_ui words them.
NOT_INTEGER, NOT_NUMBER, NOT_DATE, NOT_DATETIME, NOT_JSON = (
    "not_integer", "not_number", "not_date", "not_datetime", "not_json")


class _Bad(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class Parsed:
    """The typed data, what to put back into the inputs, and the fields whose text made no sense."""

    data: dict[str, Any] = field(default_factory=dict)
    shown: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _getlist(form: Mapping[str, Any], name: str) -> list[str]:
    if hasattr(form, "getlist"):
        return list(form.getlist(name))
    value = form.get(name)
    return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]


def _scalar(spec: FieldSpec, text: str, tz: tzinfo) -> Any:
    """One non-empty text as the field's JSON value; raises _Bad with a code."""
    if spec.options:
        for option in spec.options:
            if option.key == text:
                return option.value
        return text  # not a choice: the engine's validation says so in its own words
    kind = spec.type if spec.type != "array" else spec.item_type
    if spec.widget == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            raise _Bad(NOT_DATE) from None
        return text
    if spec.widget == "datetime":
        return _datetime(text, tz)
    if spec.widget == "json":
        try:
            return json.loads(text)
        except ValueError:
            raise _Bad(NOT_JSON) from None
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise _Bad(NOT_INTEGER) from None
            if not number.is_integer():
                raise _Bad(NOT_INTEGER) from None
            return int(number)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise _Bad(NOT_NUMBER) from None
        if math.isnan(number) or math.isinf(number):
            raise _Bad(NOT_NUMBER)
        return int(number) if re.fullmatch(r"[+-]?\d+", text) else number
    if kind == "boolean":
        return text.lower() in TRUE_WORDS
    return text


def _datetime(text: str, tz: tzinfo) -> str:
    """A browser's local `YYYY-MM-DDTHH:MM` as ISO 8601 with the user's offset (the engine wants a zone)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _Bad(NOT_DATETIME) from None
    if value.tzinfo is None:
        value = _localize(value, tz)
    return value.isoformat(timespec="seconds")


def _localize(value: datetime, tz: tzinfo) -> datetime:
    localize = getattr(tz, "localize", None)  # pytz zones need localize() for the right offset
    return localize(value) if localize else value.replace(tzinfo=tz)


def _parse_field(spec: FieldSpec, form: Mapping[str, Any], name: str, tz: tzinfo,
                 out: Parsed, path: str) -> None:
    """Parse the input(s) called `name` into out.data[spec.name]; errors are keyed by `path`."""
    widget = spec.widget
    if widget == "decision":
        return  # the buttons: read separately, they are the submit action
    if widget == "rows":
        _parse_rows(spec, form, name, tz, out, path)
        return
    if widget == "files":  # the ids of files already uploaded and still ticked (new files: web.uploads)
        kept = [int(v) for v in _getlist(form, name) if str(v).isdigit()]
        out.shown[spec.name] = kept
        if kept:
            out.data[spec.name] = kept
        return
    if widget in ("checkboxes", "multiselect"):
        chosen = [v for v in _getlist(form, name) if v != ""]
        out.shown[spec.name] = chosen
        if chosen:
            out.data[spec.name] = [_scalar(spec, v, tz) for v in chosen]
        return
    if widget == "checkbox":
        values = _getlist(form, name)
        checked = bool(values) and values[-1].lower() in TRUE_WORDS
        out.shown[spec.name] = checked
        out.data[spec.name] = checked
        return
    text = (form.get(name) or "")
    text = text.strip() if widget not in ("textarea", "lines") else text.strip("\r\n ")
    out.shown[spec.name] = text
    if widget == "lines":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        try:
            if lines:
                out.data[spec.name] = [_scalar(spec, line, tz) for line in lines]
        except _Bad as bad:
            out.errors[path] = bad.code
        return
    if text == "":
        return
    try:
        out.data[spec.name] = _scalar(spec, text, tz)
    except _Bad as bad:
        out.errors[path] = bad.code


def _parse_rows(spec: FieldSpec, form: Mapping[str, Any], name: str, tz: tzinfo, out: Parsed, path: str) -> None:
    pattern = re.compile(re.escape(name) + r"-(\d+)-")
    indices = sorted({int(m.group(1)) for key in form if (m := pattern.match(key))})
    rows, shown = [], []
    for index in indices:
        row = Parsed()
        for column in spec.columns:
            _parse_field(column, form, f"{name}-{index}-{column.name}", tz, row, f"{path}.{len(rows)}.{column.name}")
        blank = all(v is False or v in ("", []) for v in row.shown.values())
        if blank and not row.errors:
            continue  # a blank spare row: not an entry
        rows.append(row.data)
        shown.append(row.shown)
        out.errors.update(row.errors)
    out.shown[spec.name] = shown
    if rows:
        out.data[spec.name] = rows


def parse(fields: list[FieldSpec], form: Mapping[str, Any], tz: tzinfo) -> Parsed:
    """The posted form as typed JSON; the decision comes from the button pressed (`decision`)."""
    out = Parsed()
    for spec in fields:
        _parse_field(spec, form, spec.name, tz, out, spec.name)
        if spec.widget == "decision":
            pressed = (form.get(spec.name) or "").strip()
            if pressed:
                out.data[spec.name] = _scalar(spec, pressed, tz)
                out.shown[spec.name] = pressed
    return out


def _show(spec: FieldSpec, value: Any, tz: tzinfo) -> Any:
    if value is None:
        return [] if spec.widget in ("checkboxes", "multiselect", "rows", "files") else ""
    widget = spec.widget
    if widget == "checkbox":
        return bool(value)
    if widget == "files":
        return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []
    if widget in ("checkboxes", "multiselect"):
        return [key_of(v) for v in value] if isinstance(value, list) else [key_of(value)]
    if widget == "rows":
        return [{c.name: _show(c, (row or {}).get(c.name), tz) for c in spec.columns}
                for row in value if isinstance(row, dict)] if isinstance(value, list) else []
    if widget == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if widget == "json":
        return json.dumps(value, ensure_ascii=False)
    if widget == "datetime" and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(tz)
        return moment.strftime("%Y-%m-%dT%H:%M")
    return key_of(value)


def shown_values(fields: list[FieldSpec], data: Mapping[str, Any], tz: tzinfo) -> dict[str, Any]:
    """Stored data as the inputs display it (local date-times, numbers as text, choices as keys)."""
    return {spec.name: _show(spec, data.get(spec.name), tz) for spec in fields if spec.name in data}
