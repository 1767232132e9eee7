"""Field error messages in the user's language, keyed by the engine's (jsonschema's) error codes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from engine import FormInvalid

from . import formdata

MESSAGES = {
    "required": _l("This field is required."),
    "type": _l("This value has the wrong type."),
    "enum": _l("Choose one of the offered options."),
    "const": _l("This value is not accepted here."),
    "format": _l("This value is not in the expected format."),
    "pattern": _l("This value is not in the expected format."),
    "minLength": _l("This text is too short."),
    "maxLength": _l("This text is too long."),
    "minimum": _l("This number is too small."),
    "maximum": _l("This number is too large."),
    "exclusiveMinimum": _l("This number is too small."),
    "exclusiveMaximum": _l("This number is too large."),
    "minItems": _l("Add more entries."),
    "maxItems": _l("There are too many entries."),
    "uniqueItems": _l("Each entry may appear only once."),
    "unknown": _l("This is not a field of this form."),
    "attachment": _l("A file named here was not uploaded with this form, or was removed: upload it again."),
    "empty": _l("The file is empty."),
    "too_large": _l("The file is too large."),
    "refused_type": _l("Files of this kind are not accepted."),
    "not_what_it_says": _l("The file's content is not what its name says."),
    "too_many": _l("There are too many files."),
    formdata.NOT_INTEGER: _l("Enter a whole number."),
    formdata.NOT_NUMBER: _l("Enter a number."),
    formdata.NOT_DATE: _l("Enter a date (YYYY-MM-DD)."),
    formdata.NOT_DATETIME: _l("Enter a date and time."),
    formdata.NOT_JSON: _l("Enter valid JSON."),
}


# the same, saying the rule's own value
WITH_LIMIT = {
    "minLength": _l("Enter at least %(limit)s characters."),
    "maxLength": _l("Enter at most %(limit)s characters."),
    "minimum": _l("The smallest allowed value is %(limit)s."),
    "maximum": _l("The largest allowed value is %(limit)s."),
    "exclusiveMinimum": _l("Enter a value above %(limit)s."),
    "exclusiveMaximum": _l("Enter a value below %(limit)s."),
    "minItems": _l("Add at least %(limit)s entries."),
    "maxItems": _l("Keep to at most %(limit)s entries."),
    "too_large": _l("The file is larger than %(limit)s."),
    "refused_type": _l("Files of this kind are not accepted (accepted: %(limit)s)."),
    "not_what_it_says": _l("The file's content is not %(limit)s, whatever its name says."),
    "too_many": _l("There are too many files: at most %(limit)s."),
}


def message(code: str, fallback: str = "", limit=None) -> str:
    if code == "const" and limit is True:
        return str(_l("Tick this box to go on."))
    if code in WITH_LIMIT and isinstance(limit, (int, float)) and not isinstance(limit, bool):
        return str(WITH_LIMIT[code]) % {"limit": f"{limit:g}"}
    if code in WITH_LIMIT and isinstance(limit, str) and limit:
        return str(WITH_LIMIT[code]) % {"limit": limit}
    text = MESSAGES.get(code)
    return str(text) if text is not None else (fallback or code)


def from_codes(errors: dict[str, str]) -> dict[str, str]:
    """Parse errors (path -> code) as path -> message."""
    return {path: message(code) for path, code in errors.items()}


def from_invalid(exc: FormInvalid) -> dict[str, str]:
    """The engine's field errors as path -> message (the first per field)."""
    out: dict[str, str] = {}
    for error in exc.errors:
        out.setdefault(error.field, message(error.code, error.message, error.limit))
    return out
