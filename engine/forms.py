"""Task forms: JSON Schema + UI schema files named by the task; server-side validation per field."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from .errors import FieldError, FormInvalid, NotFound

_MESSAGES = {
    "required": "this field is required",
    "type": "has the wrong type",
    "enum": "is not one of the allowed choices",
    "format": "is not a valid {format}",
    "pattern": "has the wrong format",
    "minLength": "is too short",
    "maxLength": "is too long",
    "minimum": "is too small",
    "maximum": "is too large",
    "exclusiveMinimum": "is too small",
    "exclusiveMaximum": "is too large",
    "minItems": "needs more entries",
    "maxItems": "has too many entries",
    "additionalProperties": "is not a field of this form",
}


@dataclass(frozen=True)
class FormView:
    """A task's form: the JSON Schema, the UI schema (possibly empty), and their file names."""

    schema: dict[str, Any]
    ui: dict[str, Any] = field(default_factory=dict)
    filename: str | None = None

    @property
    def fields(self) -> list[str]:
        props = list(self.schema.get("properties", {}))
        order = [f for f in self.ui.get("ui:order", []) if f in props]
        return order + [f for f in props if f not in order]


FORMATS = FormatChecker(formats=("email", "date"))


@FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    # ISO 8601 with an explicit offset: a deadline without a zone is ambiguous.
    if not isinstance(value, str):
        return True
    return datetime.fromisoformat(value).tzinfo is not None


EMPTY_FORM = FormView({"type": "object", "properties": {}, "additionalProperties": False})


class FormStore:
    """Reads form files from one folder, caching them by name."""

    def __init__(self, forms_dir: Path):
        self.forms_dir = Path(forms_dir)
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _read(self, filename: str) -> Any:
        if filename not in self._cache:
            path = self.forms_dir / filename
            if "/" in filename or "\\" in filename or not path.is_file():
                raise NotFound(f"form file {filename!r} not found")
            document = json.loads(path.read_text(encoding="utf-8"))
            with self._lock:
                self._cache[filename] = document
        return self._cache[filename]

    def form(self, schema_file: str | None, ui_file: str | None = None) -> FormView:
        if not schema_file:
            return EMPTY_FORM
        return FormView(self._read(schema_file), self._read(ui_file) if ui_file else {}, schema_file)


def validate(form: FormView, data: dict[str, Any]) -> dict[str, Any]:
    """The submitted data restricted to the form's fields; FormInvalid lists every bad field."""
    if not isinstance(data, dict):
        raise FormInvalid([FieldError("", "type", "the submission must be an object")])
    declared = form.schema.get("properties", {})
    errors = [FieldError(key, "unknown", "is not a field of this form") for key in data if key not in declared]
    validator = Draft202012Validator(form.schema, format_checker=FORMATS)
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        if err.validator == "additionalProperties":
            continue  # reported above, per field
        errors.append(_field_error(err))
    if errors:
        raise FormInvalid(errors)
    return {k: v for k, v in data.items() if k in declared}


def _field_error(err) -> FieldError:
    path = [str(p) for p in err.absolute_path]
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else ""
        path = path + [missing]
    name = ".".join(path)
    template = _MESSAGES.get(err.validator, err.message)
    return FieldError(name, str(err.validator), template.format(format=err.validator_value))
