"""Task forms: JSON Schema + UI schema files named by the task; server-side validation per field."""
from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from ..errors import EngineError, FieldError, FormInvalid, NotFound

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


FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")
_SPIFF_PROPERTY = "{http://spiffworkflow.org/bpmn/schema/1.0/core}property"


def referenced_forms(root) -> list[str]:
    """The form files a parsed BPMN file names (JSON Schema and UI schema), in order, once each."""
    return list(dict.fromkeys(p.get("value") for p in root.iter(_SPIFF_PROPERTY)
                              if p.get("name") in FORM_PROPERTIES and p.get("value")))


class FormStore:
    """Forms as deployed with each definition version (immutable, so cached by definition); the forms
    folder is read only when deploying, and for versions deployed before forms were stored with them."""

    def __init__(self, forms_dir: Path):
        self.forms_dir = Path(forms_dir)
        self._disk: dict[str, Any] = {}
        self._deployed: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def file_text(self, filename: str) -> str:
        """A form file from the forms folder, for deploying it."""
        path = self.forms_dir / filename
        if not filename or "/" in filename or "\\" in filename or not path.is_file():
            raise NotFound(f"form file {filename!r} not found")
        return path.read_text(encoding="utf-8")

    def _from_disk(self, filename: str) -> Any:
        if filename not in self._disk:
            document = json.loads(self.file_text(filename))
            with self._lock:
                self._disk[filename] = document
        return self._disk[filename]

    def deployed(self, definition_id: int, rows) -> dict[str, Any]:
        """The parsed forms of a definition version, from its `definition_form` rows (loaded once)."""
        if definition_id not in self._deployed:
            forms = {row.filename: json.loads(row.content) for row in rows()}
            with self._lock:
                self._deployed[definition_id] = forms
        return self._deployed[definition_id]

    def form(self, schema_file: str | None, ui_file: str | None = None,
             stored: dict[str, Any] | None = None, from_disk: bool = True) -> FormView:
        """The form from a version's stored files (`stored`); from the folder only when `from_disk` (a
        version deployed before forms were stored with it, or no version at all)."""
        if not schema_file:
            return EMPTY_FORM

        def read(name: str) -> Any:
            if stored and name in stored:
                return stored[name]
            if not from_disk:
                raise NotFound(f"form file {name!r} was not deployed with this version")
            return self._from_disk(name)
        return FormView(read(schema_file), read(ui_file) if ui_file else {}, schema_file)


_VALIDATORS: dict[int, tuple[dict, Draft202012Validator]] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """One validator per schema object (forms are cached per deployed version, so the object is the key)."""
    known = _VALIDATORS.get(id(schema))
    if known is None or known[0] is not schema:
        if len(_VALIDATORS) > 512:
            _VALIDATORS.clear()
        known = _VALIDATORS[id(schema)] = (schema, Draft202012Validator(schema, format_checker=FORMATS))
    return known[1]


def validate(form: FormView, data: dict[str, Any]) -> dict[str, Any]:
    """The submitted data restricted to the form's fields; FormInvalid lists every bad field."""
    if not isinstance(data, dict):
        raise FormInvalid([FieldError("", "type", "the submission must be an object")])
    declared = form.schema.get("properties", {})
    errors = [FieldError(key, "unknown", "is not a field of this form") for key in data if key not in declared]
    errors += [FieldError(key, "number", "is not a finite number") for key, value in data.items()
               if key in declared and not _finite(value)]
    for err in sorted(_validator(form.schema).iter_errors(data), key=lambda e: list(e.path)):
        if err.validator == "additionalProperties":
            continue  # reported above, per field
        errors.append(_field_error(err))
    if errors:
        raise FormInvalid(errors)
    clean = {k: v for k, v in data.items() if k in declared}
    errors = list(refusals(form, clean))
    if errors:
        raise FormInvalid(errors)
    return clean


CHECKS = "x-checks"  # [{"refuse_if": expression, "field": name, "message": the rule, in words}]


def refusals(form: FormView, clean: dict[str, Any]) -> list[FieldError]:
    """The form's own checks (`x-checks` in its schema): what the process would refuse at once, refused
    before anything is created, with the rule cited. Each `refuse_if` is an expression over the submitted
    fields (those left empty are None) and the helpers, at the time of the unit of work."""
    from ..runtime.scripting import evaluate

    found = []
    scope = {name: None for name in form.schema.get("properties", {})} | clean
    for check in form.schema.get(CHECKS) or ():
        try:
            refused = evaluate(check["refuse_if"], scope)
        except EngineError:
            continue  # a check that cannot be read on this data (say, a field left empty) refuses nothing
        if refused:
            found.append(FieldError(check.get("field", ""), "check", check["message"]))
    return found


def _finite(value: Any) -> bool:
    """False for NaN and infinities anywhere in a value (JSON has neither; SQL and sums break on them)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _field_error(err) -> FieldError:
    path = [str(p) for p in err.absolute_path]
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else ""
        path = path + [missing]
    name = ".".join(path)
    template = _MESSAGES.get(err.validator, err.message)
    return FieldError(name, str(err.validator), template.format(format=err.validator_value), err.validator_value)
